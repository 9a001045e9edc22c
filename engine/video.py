"""A video file read by OpenCV: at its own frame rate or as fast as asked, looping, seekable."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from engine.errors import SourceError
from engine.frames import EndOfStream, Frame, FrameSource, Pacer, check_open

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402

VIDEO_EXTENSIONS = {".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".wmv"}


class VideoSource(FrameSource):
    """Frames of a video file; ``Frame.index`` is the frame's position in the file.

    Parameters
    ----------
    path : str or Path
        The file.
    realtime : bool
        Pace ``read()`` to the file's frame rate, skipping frames when the reader is late;
        False reads as fast as asked.
    loop : bool
        Start again at the end; False raises :class:`EndOfStream` there.
    """

    live = False

    def __init__(self, path: str | os.PathLike, realtime: bool = True, loop: bool = True):
        self.name = str(path)
        self.path = Path(path)
        self.realtime, self.loop = realtime, loop
        _check_file(self.path, self.name)
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"{self.name}: not an image or video OpenCV can read")
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise SourceError(f"{self.name}: video has no frames (or is truncated)")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and math.isfinite(fps) and fps > 0 else 30.0
        self.frame_count = max(0, int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        self._size = (first.shape[1], first.shape[0])
        self._pending: tuple[int, np.ndarray] | None = (0, first)
        self._next_index = 1
        self._pacer = Pacer(self.fps)
        self._started: float | None = None
        self._closed = False

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def position(self) -> int:
        """Index of the next frame ``step()`` returns."""
        return self._pending[0] if self._pending else self._next_index

    def _grab_next(self) -> tuple[int, np.ndarray]:
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            if self._next_index == 0:
                raise SourceError(f"{self.name}: video has no frames")
            if not self.loop:
                raise EndOfStream(f"{self.name}: end of video")
            self._rewind(0)
            return self._grab_next()
        index = self._next_index
        self._next_index += 1
        return index, bgr

    def _rewind(self, index: int) -> None:
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        self._next_index = index
        self._pending = None

    def step(self) -> Frame:
        """The next frame in the file, regardless of pacing."""
        check_open(self, self._closed)
        index, bgr = self._grab_next()
        return Frame(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)), index,
                     time.monotonic())

    def read(self) -> Frame:
        """The next frame; with ``realtime``, the frame due now at the file's frame rate."""
        if self.realtime:
            now = time.monotonic()
            if self._started is None:
                self._started = now - self.position / self.fps
            due = int((now - self._started) * self.fps)
            behind = due - self.position
            if behind > 1 and self.frame_count and behind < self.frame_count:
                for _ in range(behind - 1):  # late: skip without decoding
                    if self._pending is not None:
                        self._pending = None
                    elif not self._cap.grab():
                        break
                    else:
                        self._next_index += 1
            elif behind < 0:
                time.sleep(min(1.0, -behind / self.fps))
        frame = self.step()
        if self.realtime and frame.index == 0:
            self._started = time.monotonic()
        return frame

    def seek(self, index: int) -> None:
        """Make frame ``index`` (clamped to the file) the next one read."""
        check_open(self, self._closed)
        last = self.frame_count - 1 if self.frame_count else index
        index = int(min(max(0, index), max(0, last)))
        self._rewind(index)
        self._started = None

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            self._cap.release()


def _check_file(path: Path, name: str) -> None:
    if not path.exists():
        raise SourceError(f"{name}: no such file")
    if path.is_dir():
        raise SourceError(f"{name}: is a folder")
    if path.stat().st_size == 0:
        raise SourceError(f"{name}: file is empty (0 bytes)")
