"""Test media made on the fly: images in every format the app reads, short videos, broken files.

Never a webcam, never the network. Frame ``i`` of every video has its mean brightness near
``20 * i + 20`` and a bright square at column ``8 * i``, so tests can tell frames apart.
"""

import os
import struct
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
# tracebacks of failing models go to a log folder of the tests' own, not the user's cache
os.environ.setdefault("POOLSCOPE_LOG_DIR", __import__("tempfile").mkdtemp(prefix="poolscope-logs-"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

VIDEO_FRAMES = 12
CODECS = {"mp4": "mp4v", "avi": "MJPG", "mkv": "MJPG", "webm": "VP80"}


def scene(h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    """A small RGB test picture with structure in every channel."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // max(1, w - 1), y * 255 // max(1, h - 1),
                    (x + y) % 32 * 8], axis=2).astype(np.uint8)
    img[h // 4:h // 2, w // 4:w // 2] = rng.integers(0, 255, 3)
    return img


def video_frame(i: int, h: int = 96, w: int = 128) -> np.ndarray:
    img = np.full((h, w, 3), 20 * i + 20, np.uint8)
    img[8:24, 8 * i:8 * i + 16] = 255
    return img


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


def _write(path: Path, bgr: np.ndarray, *params) -> Path:
    assert cv2.imwrite(str(path), bgr, list(params)), path
    return path


@pytest.fixture(scope="session")
def rgb_png(media) -> Path:
    return _write(media / "photo.png", scene()[:, :, ::-1])


@pytest.fixture(scope="session")
def image_files(media) -> dict[str, Path]:
    """One file per format: png jpg bmp tiff webp, plus grey, RGBA and 16-bit PNGs."""
    bgr = scene()[:, :, ::-1]
    files = {ext: _write(media / f"img.{ext}", bgr) for ext in ("png", "bmp", "tiff", "webp")}
    files["jpg"] = _write(media / "img.jpg", bgr, cv2.IMWRITE_JPEG_QUALITY, 95)
    files["grey"] = _write(media / "grey.png", cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    rgba = np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)])
    rgba[:, : bgr.shape[1] // 2, 3] = 0                     # left half transparent
    files["rgba"] = _write(media / "rgba.png", rgba)
    files["png16"] = _write(media / "deep.png", bgr.astype(np.uint16) * 257)
    return files


def _with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """Insert an APP1 EXIF segment with one Orientation tag after the SOI marker."""
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + \
        struct.pack(">I", 0)
    tiff = b"MM" + struct.pack(">HI", 42, 8) + ifd
    body = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


@pytest.fixture(scope="session")
def exif_jpeg(media) -> Path:
    """A 64x48 JPEG whose EXIF says 'rotate 90 degrees clockwise' (orientation 6)."""
    img = np.zeros((48, 64, 3), np.uint8)
    img[:, :16] = 255                                      # white band on the left
    ok, enc = cv2.imencode(".jpg", img)
    path = media / "rotated.jpg"
    path.write_bytes(_with_exif_orientation(enc.tobytes(), 6))
    return path


@pytest.fixture(scope="session")
def video_files(media) -> dict[str, Path]:
    """12-frame videos, 128x96 at 10 fps, in each container OpenCV writes here."""
    out = {}
    for ext, codec in CODECS.items():
        path = media / f"clip.{ext}"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), 10.0, (128, 96))
        assert writer.isOpened(), ext
        for i in range(VIDEO_FRAMES):
            writer.write(video_frame(i)[:, :, ::-1])
        writer.release()
        out[ext] = path
    return out


@pytest.fixture(scope="session")
def empty_file(media) -> Path:
    path = media / "empty.jpg"
    path.write_bytes(b"")
    return path


@pytest.fixture(scope="session")
def not_image(media) -> Path:
    path = media / "notes.png"
    path.write_text("these are not pixels\n" * 20)
    return path


@pytest.fixture(scope="session")
def truncated_jpeg(media, image_files) -> Path:
    data = image_files["jpg"].read_bytes()
    path = media / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture(scope="session")
def truncated_mp4(media, video_files) -> Path:
    data = video_files["mp4"].read_bytes()
    path = media / "cut.mp4"
    path.write_bytes(data[: len(data) // 3])
    return path


@pytest.fixture(scope="session")
def image_folder(media) -> Path:
    folder = media / "folder"
    folder.mkdir()
    for i in (10, 2, 1):  # natural order: 1, 2, 10
        _write(folder / f"img{i}.png", np.full((20, 30, 3), i * 20, np.uint8))
    (folder / "readme.txt").write_text("not an image")
    return folder


@pytest.fixture(scope="session")
def empty_video(media) -> Path:
    """A 0-byte file named like a video."""
    path = media / "empty.mp4"
    path.write_bytes(b"")
    return path


@pytest.fixture(scope="session")
def frameless_avi(media) -> Path:
    """A valid AVI container (header, size, codec) holding no frames at all."""
    path = media / "frameless.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    writer.release()
    assert path.stat().st_size > 0
    return path


@pytest.fixture(scope="session")
def jpeg_with_trailer(media, image_files) -> Path:
    """A complete JPEG followed by extra bytes, as phones append (motion photos, maker data)."""
    path = media / "trailer.jpg"
    path.write_bytes(image_files["jpg"].read_bytes() + b"MotionPhoto\x01\x02" * 50)
    return path


@pytest.fixture(scope="session")
def truncated_jpeg_with_thumbnail(media, image_files) -> Path:
    """A truncated JPEG whose EXIF segment holds a thumbnail with its own FFD9 marker."""
    jpeg = image_files["jpg"].read_bytes()
    thumb = b"\xff\xd8\xff\xd9"  # a (degenerate) embedded JPEG: SOI ... EOI
    body = b"Exif\x00\x00" + thumb
    full = jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]
    path = media / "cut_thumb.jpg"
    path.write_bytes(full[: len(full) * 2 // 3])
    return path
