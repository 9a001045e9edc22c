"""Two stages of a live step on two threads: while one frame's mosaics are made, the next
frame's forward passes run.

The caller's thread runs :meth:`engine.engine.Engine.forward` and hands the rest of the step
(a callable: the mosaics, the view) to :meth:`Pipeline.put`, which returns at once unless the
frame before is still being finished: then it waits for it, so one frame at most is in hand
and frames come out in order. Torch kernels and OpenCV release the GIL, so on a machine with
a core to spare the step costs about its forward passes alone. ``done`` is called on the
worker thread with what each job returns, and ``failed`` with any exception it raises (without
``failed``, the exception is raised again in the caller's thread by the next call).
:meth:`run_here` runs a job on the caller's thread instead, in order after the worker's (when
the two halves are better run in turn: :mod:`engine.session.overlap`). :meth:`drain` waits
until the worker is idle (before a command changes what a job reads).
:meth:`offer` hands over a job only if the worker is idle: for work that may be skipped (the
live measures, on a worker of their own, so a long job never holds a view back). ``nice``
lowers the worker's scheduling priority (Linux: that thread only), so that work takes the
CPU the forward passes, the mosaics and the window leave.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

# the live measures' worker yields the CPU to the display's threads: at the lowest priority
# (bench --gui, 224x224 with measures, 2-core AMD: latency p95 under two frame intervals in 5
# of 6 runs at nice 19 against 1 of 5 at nice 10, displayed / bare 0.78-0.86 against 0.71-0.84)
MEASURE_NICE = 19


class Pipeline:
    """One worker thread and a hand-over slot of one job (see the module docstring)."""

    def __init__(self, done: Callable[[object], None],
                 failed: Callable[[Exception], None] | None = None, name: str = "finish",
                 nice: int = 0):
        self._done, self._failed, self._nice = done, failed, nice
        self._cond = threading.Condition()
        self._job: Callable[[], object] | None = None   # the job in hand (None: idle)
        self._closed = False
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._work, name=f"poolscope-{name}",
                                        daemon=True)
        self._thread.start()

    def put(self, job: Callable[[], object]) -> None:
        """Hand ``job`` to the worker, after the one before it has been taken and finished."""
        with self._cond:
            self._cond.wait_for(self._idle)
            self._raise()
            if self._closed:
                raise RuntimeError("pipeline closed")
            self._job = job
            self._cond.notify_all()

    def offer(self, job: Callable[[], object]) -> bool:
        """Hand ``job`` to the worker if it is idle, else drop it: False (never waits)."""
        with self._cond:
            self._raise()
            if self._closed or not self._idle():
                return False
            self._job = job
            self._cond.notify_all()
            return True

    def run_here(self, job: Callable[[], object]) -> None:
        """Run ``job`` on the caller's thread, after the job in hand, with the same ``done``
        and ``failed`` as the worker's jobs (without ``failed``, its exception is raised)."""
        self.drain()
        try:
            self._done(job())
        except Exception as e:  # noqa: BLE001 - as on the worker: reported, the caller goes on
            if self._failed is None:
                raise
            self._failed(e)

    def drain(self) -> None:
        """Wait until the job in hand (if any) is finished."""
        with self._cond:
            self._cond.wait_for(self._idle)
            self._raise()

    def close(self) -> None:
        """Finish the job in hand, then stop the worker."""
        try:
            self.drain()
        finally:
            self._stop()

    def _stop(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _idle(self) -> bool:  # holding the lock
        return self._job is None or self._closed

    def _raise(self) -> None:  # holding the lock
        if self._error is not None:
            e, self._error = self._error, None
            raise e

    def _work(self) -> None:
        if self._nice and sys.platform.startswith("linux"):  # this thread only (Linux)
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._nice)
            except OSError:
                pass
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._job is not None or self._closed)
                if self._job is None:
                    return
                job = self._job
            try:
                self._done(job())
            except Exception as e:  # noqa: BLE001 - the caller's thread hears of it
                if self._failed is None:
                    with self._cond:
                        self._error = e
                else:
                    self._failed(e)
            finally:
                with self._cond:
                    self._job = None
                    self._cond.notify_all()
