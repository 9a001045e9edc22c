"""A session's step, in two halves: the forward passes now, the view maybe on another thread.

:meth:`Stepping.begin_step` reads the next frame (or the frozen one), runs the engine's forward
passes and the live probes, and returns the rest of the step as a callable (the mosaics and the
:class:`~engine.session.messages.Shown`) that reads nothing the session changes later, so a
runner may call it on another thread while the next frame's forward passes run
(:mod:`engine.pipeline`). When the runner says the halves overlap (:attr:`Stepping.halves`),
the next frame is read and fitted on a thread of its own during the last of these forward
passes (:mod:`engine.session.read_ahead`); a command drops it (:meth:`Session.handle`
calls :meth:`Stepping.cancel_read_ahead`). :meth:`Stepping.step` does both halves at once;
:meth:`Stepping.refill` makes the last frame's view again for rows that came on screen since.
A mixin of
:class:`engine.session.session.Session`, whose state it reads.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from engine.errors import PoolScopeError, SourceError
from engine.network.failures import one_line
from engine.session.messages import Failed, Shown
from engine.session.read_ahead import ReadAhead
from engine.sources.frames import Frame
from engine.sources.preprocess import fit_frame, mirror_image, shift_image

Finish = Callable[[], tuple[Shown | None, list]]   # the second half: the view, and events


class Stepping:
    """The step of a :class:`~engine.session.session.Session` (see the module docstring)."""

    # the engine, its last Forwarded and that frame's Shown without its result (for refill)
    _last_step: tuple | None = None
    # how the runner runs this step's halves: (in turn, the choice settled), if it says
    halves: tuple[bool, bool] | None = None
    _ahead: ReadAhead | None = None   # the next frame read ahead (halves overlapped)
    _unread: Frame | None = None      # a file's frame read ahead before a command

    def step(self) -> tuple[Shown | None, list]:
        """Step the engine on the next frame (or the frozen one): the view and the events
        (the frame's live measures come before its view here, so the view shows them)."""
        finish, events, measure = self.begin_step()
        if finish is None:
            return None, events
        if measure is not None:
            events += measure()[1]
        shown, more = finish()
        return shown, events + more

    def begin_step(self) -> tuple[Finish | None, list, Finish | None]:
        """The forward half of :meth:`step` now: the other half (None if there is none), the
        events so far, and the frame's live measures to run after its view went out (None if
        off)."""
        if self.engine is None or self.source is None:
            return None, self._take(), None
        self._dirty = False
        finish = measure = None
        try:
            finish, measure = self._forward_once()
        except SourceError as e:  # the source failed (e.g. a camera unplugged)
            self._events.append(Failed(str(e)))
            self.source.close()
            self.source = None
        except PoolScopeError as e:  # the network failed on this frame: say so, go on
            self._events.append(Failed(str(e)))
        except Exception as e:  # noqa: BLE001 - a session must never die silently
            self._events.append(Failed(one_line(e)))
        return finish, self._take(), measure

    def _forward_once(self) -> tuple[Finish, Finish | None]:
        e = self.engine
        # a frame read ahead is of this engine and these settings: every command drops it
        got = self._ahead.take(fresh=self.source.live) if self._ahead is not None else None
        if got is None:
            frame = self._frozen if self._frozen is not None else \
                (self.unread() or self.source.read())
            viewed = self._view(frame)
            got = (frame, viewed, e.fitted(viewed))
        frame, viewed, fitted = got
        ahead = None
        if self._frozen is None and self.halves is not None and not self.halves[0]:
            # overlapped halves: the next frame is read and fitted as these passes end
            ahead = self._ahead = self._ahead or ReadAhead(self._read_fitted)
        try:
            forwarded = e.forward(fitted, tick=ahead and ahead.tick)
        except BaseException:
            self.cancel_read_ahead()   # nor these passes' times (a file's frame is kept)
            raise
        if ahead is not None:
            ahead.ended()
        self._seq += 1
        self._recent.append((self._seq, frame, viewed))
        self._times.append(time.monotonic())
        stats = {
            "engine_fps": _rate(self._times),
            "camera_fps": getattr(self.source, "measured_fps", None),
            "dropped": getattr(self.source, "dropped", None),
            "frozen": self._frozen is not None,
            "nudge": self._nudge,
            "measures_cycled": e.meter.cycled,
            "in_turn": None if self.halves is None else self.halves[0],
            "halves_settled": None if self.halves is None else self.halves[1],
        }
        nudge = self._nudge if self._frozen is not None else (0.0, 0.0)
        views = self.probes.update(e, (lambda: e.prepare(self._mirrored(frame)))
                                   if nudge != (0.0, 0.0) else None, nudge)
        self._events += [Failed(m) for m in self.probes.errors]
        self.probes.errors.clear()
        shown = Shown(None, self._seq, None, self._zoom, forwarded.cmap.lut,
                      frame.index if hasattr(self.source, "seek") else None, stats, views)
        self._last_step = (e, forwarded, shown)
        return self._finisher(forwarded, shown), (self._measurer(forwarded)
                                                  if e.config.measure_every else None)

    def _read_fitted(self) -> tuple:
        """The next frame read and fitted, on the read-ahead thread."""
        frame = self.source.read()
        viewed = self._view(frame)
        return frame, viewed, self.engine.fitted(viewed)

    def cancel_read_ahead(self) -> None:
        """Drop the frame read ahead, fitted (before a command: it may change how a frame is
        fitted); a file's frame is kept, to be fitted anew as the next (:meth:`unread`)."""
        got = self._ahead.cancel() if self._ahead is not None else None
        if got is not None and self.source is not None and not self.source.live:
            self._unread = got[0]

    def unread(self) -> Frame | None:
        """The frame read ahead of a file before a command, once (None if there is none),
        stamped now: it stands for the file's next frame, read when it is used (its age is
        not the command's or the freeze's length)."""
        frame, self._unread = self._unread, None
        return None if frame is None else replace(frame, timestamp=time.monotonic())

    def refill(self, always: bool = False) -> Finish | None:
        """The last frame again, at once, with the rows now on screen that its view lacks (or
        at the size they are now drawn); None if it has them all (``always``: even then, with
        the newest live measures). For a slow network, whose next frame may be a second away,
        after the window scrolled or resized; and for a frozen frame's last measures."""
        if self._last_step is None or self._last_step[0] is not self.engine:
            return None
        e, forwarded, shown = self._last_step
        rows = tuple(ly for ly in e.layers if e.view_rows is None or ly.name in e.view_rows)
        if not always and set(rows) <= set(forwarded.rows) \
                and e.config.max_side == forwarded.max_side:
            return None
        self._seq += 1
        forwarded = replace(forwarded, rows=rows, max_side=e.config.max_side)
        shown = replace(shown, seq=self._seq)
        self._last_step = (e, forwarded, shown)
        return self._finisher(forwarded, shown)

    def _finisher(self, forwarded, shown: Shown) -> Finish:
        """The second half: ``shown`` with the result ``forwarded`` finishes into, and the
        zoomed channel of each variant (``shown.zoom_key``: row, channel) as float maps."""
        e = self.engine
        return lambda: _reported(lambda: replace(shown, result=e.finish(forwarded),
                                                 **_zoomed(e, forwarded.maps, shown.zoom_key)))

    def _measurer(self, forwarded) -> Finish:
        """The frame's live measures (no view; a failure is an event)."""
        e = self.engine
        return lambda: _reported(lambda: e.measure_frame(forwarded))

    def _view(self, frame: Frame) -> Frame:
        """The frame as it goes to the engine: mirrored, and nudged while frozen."""
        image = self._mirrored(frame)
        if self._frozen is not None and self._nudge != (0.0, 0.0):
            seen = fit_frame(image, self.engine.network.input_size, 3, self.engine.config.fit)
            image = shift_image(seen, *self._nudge)
        return Frame(np.ascontiguousarray(image), frame.index, frame.timestamp)

    def _mirrored(self, frame: Frame) -> np.ndarray:
        return mirror_image(frame.image) if self._mirror else frame.image


def _zoomed(e, maps: dict, key: tuple[str, int] | None) -> dict:
    """The Shown's zoom fields: the channel ``key`` = (row, channel) of each variant that has
    it, on the host (None, None if no row is zoomed or it is not captured)."""
    if key is None or key[0] not in maps[e.variant_names[0]]:
        return {"zoom": None, "zoom_key": None}
    layer, ch = key
    zoom = {v: maps[v][layer][ch].float().cpu().numpy().copy()
            for v in e.variant_names if ch < maps[v][layer].shape[0]}
    return {"zoom": zoom or None, "zoom_key": key if zoom else None}


def _reported(call: Callable[[], Shown | None]) -> tuple[Shown | None, list]:
    """``(call(), [])``, or ``(None, [Failed(why)])`` if it raises: the next frame goes on."""
    try:
        return call(), []
    except PoolScopeError as x:
        return None, [Failed(str(x))]
    except Exception as x:  # noqa: BLE001 - reported; the next frame goes on
        return None, [Failed(one_line(x))]


def _rate(times: deque) -> float | None:
    if len(times) < 2 or times[-1] == times[0]:
        return None
    return (len(times) - 1) / (times[-1] - times[0])
