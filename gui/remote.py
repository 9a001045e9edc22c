"""The engine in a process of its own, behind the same interface as :class:`EngineWorker`.

Python runs one thread at a time, and PySide6 holds that lock while Qt paints. In one process
the window's painting and the engine's Python therefore take turns: measured at 224x224, the
window showed 14-19 frames/s while the engine alone stepped 18-24. A second process has its own
lock: with the window replaying 60 frames/s in one process, the engine stepped as fast in
another as it did alone.

:class:`RemoteWorker` lives in the GUI process and has :class:`EngineWorker`'s signals and
``post`` / ``take_latest`` / ``stop``. The child process (spawned, so no Qt state is forked) runs
an ordinary :class:`EngineWorker` under a ``QCoreApplication`` and forwards its signals through a
pipe. Results keep the slot of size one across the pipe: the child sends a result only after
the window took the previous one, always the newest.
"""

from __future__ import annotations

import copyreg
import dataclasses
import multiprocessing as mp
import threading
import types

from engine import EngineConfig
from gui.messages import WorkerSignals
from gui.threads import WorkerThread

SIGNALS = ("failed", "engine_changed", "source_changed", "exported", "probe_ready",
           "engine_rated")


def _proxy(d: dict) -> types.MappingProxyType:
    return types.MappingProxyType(d)


def _mappingproxy(m):
    return _proxy, (dict(m),)


copyreg.pickle(types.MappingProxyType, _mappingproxy)  # FrameResult and Measures use them


class _Same:
    """Marks a value the child sent before (kept by identity, so the window redraws only what
    changed, exactly as it does in one process)."""

    def __reduce__(self):
        return "SAME"  # unpickles as this module's SAME, so ``is SAME`` holds across the pipe


SAME = _Same()


def _mark(new, old, names):
    """Dataclass ``new`` with each field in ``names`` that holds ``old``'s very object as SAME."""
    same = {n: SAME for n in names
            if getattr(new, n) is not None and getattr(new, n) is getattr(old, n)}
    return dataclasses.replace(new, **same) if same else new


def _restore(new, old, names):
    """Undo :func:`_mark`: each SAME field of ``new`` takes ``old``'s object back."""
    back = {n: getattr(old, n) for n in names if getattr(new, n) is SAME}
    return dataclasses.replace(new, **back) if back else new


def _probe_fields(probes) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(probes))


def _pack(shown, last):
    """The Shown to send: its lookup table, measures and probe answers unchanged since
    ``last`` (the Shown sent before, or None) become SAME."""
    if last is None:
        return shown
    result = _mark(shown.result, last.result, ("measures",))
    probes = shown.probes
    if probes is not None and last.probes is not None:
        probes = _mark(probes, last.probes, _probe_fields(probes))
    return _mark(dataclasses.replace(shown, result=result, probes=probes), last, ("lut",))


def _unpack(shown, last):
    """Undo :func:`_pack` with ``last``, the Shown received before (or None)."""
    if last is None:
        return shown
    result = _restore(shown.result, last.result, ("measures",))
    probes = shown.probes
    if probes is not None and last.probes is not None:
        probes = _restore(probes, last.probes, _probe_fields(probes))
    return _restore(dataclasses.replace(shown, result=result, probes=probes), last, ("lut",))


def _child(conn, config: EngineConfig, source: str | None) -> None:
    """The engine process: an EngineWorker in its own event loop, wired to the pipe."""
    import os

    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

    from gui.worker import EngineWorker

    app = QCoreApplication.instance() or QCoreApplication([])
    worker = EngineWorker(config, source)
    send_lock = threading.Lock()

    def send(*msg) -> None:
        with send_lock:
            try:
                conn.send(msg)
            except (OSError, EOFError, BrokenPipeError):
                worker.stop()
                app.quit()

    class Bridge(QObject):
        taken = Signal()
        quit = Signal()

        def __init__(self):
            super().__init__()
            self.ready, self.last = True, None
            self.taken.connect(self.on_taken)
            self.quit.connect(self.on_quit)

        @Slot()
        def on_result(self) -> None:
            if self.ready:
                shown = worker.take_latest()
                if shown is not None:
                    self.ready = False
                    send("shown", _pack(shown, self.last))
                    self.last = shown

        @Slot()
        def on_taken(self) -> None:
            self.ready = True
            self.on_result()

        @Slot()
        def on_quit(self) -> None:
            worker.stop()
            worker.shutdown()
            app.quit()

    bridge = Bridge()
    worker.result_ready.connect(bridge.on_result)
    for name in SIGNALS:
        getattr(worker, name).connect(lambda *args, name=name: send(name, *args))

    def read() -> None:
        while True:
            try:
                msg = conn.recv()
            except (OSError, EOFError):
                msg = ("stop",)
            if msg[0] == "stop":
                bridge.quit.emit()
                return
            if msg[0] == "taken":
                bridge.taken.emit()
            else:
                worker.post(*msg)

    threading.Thread(target=read, name="poolscope-engine-pipe", daemon=True).start()
    worker.start()
    app.exec()
    send("stopped")


class RemoteWorker(WorkerSignals):
    """:class:`EngineWorker`'s interface, the engine running in a child process.

    ``config`` mirrors the child's settings (from ``engine_changed``, and ``max_side`` as
    posted); ``source`` is what a restarted engine opens.
    """

    def __init__(self, config: EngineConfig, source: str | None = None):
        super().__init__()
        self.config = dataclasses.replace(config)
        self._source = source
        self._lock = threading.Lock()
        self._latest = None
        self._last = None
        self._conn = None
        self._process = None
        self._reader = None
        self._stopping = False
        self.engine_changed.connect(self._track_config)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self._conn = parent
        self._process = ctx.Process(target=_child, args=(child, self.config, self._source),
                                    name="poolscope-engine", daemon=True)
        self._process.start()
        child.close()
        self._reader = threading.Thread(target=self._read, name="poolscope-engine-reader",
                                        daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int | None:
        """The engine process's id (None before start)."""
        return self._process.pid if self._process is not None else None

    def is_running(self) -> bool:
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
        return ended

    # -- the EngineWorker interface -----------------------------------------------------------
    def post(self, command: str, payload=None) -> None:
        if command == "max_side":
            self.config.max_side = int(payload)
        elif command == "source":
            self._source = payload  # what a restarted engine opens
        self._send(command, payload)

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
                    self._last = None
                    self.start()  # a new reader thread takes over
                return
            kind, args = msg[0], msg[1:]
            if kind == "stopped":
                return
            if kind == "shown":
                shown = self._last = _unpack(args[0], self._last)
                with self._lock:
                    self._latest = shown
                self.result_ready.emit()
            else:
                getattr(self, kind).emit(*args)

    def _track_config(self, info) -> None:
        self.config = dataclasses.replace(info.config)


class ProcessThread:
    """:class:`gui.threads.WorkerThread`'s interface for a :class:`RemoteWorker`."""

    def __init__(self, worker: RemoteWorker):
        WorkerThread.instances.add(self)  # the same check that nothing is left running
        self.worker = worker

    def start(self) -> None:
        self.worker.start()

    def running(self) -> bool:
        return self.worker.is_running()

    def stop(self, timeout_ms: int = 5000) -> bool:
        return self.worker.stop(timeout_ms / 1000.0)
