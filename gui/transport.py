"""The window's link to its session: one :class:`Transport` protocol, two transports.

The widgets talk only to a transport: they ``send`` frozen commands
(:mod:`engine.session.commands`), take the newest view with ``take_latest`` when
``result_ready`` fires, and listen to one signal per kind of event. :class:`ThreadTransport`
runs the session in a thread of this process; :class:`gui.remote.ProcessTransport` runs it in a
child process with no Qt (the default). Both run the same loop (:func:`engine.run_session`).
"""

from __future__ import annotations

import queue
import threading
import weakref
from dataclasses import replace
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from engine import (
    STOP,
    Answered,
    EngineConfig,
    EngineInfo,
    EngineRated,
    Exported,
    Failed,
    ProbeDone,
    Session,
    Shown,
    SourceInfo,
    Viewport,
    run_session,
)


class Transport(Protocol):
    """What a window needs of the link to its session.

    Signals: ``result_ready()`` (a :class:`engine.Shown` waits: call :meth:`take_latest`),
    ``failed(str)``, ``engine_changed(EngineInfo)``, ``source_changed(SourceInfo)``,
    ``exported(str)`` (a folder), ``probe_ready(ProbeResult or None)``, ``engine_rated(int,
    float, bool, bool)`` (frames, seconds, bare, busy), ``answered(Answer)``.
    """

    config: EngineConfig   # the settings the session's engine runs with, as last announced
    pid: int | None        # the session's process, if it has one of its own

    def start(self) -> None: ...
    def send(self, command) -> None: ...
    def take_latest(self) -> Shown | None: ...
    def running(self) -> bool: ...
    def stop(self, timeout_s: float = 5.0) -> bool: ...


class TransportSignals(QObject):
    """The signals of every transport, and the one place events become signals."""

    result_ready = Signal()
    failed = Signal(str)
    engine_changed = Signal(object)
    source_changed = Signal(object)
    exported = Signal(str)
    probe_ready = Signal(object)
    engine_rated = Signal(int, float, bool, bool)   # frames, seconds, bare passes only, busy
    answered = Signal(object)

    instances: weakref.WeakSet = weakref.WeakSet()  # lets tests check none is left running

    def __init__(self, config: EngineConfig):
        super().__init__()
        TransportSignals.instances.add(self)
        self.config = config
        self.pid: int | None = None
        self._side: int | None = None  # the last Viewport's side: the session follows it
        self.engine_changed.connect(self._track)
        self._emit = {
            EngineInfo: self.engine_changed.emit, SourceInfo: self.source_changed.emit,
            Failed: lambda e: self.failed.emit(e.message),
            Exported: lambda e: self.exported.emit(e.folder),
            ProbeDone: lambda e: self.probe_ready.emit(e.result),
            EngineRated: lambda e: self.engine_rated.emit(e.frames, e.seconds, e.bare, e.busy),
            Answered: lambda e: self.answered.emit(e.answer),
        }

    def deliver(self, events) -> None:
        """Emit each event as its signal (from any thread: Qt queues it to the window)."""
        for event in events:
            emit = self._emit.get(type(event))
            if emit is None:
                self.failed.emit(f"unknown event from the session: {event!r}"[:300])
            else:
                emit(event)

    def _sending(self, command) -> None:
        if isinstance(command, Viewport):  # the size the window asked for, known at once
            self._side = int(command.side)
            self.config = replace(self.config, max_side=self._side)

    def _track(self, info: EngineInfo) -> None:
        # an announcement made before the session took the last Viewport carries the old side
        side = info.config.max_side if self._side is None else self._side
        self.config = replace(info.config, max_side=side)


class ThreadTransport(TransportSignals):
    """The session in a thread of the window's process (``MainWindow(engine_process=False)``):
    a stop event, a wake-up, then a join; never a kill."""

    def __init__(self, config: EngineConfig, source: str | None = None):
        super().__init__(config)
        self._source = source
        self._inbox: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._latest: Shown | None = None
        self._notified = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        session = Session(self.config, self._source)
        self._thread = threading.Thread(
            target=run_session, args=(session, self._inbox, self._stop, self.deliver,
                                      self._put), name="poolscope-session", daemon=True)
        self._thread.start()

    def send(self, command) -> None:
        self._sending(command)
        self._inbox.put(command)

    def take_latest(self) -> Shown | None:
        with self._lock:
            shown, self._latest, self._notified = self._latest, None, False
        return shown

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout_s: float = 5.0) -> bool:
        self._stop.set()
        self._inbox.put(STOP)
        if self._thread is not None:
            self._thread.join(timeout_s)
        return not self.running()

    def _put(self, shown: Shown) -> None:
        """A slot of size one: only the newest view waits; the window is told once."""
        with self._lock:
            self._latest = shown
            notify = not self._notified
            self._notified = True
        if notify:
            self.result_ready.emit()
