"""CameraSource with fake captures (no webcam here): newest wins, unplug, open, close."""

import threading
import time

import numpy as np
import pytest

from engine.errors import SourceError
from engine.sources.camera import FAILS_BEFORE_UNPLUGGED, CameraSource, list_cameras


class PacedCapture:
    """A fake camera delivering a frame every ``period`` s; pixel value = frame number % 256.

    ``fail_after`` frames, it starts failing (returns False) like an unplugged camera;
    ``raise_after`` frames, read() raises instead. ``frame`` makes the delivered image.
    """

    def __init__(self, period=0.005, fail_after=None, raise_after=None, shape=(12, 16, 3),
                 dtype=np.uint8, hang=0.0):
        self.period, self.fail_after, self.raise_after = period, fail_after, raise_after
        self.shape, self.dtype, self.hang = shape, dtype, hang
        self.count = 0
        self.released = threading.Event()
        self.requested = {}

    def isOpened(self):  # noqa: N802 - the OpenCV API
        return True

    def set(self, prop, value):
        self.requested[prop] = value
        return False  # like a camera that ignores the request

    def read(self):
        if self.hang:
            time.sleep(self.hang)
            return False, None
        time.sleep(self.period)
        if self.raise_after is not None and self.count >= self.raise_after:
            raise RuntimeError("driver went away")
        if self.fail_after is not None and self.count >= self.fail_after:
            return False, None
        value = self.count % 256
        self.count += 1
        return True, np.full(self.shape, value, self.dtype)

    def release(self):
        self.released.set()


def _open(capture, **kw):
    return CameraSource(0, capture_factory=lambda _device: capture, **kw)


def test_slow_consumer_gets_the_newest_frame_not_a_backlog():
    cap = PacedCapture(period=0.004)
    with _open(cap) as cam:
        frames = []
        for _ in range(4):
            frames.append(cam.read())
            time.sleep(0.06)  # ~15 camera frames per consumer frame
        fps = cam.measured_fps
    steps = np.diff([f.index for f in frames])
    assert (steps >= 3).all()                      # indices jump: older frames dropped
    assert cam.dropped >= int(steps.sum()) - 3    # every skipped index was dropped
    for f in frames:                               # pixel value says which capture it was
        assert f.image.shape == (12, 16, 3) and f.image.dtype == np.uint8
        assert int(f.image[0, 0, 0]) == f.index % 256
        assert f.image.flags.c_contiguous and f.image.flags.owndata
    assert fps is not None and 50 < fps < 300      # one frame per ~4-5 ms


def test_fast_consumer_never_gets_the_same_frame_twice():
    with _open(PacedCapture(period=0.01)) as cam:
        indices = [cam.read().index for _ in range(5)]
    assert indices == sorted(set(indices))        # strictly increasing: no repeats


def test_reported_size_is_what_the_camera_delivers():
    cap = PacedCapture(shape=(30, 40, 3))
    with _open(cap, size=(1920, 1080)) as cam:
        assert cam.size == (40, 30)
        assert cam.requested_size == (1920, 1080)
    assert set(cap.requested.values()) == {1920, 1080}


@pytest.mark.parametrize("shape,dtype", [((10, 14), np.uint8), ((10, 14, 3), np.uint16),
                                         ((10, 14, 4), np.uint8)])
def test_grey_16bit_and_bgra_captures_become_rgb_uint8(shape, dtype):
    with _open(PacedCapture(shape=shape, dtype=dtype)) as cam:
        img = cam.read().image
    assert img.shape == (10, 14, 3) and img.dtype == np.uint8


def test_unplugged_camera_raises_once_the_last_frame_was_taken():
    cap = PacedCapture(period=0.002, fail_after=3)
    cam = _open(cap, read_timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(SourceError) as err:
        for _ in range(10):
            cam.read()
    assert str(err.value) == "camera 0: stopped delivering frames (unplugged?)"
    assert time.monotonic() - t0 < 0.2 + FAILS_BEFORE_UNPLUGGED * 0.02  # not the timeout
    assert cap.released.wait(1.0)  # the reader released the dead capture itself
    cam.close()


def test_driver_exception_counts_as_unplugged():
    cam = _open(PacedCapture(raise_after=2), read_timeout=1.0)
    with pytest.raises(SourceError, match="stopped delivering frames"):
        for _ in range(10):
            cam.read()
    cam.close()


def test_close_stops_the_thread_and_releases_and_is_idempotent():
    cap = PacedCapture()
    cam = _open(cap)
    cam.read()
    reader = cam._thread
    cam.close()
    cam.close()
    assert not reader.is_alive()
    assert cap.released.is_set()
    with pytest.raises(SourceError, match="closed"):
        cam.read()


def test_camera_that_opens_but_sends_nothing_is_not_opened():
    cap = PacedCapture(fail_after=0, period=0.001)
    with pytest.raises(SourceError, match=r"^camera 0: could not be opened"):
        _open(cap, read_timeout=1.0)
    assert cap.released.wait(1.0)


def test_camera_that_hangs_times_out_when_opening():
    t0 = time.monotonic()
    with pytest.raises(SourceError, match=r"camera 0: could not be opened \(no frame in 0.2 s\)"):
        _open(PacedCapture(hang=0.3), read_timeout=0.2)
    assert time.monotonic() - t0 < 1.5


def test_capture_that_does_not_open():
    class Closed(PacedCapture):
        def isOpened(self):  # noqa: N802
            return False

    cap = Closed()
    with pytest.raises(SourceError, match=r"^camera 0: could not be opened$"):
        _open(cap)
    assert cap.released.is_set()


def test_absent_real_camera_fails_fast_and_listing_is_quick():
    t0 = time.monotonic()
    with pytest.raises(SourceError, match=r"^camera 99: could not be opened"):
        CameraSource(99)
    found = list_cameras(max_index=3)
    assert time.monotonic() - t0 < 3.0
    assert isinstance(found, list) and all(isinstance(i, int) for i in found)
