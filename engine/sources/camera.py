"""A camera read by OpenCV in its own thread; the consumer always gets the newest frame.

Once started, the reader thread owns the ``cv2.VideoCapture`` and releases it when it
exits, so ``close()`` never releases a capture that another thread is still reading from,
and opening never blocks longer than ``read_timeout`` on a camera that sends nothing.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from engine.errors import SourceError
from engine.sources.frames import Frame, FrameSource, LatestSlot, check_open

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")  # before cv2 loads (frames.py did too)
import cv2  # noqa: E402

#: Consecutive failed ``capture.read()`` calls after which the camera counts as gone.
FAILS_BEFORE_UNPLUGGED = 10
_RETRY_PAUSE = 0.01
_FPS_WINDOW = 1.0  # seconds of capture times behind measured_fps


class CameraSource(FrameSource):
    """Frames from an OpenCV capture device, newest first (older ones are dropped).

    Parameters
    ----------
    device : int or str
        Camera index (``0``), or a device path / URL / video file (tests use a file).
    size : (width, height) or None
        Requested resolution; ``size`` reports what the camera really delivers.
    capture_factory : callable
        ``capture_factory(device)`` returns an object with ``isOpened()``, ``read()``,
        ``set()`` and ``release()``; ``cv2.VideoCapture`` by default.
    read_timeout : float
        Seconds opening and ``read()`` wait for a frame before giving up.

    Raises
    ------
    SourceError
        ``"camera N: could not be opened"`` when the capture does not open or sends no
        first frame within ``read_timeout``.
    """

    live = True

    def __init__(
        self,
        device: int | str = 0,
        size: tuple[int, int] | None = (640, 480),
        capture_factory: Callable[[Any], Any] = cv2.VideoCapture,
        read_timeout: float = 2.0,
    ) -> None:
        self.device = device
        self.name = f"camera:{device}" if isinstance(device, int) else str(device)
        self._label = f"camera {device}" if isinstance(device, int) else str(device)
        self.requested_size = size
        self.read_timeout = float(read_timeout)
        self._slot = LatestSlot()
        self._stop = threading.Event()
        self._failure: str | None = None
        self._times: deque[float] = deque(maxlen=1000)
        self._last_index = -1
        self._closed = False
        self._thread: threading.Thread | None = None
        try:
            capture = capture_factory(device)
        except Exception as e:  # e.g. cv2.error for a malformed device string
            raise SourceError(f"{self._label}: could not be opened ({e})") from None
        if capture is None or not capture.isOpened():
            _release(capture)
            raise SourceError(f"{self._label}: could not be opened")
        if size is not None:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, int(size[0]))
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, int(size[1]))
        self._thread = threading.Thread(target=self._run, args=(capture,),
                                        name=f"poolscope-{self.name}", daemon=True)
        self._thread.start()
        first = self._slot.wait(-1, self.read_timeout)  # leaves it for the first read()
        if first is None:
            why = "no first frame" if self._failure else f"no frame in {self.read_timeout:g} s"
            self.close()
            raise SourceError(f"{self._label}: could not be opened ({why})")
        self._size = (first.image.shape[1], first.image.shape[0])

    def _run(self, capture: Any) -> None:
        """Reader thread: read continuously into the slot until stopped or failing."""
        index = fails = 0
        try:
            while not self._stop.is_set():
                try:
                    ok, bgr = capture.read()
                except Exception as e:  # a driver error ends the stream like an unplug
                    self._failure = f"read raised {type(e).__name__}"
                    return
                if ok and bgr is not None and bgr.size:
                    fails = 0
                    now = time.monotonic()
                    self._slot.put(Frame(_to_rgb(bgr), index, now))
                    self._times.append(now)
                    index += 1
                    continue
                fails += 1
                if fails >= FAILS_BEFORE_UNPLUGGED:
                    self._failure = f"{fails} reads in a row failed"
                    return
                time.sleep(_RETRY_PAUSE)
        finally:
            self._slot.close()  # wake a waiting read() at once
            _release(capture)

    def read(self) -> Frame:
        """Return the newest frame not yet returned, waiting up to ``read_timeout``.

        Raises
        ------
        SourceError
            ``"camera N: stopped delivering frames (unplugged?)"`` once the reader saw
            the capture fail or nothing arrived within ``read_timeout``.
        """
        check_open(self, self._closed)
        frame = self._slot.get_newer(self._last_index, self.read_timeout)
        if frame is None:
            if self._failure is not None:
                raise SourceError(f"{self._label}: stopped delivering frames (unplugged?)")
            raise SourceError(f"{self._label}: stopped delivering frames "
                              f"(none for {self.read_timeout:g} s)")
        self._last_index = frame.index
        return frame

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) the camera really delivers (may differ from ``requested_size``)."""
        return self._size

    @property
    def dropped(self) -> int:
        """Frames the camera delivered that were replaced before ``read()`` took them."""
        return self._slot.dropped

    @property
    def measured_fps(self) -> float | None:
        """Capture rate over about the last second, or None before two frames arrived."""
        times = list(self._times)
        if len(times) < 2:
            return None
        recent = [t for t in times if t >= times[-1] - _FPS_WINDOW] or times
        if len(recent) < 2:
            recent = times[-2:]
        span = recent[-1] - recent[0]
        return (len(recent) - 1) / span if span > 0 else None

    def close(self) -> None:
        """Stop the reader (event + join); the reader releases the capture as it exits."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._slot.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.read_timeout + 1.0)


def _release(capture: Any) -> None:
    if capture is None:
        return
    try:
        capture.release()
    except Exception:  # releasing a dead device must not hide the real error
        pass


def _to_rgb(image: np.ndarray) -> np.ndarray:
    """A captured image (BGR, grey or BGRA; 8 or 16 bit) -> fresh (H, W, 3) uint8 RGB."""
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / 65535.0)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def list_cameras(max_index: int = 5) -> list[int]:
    """Return the camera indices below ``max_index`` that open and deliver a frame.

    Parameters
    ----------
    max_index : int
        How many indices to probe (0 .. max_index-1).

    Returns
    -------
    list of int
        Working indices; empty without a camera. Quiet: OPENCV_LOG_LEVEL is set.
    """
    found = []
    for index in range(max_index):
        capture = cv2.VideoCapture(index)
        try:
            if capture.isOpened() and capture.read()[0]:
                found.append(index)
        finally:
            capture.release()
    return found
