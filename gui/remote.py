"""The session in a process of its own, behind the same :class:`gui.transport.Transport`.

Python runs one thread at a time, and PySide6 holds that lock while Qt paints. In one process
the window's painting and the engine's Python therefore take turns: measured at 224x224, the
window showed 14-19 frames/s while the engine alone stepped 18-24. A second process has its own
lock: with the window replaying 60 frames/s in one process, the engine stepped as fast in
another as it did alone.

The child (spawned, so nothing of Qt is forked) runs :func:`engine.serve_session`, which
imports no Qt; the messages and the newest-view-wins rule are described there. A view's images
come through shared memory, not the pipe (:class:`engine.ShownReceiver`). A child that
dies unasked is reported and started again, on the network settings it last announced and the
source it last opened, and told again what the window had set: the view, the viewport, the
mirror and the zoomed channel.
"""

from __future__ import annotations

import multiprocessing as mp
import threading

from engine import (
    KEEP,
    EngineConfig,
    Mirror,
    SetView,
    ShownReceiver,
    SourceInfo,
    Viewport,
    Zoom,
    serve_session,
    unpack_shown,
)
from gui.transport import TransportSignals

# what a restarted child is told again, the newest of each (the live probes are not: the
# window itself starts them afresh on every EngineInfo, as it does after a restart)
KEPT = (Viewport, Mirror, Zoom)


class ProcessTransport(TransportSignals):
    """The session in a child process (see the module docstring)."""

    def __init__(self, config: EngineConfig, source: str | None = None):
        super().__init__(config)
        self._source = source
        self._lock = threading.Lock()
        self._latest = None
        self._last = None
        self._conn = None
        self._process = None
        self._reader = None
        self._receiver = ShownReceiver()   # the images of each view, from shared memory
        self._stopping = False
        self._kept: dict[type, object] = {}  # what a restarted child is told again
        self._view: dict[str, object] = {}   # SetView fields, the newest of each
        self.child_qt_modules: list[str] | None = None  # what the child imported of Qt, at its end

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self._conn = parent
        self._process = ctx.Process(target=serve_session, args=(child, self.config, self._source),
                                    name="poolscope-session", daemon=True)
        self._process.start()
        self.pid = self._process.pid
        child.close()
        self._reader = threading.Thread(target=self._read, name="poolscope-session-reader",
                                        daemon=True)
        self._reader.start()

    def running(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Ask the child to stop and wait for it; True if it ended in time."""
        if self._process is None:
            return True
        self._stopping = True
        self._send("stop")
        self._process.join(timeout_s)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(1.0)
        if self._reader is not None:
            self._reader.join(1.0)
        ended = not self._process.is_alive()
        self._conn.close()
        self._receiver.close()
        return ended

    # -- the transport ----------------------------------------------------------------------
    def send(self, command) -> None:
        self._sending(command)
        if isinstance(command, KEPT):
            self._kept[type(command)] = command
        elif isinstance(command, SetView):
            self._view.update({k: v for k, v in vars(command).items() if v is not KEEP})
        self._send("command", command)

    def deliver(self, events) -> None:
        for event in events:
            if isinstance(event, SourceInfo):
                self._source = event.spec  # what opened: what a restarted child opens
        super().deliver(events)

    def _restart(self) -> None:
        self._last = None
        self.start()
        if self._view:
            self._send("command", SetView(**self._view))
        for command in self._kept.values():
            self._send("command", command)

    def take_latest(self):
        with self._lock:
            shown, self._latest = self._latest, None
        if shown is not None:
            self._send("taken")
        return shown

    # -- internals --------------------------------------------------------------------------
    def _send(self, *msg) -> None:
        try:
            if self._conn is not None:
                self._conn.send(msg)
        except (OSError, EOFError, BrokenPipeError):
            pass  # the child is gone; the reader reports it

    def _read(self) -> None:
        while True:
            try:
                msg = self._conn.recv()
            except (OSError, EOFError):
                if not self._stopping:  # not asked to: it crashed or was killed
                    self._process.join(1.0)
                    self.failed.emit(f"the engine process ended unexpectedly (exit code "
                                     f"{self._process.exitcode}); restarting it")
                    self._conn.close()
                    self._restart()  # a new reader thread takes over
                return
            kind = msg[0]
            if kind == "stopped":
                self.child_qt_modules = msg[1]
                return
            if kind == "hello":
                self.pid = msg[1]
            elif kind == "shown":
                try:
                    shown = unpack_shown(self._receiver.unpack(msg[1]), self._last)
                except Exception as e:  # noqa: BLE001 - one unreadable view: say so, go on
                    self.failed.emit(f"cannot read a view from the engine: {type(e).__name__}: {e}")
                    self._send("taken")    # the child sends the next one only after this
                    continue
                self._last = shown
                with self._lock:
                    self._latest = shown
                self.result_ready.emit()
            elif kind == "events":
                self.deliver(msg[1])
            else:
                self.failed.emit(f"unknown message from the session: {kind!r}")
