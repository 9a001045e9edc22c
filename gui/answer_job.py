"""An on-demand answer of ``ask`` as a job of its own: a child process (so the display never
waits and Cancel stops it at once), polled from the Qt event loop, with progress shown as the
time spent against the time the question usually takes."""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import time

from PySide6.QtCore import QObject, QTimer, Signal

from engine import ask_into

POLL_MS = 100


class AnswerJob(QObject):
    """``answered(Answer)``, ``failed(str)``, ``progress(float in 0..1)``."""

    answered = Signal(object)
    failed = Signal(str)
    progress = Signal(float)
    elapsed = Signal(float, float)   # seconds spent, seconds it usually takes

    def __init__(self, parent=None):
        super().__init__(parent)
        self._ctx = mp.get_context("spawn")
        self._proc = None
        self._queue = None
        self._t0 = 0.0
        self._expected = 1.0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self._proc is not None

    def start(self, name: str, setup, expected_s: float) -> None:
        """Answer ``name`` on ``setup`` (an ``engine.Setup``); a job already running stops."""
        self.cancel()
        self._queue = self._ctx.Queue()
        self._proc = self._ctx.Process(target=ask_into, args=(self._queue, name, setup),
                                       daemon=True)
        self._proc.start()
        self._t0, self._expected = time.monotonic(), max(0.5, float(expected_s))
        self.progress.emit(0.0)
        self._timer.start()

    def cancel(self) -> None:
        """Stop the job now (nothing is reported)."""
        self._timer.stop()
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.terminate()
            self._proc.join(timeout=2)
        self._proc = None
        self._queue = None

    def _poll(self) -> None:
        try:
            kind, value = self._queue.get_nowait()
        except queue_mod.Empty:
            if not self._proc.is_alive():
                self.cancel()
                self.failed.emit("the answer's process ended without an answer")
                return
            spent = time.monotonic() - self._t0
            self.progress.emit(min(0.95, spent / self._expected))
            self.elapsed.emit(spent, self._expected)
            return
        self.cancel()
        self.progress.emit(1.0)
        if kind == "answer":
            self.answered.emit(value)
        else:
            self.failed.emit(value)
