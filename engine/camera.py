"""A camera read by OpenCV in its own thread; the consumer always gets the newest frame."""

from __future__ import annotations

import os
import threading
import time
from collections import deque

import numpy as np

from engine.errors import SourceError
from engine.frames import Frame, FrameSource, LatestSlot, check_open

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402

FAILS_BEFORE_UNPLUGGED = 10


class CameraSource(FrameSource):
    """Frames from an OpenCV capture device (a camera index, or anything VideoCapture opens).

    Parameters
    ----------
    device : int or str
        Camera index (``0``) or, for tests, a video path the capture can open.
    size : (width, height), optional
        Requested resolution; ``size`` reports what the camera really gave.
    capture_factory : callable
        Makes the capture object (``cv2.VideoCapture`` by default).
    read_timeout : float
        Seconds ``read()`` waits for a frame before calling the camera absent.
    """

    live = True

    def __init__(self, device: int | str = 0, size: tuple[int, int] | None = (640, 480),
                 capture_factory=cv2.VideoCapture, read_timeout: float = 2.0):
        self.name = f"camera:{device}" if isinstance(device, int) else str(device)
        self._label = f"camera {device}" if isinstance(device, int) else str(device)
        self.requested_size = size
        self.read_timeout = read_timeout
        self._cap = capture_factory(device)
        if self._cap is None or not self._cap.isOpened():
            self._release()
            raise SourceError(f"{self._label}: could not be opened")
        if size is not None:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        ok, first = self._cap.read()
        if not ok or first is None:
            self._release()
            raise SourceError(f"{self._label}: could not be opened (no first frame)")
        self._size = (first.shape[1], first.shape[0])
        self._slot = LatestSlot()
        self._stop = threading.Event()
        self._failed = threading.Event()
        self._times: deque[float] = deque(maxlen=30)
        self._count = 0
        self._last_index = -1
        self._closed = False
        self._put(first)
        self._thread = threading.Thread(target=self._run, name=f"poolscope-{self.name}",
                                        daemon=True)
        self._thread.start()

    def _put(self, bgr: np.ndarray) -> None:
        now = time.monotonic()
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if bgr.ndim == 3 else cv2.cvtColor(
            bgr, cv2.COLOR_GRAY2RGB)
        self._slot.put(Frame(np.ascontiguousarray(rgb), self._count, now))
        self._times.append(now)
        self._count += 1

    def _run(self) -> None:
        fails = 0
        while not self._stop.is_set():
            try:
                ok, bgr = self._cap.read()
            except cv2.error:
                ok, bgr = False, None
            if ok and bgr is not None:
                fails = 0
                self._put(bgr)
                continue
            fails += 1
            if fails >= FAILS_BEFORE_UNPLUGGED:
                self._failed.set()
                self._slot.close()
                return
            time.sleep(0.01)

    def read(self) -> Frame:
        """The newest frame not yet returned (waits up to ``read_timeout``)."""
        check_open(self, self._closed)
        frame = self._slot.get_newer(self._last_index, self.read_timeout)
        if frame is None:
            if self._failed.is_set():
                raise SourceError(f"{self._label}: stopped delivering frames (unplugged?)")
            raise SourceError(f"{self._label}: no frame for {self.read_timeout:g} s")
        self._last_index = frame.index
        return frame

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def dropped(self) -> int:
        """Frames the camera delivered that nobody took (newest wins)."""
        return self._slot.dropped

    @property
    def measured_fps(self) -> float | None:
        """Capture rate over the last frames, or None before there are two."""
        t = list(self._times)
        if len(t) < 2 or t[-1] == t[0]:
            return None
        return (len(t) - 1) / (t[-1] - t[0])

    def close(self) -> None:
        if getattr(self, "_closed", True):
            return
        self._closed = True
        self._stop.set()
        self._slot.close()
        self._thread.join(timeout=2.0)
        self._release()

    def _release(self) -> None:
        cap, self._cap = getattr(self, "_cap", None), None
        if cap is not None:
            try:
                cap.release()
            except cv2.error:
                pass


def list_cameras(max_index: int = 5) -> list[int]:
    """Indices of the cameras that actually open and deliver a frame."""
    found = []
    for i in range(max_index):
        cap = cv2.VideoCapture(i)
        try:
            if cap.isOpened() and cap.read()[0]:
                found.append(i)
        finally:
            cap.release()
    return found
