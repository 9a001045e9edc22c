"""A video file read by OpenCV: at its own frame rate or as fast as asked, looping, seekable."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from engine.errors import SourceError
from engine.sources.frames import EndOfStream, Frame, FrameSource, check_open

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402

_RESYNC_AFTER = 1.0  # seconds late after which realtime playback resumes instead of skipping
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
        self._anchor: tuple[float, int] | None = None  # (time, index): when index is due
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
        """The next frame; with ``realtime``, the frame due now at the file's frame rate.

        A reader that is early sleeps until the next frame is due; one that is late skips
        the frames it missed with ``grab()`` (no decoding); one that paused for over a
        second resumes where it stopped instead of jumping.
        """
        check_open(self, self._closed)
        if not self.realtime:
            return self.step()
        now = time.monotonic()
        if self._anchor is None:
            self._anchor = (now, self.position)
        late = now - self._due(self.position)
        if late > _RESYNC_AFTER:
            self._anchor = (now, self.position)
        elif late < 0:
            time.sleep(-late)
        else:
            for _ in range(int(late * self.fps)):  # frames whose time has passed
                if not self._skip():
                    break
        expected = self.position
        frame = self.step()
        if frame.index != expected:  # looped back to the start
            self._anchor = (frame.timestamp, frame.index)
        return frame

    def _due(self, index: int) -> float:
        t0, i0 = self._anchor  # type: ignore[misc]
        return t0 + (index - i0) / self.fps

    def _skip(self) -> bool:
        """Pass over the next frame without decoding it; False at the end of the file."""
        if self._pending is not None:
            self._pending = None
            return True
        if self.frame_count and self._next_index >= self.frame_count - 1:
            return False  # keep the last frame for step(), which handles the end
        if not self._cap.grab():
            return False
        self._next_index += 1
        return True

    def seek(self, index: int) -> None:
        """Make frame ``index`` (clamped to the file) the next one read."""
        check_open(self, self._closed)
        last = self.frame_count - 1 if self.frame_count else index
        index = int(min(max(0, index), max(0, last)))
        self._rewind(index)
        self._anchor = None

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
