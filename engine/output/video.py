"""Video of what the explorer shows: frames (RGB uint8) of one fixed size to a file, at a
fixed frame rate. H.264 MP4 (what browsers and slides play) through the ffmpeg that
imageio-ffmpeg ships in its wheel; where that is not installed, OpenCV's mp4v."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from engine.errors import ExportError

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402


def even(n: int) -> int:
    """H.264 in yuv420p needs even sides."""
    return n + (n % 2)


class VideoWriter:
    """``write(rgb)`` frames of any size: each is fitted (aspect kept, padded) to ``size``
    (W, H, made even); ``close()`` finishes the file. ``codec`` says which encoder wrote it."""

    def __init__(self, path: str | os.PathLike, size: tuple[int, int], fps: float):
        self.path = Path(path)
        self.size = (even(int(size[0])), even(int(size[1])))
        self.fps, self.frames = float(fps), 0
        if self.path.exists():
            raise ExportError(f"{self.path}: exists already (never overwritten)")
        try:
            import imageio_ffmpeg

            self._gen = imageio_ffmpeg.write_frames(
                str(self.path), self.size, fps=self.fps, codec="libx264", pix_fmt_in="rgb24",
                pix_fmt_out="yuv420p", macro_block_size=2, quality=7,
                output_params=["-movflags", "+faststart"])
            self._gen.send(None)
            self._cv, self.codec = None, "h264"
        except ImportError:
            self._gen = None
            self._cv = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"),
                                       self.fps, self.size)
            if not self._cv.isOpened():
                raise ExportError(f"{self.path}: cannot write a video there") from None
            self.codec = "mp4v"
        except OSError as e:
            raise ExportError(f"{self.path}: cannot write a video there ({e})") from None

    def write(self, rgb: np.ndarray, times: int = 1) -> None:
        """Add ``rgb`` (H, W, 3 uint8) ``times`` times (a frame held for its wall-clock time)."""
        frame = fit(rgb, self.size)
        for _ in range(max(0, times)):
            if self._gen is not None:
                self._gen.send(np.ascontiguousarray(frame))
            else:
                self._cv.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            self.frames += 1

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()
            self._gen = None
        if self._cv is not None:
            self._cv.release()
            self._cv = None


def fit(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``rgb`` scaled to fit (W, H) ``size``, aspect kept, centred on black."""
    w, h = size
    ih, iw = rgb.shape[:2]
    if (iw, ih) == (w, h):
        return rgb
    s = min(w / iw, h / ih)
    inner = cv2.resize(rgb, (max(1, round(iw * s)), max(1, round(ih * s))),
                       interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    out = np.zeros((h, w, 3), np.uint8)
    y0, x0 = (h - inner.shape[0]) // 2, (w - inner.shape[1]) // 2
    out[y0:y0 + inner.shape[0], x0:x0 + inner.shape[1]] = inner
    return out
