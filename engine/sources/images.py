"""Still images and folders of images, loaded the way a user expects them to look.

8- and 16-bit; grey, RGB and RGBA all become RGB uint8: 16-bit scaled by the full 16-bit
range, alpha composited over mid-grey, JPEG EXIF orientation honoured.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np

from engine.errors import SourceError
from engine.sources.frames import Frame, FrameSource, Pacer, check_open

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
JPEG_EXTENSIONS = {".jpg", ".jpeg"}


def _read_bytes(path: Path, name: str) -> bytes:
    if not path.exists():
        raise SourceError(f"{name}: no such file")
    if path.is_dir():
        raise SourceError(f"{name}: is a folder")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SourceError(f"{name}: cannot be read ({e.strerror or e})") from None
    if not data:
        raise SourceError(f"{name}: file is empty (0 bytes)")
    return data


def _is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


def _jpeg_is_complete(data: bytes) -> bool:
    """True if a JPEG's main image reaches its end-of-image marker (FFD9).

    OpenCV 4 decodes a truncated JPEG without complaint (grey fill), so this is checked
    by hand. Files ending in FFD9 (allowing zero padding) pass at once. Otherwise the
    marker segments are walked by their lengths (an EXIF thumbnail's FFD9 inside APP1
    does not count) and the entropy-coded data scanned, so photos with a trailer after
    the image (phone "motion photos", maker data) are not mistaken for truncated ones.
    """
    if data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return True
    n, pos = len(data), 2
    while pos + 1 < n:
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xD9:
            return True
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        if pos + 4 > n:
            return False
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:  # start of scan: skip entropy-coded data to the next marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    return False
                follower = data[pos + 1]
                if follower == 0x00 or 0xD0 <= follower <= 0xD7:  # stuffing, restart
                    pos += 2
                elif follower == 0xFF:
                    pos += 1
                else:
                    break
    return False


def to_rgb8(img: np.ndarray) -> np.ndarray:
    """Any decoded OpenCV image (grey/BGR/BGRA, 8/16-bit, float) -> (H, W, 3) RGB uint8."""
    if img.dtype == np.uint16:
        img = np.rint(img.astype(np.float32) * (255.0 / 65535.0))
    elif img.dtype != np.uint8:
        img = img.astype(np.float32)
        img = img * 255.0 if img.size and float(np.nanmax(img)) <= 1.0 else img
    if img.ndim == 3 and img.shape[2] == 4:
        rgb = img[:, :, 2::-1].astype(np.float32)
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        img = rgb * alpha + 128.0 * (1.0 - alpha)
    elif img.ndim == 3 and img.shape[2] == 3:
        img = img[:, :, ::-1]
    elif img.ndim == 3 and img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    elif img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    return np.ascontiguousarray(np.clip(np.rint(img), 0, 255).astype(np.uint8)
                                if img.dtype != np.uint8 else img)


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Load an image file as (H, W, 3) RGB uint8.

    Raises
    ------
    SourceError
        Missing, empty, truncated or undecodable file (one line naming it).
    """
    path = Path(path)
    name = str(path)
    data = _read_bytes(path, name)
    buf = np.frombuffer(data, np.uint8)
    if _is_jpeg(data):
        if not _jpeg_is_complete(data):
            raise SourceError(f"{name}: truncated JPEG (no end-of-image marker)")
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)  # applies the EXIF orientation
    else:
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0:
        raise SourceError(f"{name}: not an image or video OpenCV can read")
    return to_rgb8(img)


class ImageSource(FrameSource):
    """The same still image every read; ``Frame.index`` counts reads."""

    live = False

    def __init__(self, path: str | os.PathLike, realtime: bool = False, fps: float = 30.0):
        self.name = str(path)
        self._image = load_image(path)
        self.realtime = realtime
        self._pacer = Pacer(fps)
        self._index = 0
        self._closed = False

    def read(self) -> Frame:
        check_open(self, self._closed)
        now = self._pacer.wait() if self.realtime else time.monotonic()
        frame = Frame(self._image.copy(), self._index, now)
        self._index += 1
        return frame

    @property
    def size(self) -> tuple[int, int]:
        return self._image.shape[1], self._image.shape[0]

    def close(self) -> None:
        self._closed = True


def _natural_key(p: Path) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]


class FolderSource(FrameSource):
    """The images of a folder in natural name order, cycling.

    A file that cannot be read raises SourceError naming it on the read that reaches it;
    the next read moves on to the next file.
    """

    live = False

    def __init__(self, path: str | os.PathLike, realtime: bool = False, interval: float = 0.0):
        self.name = str(path)
        folder = Path(path)
        if not folder.is_dir():
            raise SourceError(f"{self.name}: no such folder")
        self.files = sorted((p for p in folder.iterdir()
                             if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS),
                            key=_natural_key)
        if not self.files:
            raise SourceError(f"{self.name}: no images in this folder "
                              f"({', '.join(sorted(IMAGE_EXTENSIONS))})")
        self.realtime = realtime
        self._pacer = Pacer(1.0 / interval) if interval > 0 else None
        self._index = 0
        self._size: tuple[int, int] | None = None
        self._closed = False

    def read(self) -> Frame:
        check_open(self, self._closed)
        path = self.files[self._index % len(self.files)]
        index = self._index
        self._index += 1
        now = self._pacer.wait() if (self.realtime and self._pacer) else time.monotonic()
        image = load_image(path)
        self._size = (image.shape[1], image.shape[0])
        return Frame(image, index, now)

    @property
    def size(self) -> tuple[int, int]:
        """Size of the last image read (before any read: of the first readable one)."""
        if self._size is None:
            for path in self.files:
                try:
                    img = load_image(path)
                except SourceError:
                    continue
                self._size = (img.shape[1], img.shape[0])
                break
            else:
                return (0, 0)
        return self._size

    def close(self) -> None:
        self._closed = True
