"""Running a session: one loop, whether a thread or a child process runs it.

:func:`run` takes commands from a queue, carries them out, steps the session when it is due
and hands what comes out to two callbacks: ``on_events(list)`` and ``on_shown(Shown)``. It
drains every queued command before the next step, blocks while there is nothing to do (a
frozen frame), and stops when ``stop`` is set (put :data:`STOP` in the queue to wake it). No
Qt: the window's transports (``gui/transport.py``, ``gui/remote.py``) give it the queue and
the callbacks, which must take calls from two threads.

A step is pipelined (:mod:`engine.pipeline`): this thread runs a frame's forward passes while
a worker makes the mosaics of the frame before and hands its view to ``on_shown``, and another
runs the live measures due on a frame if it is not still busy with earlier ones (a measure job
then never holds a view back; the throttle keeps it to its share of the time). When steps
in turn keep up with a screen, or come about as fast as overlapped ones (small maps, whose
halves are mostly Python and take turns on the GIL anyway), the two halves run one after the
other on this thread instead, so no frame ages while another is finished
(:mod:`engine.session.overlap` measures both ways and keeps the better). Overlapped, the
session reads the next frame ahead while the forward passes end
(:mod:`engine.session.read_ahead`).
A command waits until the worker is idle, so it always acts on the last frame whole; after
the last queued command, rows that came on screen are filled from the last frame at once
(:meth:`Session.refill`).

With ``may_step`` the runner holds the next step back while the window is behind (a view is
already waiting for it): the engine then makes no frame only to be dropped, and the frame it
makes next is fresh when the window can take it. It holds for :data:`HOLD_S` at most, so a
window that stops taking views never stops the stream.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from engine.pipeline import MEASURE_NICE, Pipeline
from engine.session.messages import Failed
from engine.session.overlap import Overlap
from engine.session.session import Session

STOP = "stop"  # put in the queue after setting ``stop``, to wake a loop waiting for commands
MEASURED = "measured"  # put in the queue by the measures' worker after each frame's measures
HOLD_S = 0.1   # the longest a step is held back for a window that is behind
POLL_S = 0.002  # how often a held step asks again


def run(session: Session, inbox: queue.Queue, stop: threading.Event,
        on_events: Callable[[list], None], on_shown: Callable[[object], None],
        may_step: Callable[[], bool] | None = None) -> None:
    """Run ``session`` until ``stop`` is set (see the module docstring)."""
    session.cancel = stop.is_set  # a long job (a shift probe) stops between forward passes

    def done(finished) -> None:
        shown, events = finished
        on_events(events)
        if shown is not None:
            on_shown(shown)

    def failed(e: Exception) -> None:
        on_events([Failed(f"{type(e).__name__}: {e}")])

    def measured(finished) -> None:
        done(finished)
        inbox.put(MEASURED)

    finisher = Pipeline(done, failed)
    overlap = Overlap()
    measurer = Pipeline(measured, failed, name="measure", nice=MEASURE_NICE)
    try:
        on_events(_guard(session.start))
        held_since, after_command = None, False
        while not stop.is_set():
            wait = session.next_step_in()
            holding = False
            # the step right after a command is never held: its view replaces the waiting one
            if wait == 0 and not after_command and may_step is not None and not may_step():
                held_since = held_since or time.monotonic()
                holding = time.monotonic() - held_since < HOLD_S
            else:
                held_since = None
            command = _next_command(inbox, POLL_S if holding else wait)
            if command not in (None, MEASURED) or wait is None or wait > POLL_S:
                overlap.interrupted()   # a command or an idle wait is no step period
            if stop.is_set() or command == STOP:
                break
            if command == MEASURED:
                # measures came in: if no step is coming (a frozen frame settled, a stream
                # that ended), the last frame's view again, with them
                again = session.refill(always=True) if session.next_step_in() is None else None
                if again is not None:
                    finisher.put(again)
                continue
            if command is not None:
                finisher.drain()  # the command acts on the last frame, mosaics and all
                measurer.drain()  # ... and its measures (a new engine never meets an old tick)
                engine, source = session.engine, session.source
                on_events(_guard(session.handle, command))
                if session.engine is not engine or session.source is not source:
                    overlap = Overlap()   # another network or source: both rates anew
                refill = session.refill() if inbox.empty() else None
                if refill is not None:  # rows that came on screen, from the last frame
                    finisher.put(refill)
                after_command = True
                continue  # every queued command before the next step
            if holding:
                continue
            held_since, after_command = None, False
            began = time.monotonic()
            in_turn = overlap.started(began)
            session.halves = (in_turn, overlap.settled)
            finish, events, measure = session.begin_step()
            on_events(events)
            if finish is not None and in_turn:
                finisher.run_here(finish)
            elif finish is not None:
                finisher.put(_aged(finish, overlap, began))
            if measure is not None:   # the frame's live measures, unless some are still running
                measurer.offer(measure)
    finally:
        finisher.close()
        measurer.close()
        session.close()


def _aged(finish, overlap: Overlap, began: float):
    """``finish``, telling ``overlap`` how long after ``began`` (the step's start) its frame was
    handed over."""
    def job():
        out = finish()
        overlap.handed(time.monotonic() - began)
        return out
    return job


def _next_command(inbox: queue.Queue, wait: float | None):
    """The next command, waiting up to ``wait`` s (0: not at all; None: until one comes), or
    None."""
    try:
        return inbox.get_nowait() if wait == 0 else inbox.get(timeout=wait)
    except queue.Empty:
        return None


def _guard(call, *args) -> list:
    """``call(*args)``'s events; a bug in one command (or the start) is reported as a
    ``Failed`` and the loop goes on."""
    try:
        return call(*args)
    except Exception as e:  # noqa: BLE001 - the session must outlive any one command
        return [Failed(f"{type(e).__name__}: {e}")]
