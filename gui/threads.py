"""Running the engine's worker in a QThread, and stopping it cleanly."""

from __future__ import annotations

import weakref

from PySide6.QtCore import QThread

from gui.worker import EngineWorker


class WorkerThread:
    """Starts the worker in a QThread and stops it cleanly: stop event, quit(), wait()."""

    instances: weakref.WeakSet = weakref.WeakSet()  # lets tests check none is left running

    def __init__(self, worker: EngineWorker):
        WorkerThread.instances.add(self)
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName("poolscope-engine")
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.start)
        self.thread.finished.connect(worker.shutdown)

    def start(self) -> None:
        self.thread.start()

    def running(self) -> bool:
        return self.thread.isRunning()

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Stop the loop and join the thread; True if it ended in time."""
        self.worker.stop()
        self.thread.quit()
        return self.thread.wait(timeout_ms)
