"""The next frame read and made into the network's input while this one's last forward passes run.

A step begins by reading a frame and fitting it to the network (1.1-1.4 ms at 224x224 on these
machines: a pattern drawn or a camera frame taken, a resize, a normalisation), then runs the
forward passes. With the halves overlapped (:mod:`engine.session.overlap`) the step rate is the
forward thread's, so those milliseconds count in full. :class:`ReadAhead` does that part on a
thread of its own, started during the forward passes at the latest point from which they are
expected to take at least as long as the reading and fitting do: each variant's start and each
captured row are points (the engine ticks them, :meth:`engine.engine.Engine.forward`), and the
time from each to the end of the passes is learnt, as a running mean, from the steps before.
So the next frame is read about when the forward thread would have read it (a millisecond or
two early), and the forward thread goes straight on to its forward passes.

A frame of a live source (a camera) read ahead that waited longer than it should have (the step
was held back) is dropped and the frame read anew: reading ahead never makes a camera frame more
than a few milliseconds older. A file's or a pattern's is used all the same: none is lost.
A job that raised (a camera unplugged) raises again in :meth:`ReadAhead.take`, on the caller's
thread. :meth:`ReadAhead.cancel` waits for a running job and hands back what it read (a
command may change how a frame is fitted, so the caller fits it again; a frame of a file is
not to be lost: a frozen video steps on to the frame after the one shown).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

FRESH_S = 0.003   # a frame read ahead may wait this much longer than expected, else read anew
KEEP = 0.8        # running means: the weight of what was before


class ReadAhead:
    """One worker thread that reads ahead one frame at a time (see the module docstring)."""

    def __init__(self, read: Callable[[], object]):
        self._read = read
        self._cond = threading.Condition()
        self._asked = self._running = self._closed = False
        self._result: tuple[bool, object, float] | None = None   # (ok, value, done at)
        self.read_s = 0.0                       # a frame's reading and fitting, running mean
        self._remain: dict[Hashable, float] = {}   # point -> s from it to the passes' end
        self._trigger: Hashable | None = None   # the point to start reading at
        self._ticks: list[tuple[Hashable, float]] = []   # this step's points, and when
        self._thread = threading.Thread(target=self._work, name="poolscope-read-ahead",
                                        daemon=True)
        self._thread.start()

    # -- on the forward thread ------------------------------------------------------------
    def tick(self, point: Hashable) -> None:
        """The forward passes reached ``point``: start reading the next frame if it is the
        one to start at."""
        self._ticks.append((point, time.monotonic()))
        if point == self._trigger:
            with self._cond:
                if not self._closed:
                    self._result, self._asked = None, True
                    self._cond.notify_all()

    def ended(self) -> None:
        """This step's forward passes ended: learn the time from each point to the end and
        choose the point the next step starts reading at."""
        now, ticks, self._ticks = time.monotonic(), self._ticks, []
        for point, t in ticks:
            old = self._remain.get(point)
            self._remain[point] = now - t if old is None else KEEP * old + (1 - KEEP) * (now - t)
        later = [p for p, _ in ticks if self._remain[p] >= self.read_s]
        self._trigger = later[-1] if later else (ticks[0][0] if ticks else None)

    def take(self, fresh: bool = True):
        """The frame read ahead (waiting for it if it is being read), or None if none was
        asked for, the worker has not started it (dropped: the caller reads now) or, with
        ``fresh`` (a live source, whose newest frame counts), it waited too long; what its
        reading raised, raised."""
        result = self._collect()
        if result is None:
            return None
        ok, value, done = result
        if not ok:
            raise value
        expected = self._remain.get(self._trigger, 0.0) - self.read_s
        late = time.monotonic() - done > max(0.0, expected) + FRESH_S
        return None if fresh and late else value

    def cancel(self):
        """Drop what was read ahead, waiting for a read under way: what it read (None if
        nothing, or it raised), for the caller to keep if it must not lose a frame."""
        result = self._collect()
        self._ticks = []
        return result[1] if result is not None and result[0] else None

    def close(self) -> None:
        self.cancel()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _collect(self) -> tuple[bool, object, float] | None:
        """Drop a read not started, wait for one under way, and take its result."""
        with self._cond:
            self._asked = False
            self._cond.wait_for(lambda: not self._running)
            result, self._result = self._result, None
        return result

    # -- on the worker ----------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._asked or self._closed)
                if self._closed:
                    return
                self._asked, self._running = False, True
            t0 = time.monotonic()
            try:
                result = (True, self._read(), time.monotonic())
            except BaseException as e:  # noqa: BLE001 - raised again in take(); never lost
                result = (False, e, time.monotonic())
            took = result[2] - t0
            self.read_s = took if not self.read_s else KEEP * self.read_s + (1 - KEEP) * took
            with self._cond:
                self._result, self._running = result, False
                self._cond.notify_all()
