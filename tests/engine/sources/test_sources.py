"""Frame sources: every kind opens what it should, and every failure is one clear line."""

import itertools
import time

import numpy as np
import pytest

from engine.errors import SourceError
from engine.sources.camera import CameraSource
from engine.sources.frames import EndOfStream, LatestSlot
from engine.sources.images import FolderSource, load_image
from engine.sources.openers import open_source, parse_pattern
from engine.sources.patterns import PATTERNS
from engine.sources.video import VideoSource
from tests.conftest import VIDEO_FRAMES, scene


def _frame_number(image: np.ndarray) -> int:
    """Which test-video frame this is (its brightness is about 20 * i + 20)."""
    return int(round((float(np.median(image)) - 20) / 20))


@pytest.mark.parametrize("fmt", ["png", "bmp", "tiff", "webp", "jpg"])
def test_images_load_as_rgb_uint8(image_files, fmt):
    img = load_image(image_files[fmt])
    assert img.shape == (48, 64, 3) and img.dtype == np.uint8 and img.flags.c_contiguous
    tol = 12 if fmt in ("jpg", "webp") else 0
    assert np.abs(img.astype(int) - scene().astype(int)).mean() <= tol  # RGB, not BGR


def test_grey_rgba_and_16bit(image_files):
    grey = load_image(image_files["grey"])
    assert grey.shape == (48, 64, 3) and (grey[..., 0] == grey[..., 2]).all()
    rgba = load_image(image_files["rgba"])
    assert (rgba[:, :32] == 128).all()                     # transparent: over mid-grey
    assert (rgba[:, 40:] == scene()[:, 40:]).all()          # opaque: the picture
    deep = load_image(image_files["png16"])
    assert (deep == scene()).all()                           # v * 257 / 257 -> v


def test_jpeg_exif_orientation_is_honoured(exif_jpeg):
    img = load_image(exif_jpeg)
    assert img.shape == (64, 48, 3)           # rotated: portrait
    assert img[:16].mean() > 200              # the left band is now at the top
    assert img[40:].mean() < 50


@pytest.mark.parametrize("ext", ["mp4", "avi", "mkv", "webm"])
def test_video_containers_read_in_order_and_loop(video_files, ext):
    with VideoSource(video_files[ext], realtime=False) as v:
        assert v.size == (128, 96) and v.fps == pytest.approx(10.0)
        frames = [v.read() for _ in range(VIDEO_FRAMES + 2)]
    assert [f.index for f in frames] == list(range(VIDEO_FRAMES)) + [0, 1]
    assert [_frame_number(f.image) for f in frames[:4]] == [0, 1, 2, 3]
    assert frames[0].image.shape == (96, 128, 3)


def test_video_seek_step_and_end(video_files):
    v = VideoSource(video_files["avi"], realtime=False, loop=False)
    v.seek(7)
    f = v.step()
    assert f.index == 7 and _frame_number(f.image) == 7
    v.seek(VIDEO_FRAMES - 1)
    v.read()
    with pytest.raises(EndOfStream):
        v.read()
    v.close()
    v.close()  # idempotent


def test_video_realtime_plays_at_its_own_rate(video_files):
    with VideoSource(video_files["avi"], realtime=True) as v:
        t0 = time.monotonic()
        frames = [v.read() for _ in range(4)]
        elapsed = time.monotonic() - t0
    assert frames[-1].index == 3
    assert elapsed >= 0.25  # 3 frame intervals at 10 fps


def test_folder_cycles_in_natural_order(image_folder):
    src = FolderSource(image_folder)
    means = [int(src.read().image.mean()) for _ in range(4)]
    assert means == [20, 40, 200, 20]


def test_folder_reports_a_bad_file_and_moves_on(tmp_path):
    import cv2
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "b.png").write_text("broken")
    cv2.imwrite(str(tmp_path / "c.png"), np.full((8, 8, 3), 50, np.uint8))
    src = FolderSource(tmp_path)
    src.read()
    with pytest.raises(SourceError, match="b.png"):
        src.read()
    assert int(src.read().image.mean()) == 50


@pytest.mark.parametrize("name", list(PATTERNS))
def test_patterns_are_deterministic_and_move(name):
    a = PATTERNS[name](width=80, height=60, realtime=False, **({"speed": 1.0} if name in (
        "checker",) else {}))
    b = PATTERNS[name](width=80, height=60, realtime=False)
    f0 = a.render(0)
    assert f0.shape == (60, 80, 3) and f0.dtype == np.uint8
    if name != "checker":
        assert (f0 == b.render(0)).all()
    assert not (a.render(0) == a.render(5)).all()
    frames = list(itertools.islice(a, 3))
    assert [f.index for f in frames] == [0, 1, 2]


def test_pattern_realtime_paces_and_fast_does_not():
    fast = PATTERNS["checker"](realtime=False, width=32, height=32)
    t0 = time.monotonic()
    for _ in range(20):
        fast.read()
    assert time.monotonic() - t0 < 0.5
    slow = PATTERNS["checker"](realtime=True, fps=20, width=32, height=32)
    t0 = time.monotonic()
    for _ in range(5):
        slow.read()
    assert time.monotonic() - t0 >= 0.18


def test_pan_pattern_translates_by_dx_pixels():
    pan = PATTERNS["pan"](dx=2, dy=0, width=64, height=48, realtime=False)
    a, b = pan.render(0), pan.render(1)
    assert (b[:, :-2] == a[:, 2:]).all()


def test_grating_subpixel_speed_moves_the_phase():
    g = PATTERNS["grating"](freq=0.1, speed=0.25, width=64, height=8, realtime=False)
    a, b = g.render(0).astype(int), g.render(4).astype(int)  # 4 x 0.25 = 1 px
    assert np.abs(b[:, 1:-1] - a[:, :-2]).max() <= 1


def test_spec_parsing():
    assert parse_pattern("pattern:grating,freq=0.1,speed=2") == \
        ("grating", {"freq": 0.1, "speed": 2})
    assert open_source("pattern:checker,square=8", realtime=False).read().image.shape[2] == 3


@pytest.mark.parametrize("spec,needle", [
    ("missing.png", "missing.png: no such file"),
    ("pattern:spiral", "unknown pattern 'spiral'"),
    ("pattern:grating,wobble=3", "wobble"),
    ("pattern:grating,freq", "key=value"),
    ("camera:9", "camera 9: could not be opened"),
    ("camera:x", "camera index"),
])
def test_bad_specs_raise_one_line(spec, needle):
    with pytest.raises(SourceError) as e:
        open_source(spec)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_bad_files_raise_one_line(empty_file, not_image, truncated_jpeg, truncated_mp4,
                                  media):
    cases = {empty_file: "empty", not_image: "not an image", truncated_jpeg: "truncated",
             truncated_mp4: "cut.mp4", media / "missing.avi": "no such file"}
    for path, needle in cases.items():
        with pytest.raises(SourceError) as e:
            open_source(str(path))
        assert needle in str(e.value) and "\n" not in str(e.value), path


def test_latest_slot_keeps_only_the_newest():
    from engine.sources.frames import Frame
    slot = LatestSlot()
    for i in range(5):
        slot.put(Frame(np.zeros((1, 1, 3), np.uint8), i, 0.0))
    assert slot.get_newer(-1, 0.1).index == 4
    assert slot.dropped == 4
    assert slot.get_newer(4, 0.05) is None


def test_camera_reader_thread_gives_the_newest_frame(video_files):
    """The real threaded reader on a video file: a slow consumer skips, never lags.

    The reader races through the 12 frames and then sees the end of the file as an
    unplugged camera. Whatever the timing, the consumer ends on the newest frame, every
    frame it did not take counts as dropped, and then it gets the unplug error.
    """
    cam = CameraSource(str(video_files["avi"]), size=None)
    frames = []
    try:
        assert cam.size == (128, 96) and cam.live
        with pytest.raises(SourceError, match="stopped delivering frames"):
            for _ in range(VIDEO_FRAMES + 1):
                frames.append(cam.read())
                time.sleep(0.15)          # a slow consumer
    finally:
        cam.close()
    indices = [f.index for f in frames]
    assert indices[-1] == VIDEO_FRAMES - 1 and indices == sorted(set(indices))
    assert len(frames) < VIDEO_FRAMES
    assert cam.dropped == VIDEO_FRAMES - len(frames)
    assert all(_frame_number(f.image) == f.index for f in frames)


class FlakyCapture:
    """A capture that delivers ``n`` frames and then fails, like an unplugged camera."""

    def __init__(self, n):
        self.n, self.count = n, 0

    def isOpened(self):  # noqa: N802 - OpenCV API
        return True

    def set(self, *a):
        return True

    def read(self):
        self.count += 1
        time.sleep(0.002)
        if self.count > self.n:
            return False, None
        return True, np.full((10, 12, 3), self.count, np.uint8)

    def release(self):
        pass


def test_camera_unplugged_mid_stream_is_a_clear_error():
    cam = CameraSource(0, capture_factory=lambda _: FlakyCapture(5), read_timeout=1.0)
    with pytest.raises(SourceError, match="camera 0: stopped delivering frames"):
        for _ in range(20):
            cam.read()
    cam.close()


def test_absent_camera():
    with pytest.raises(SourceError, match="camera 42: could not be opened"):
        CameraSource(42)
