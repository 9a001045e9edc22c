"""open_source / open_default / describe_sources, and the helpers of engine.sources.frames."""

import threading
import time

import numpy as np
import pytest

import engine.sources.openers as sources
from engine.errors import SourceError
from engine.sources.frames import Frame, FrameSource, LatestSlot, Pacer
from engine.sources.images import FolderSource, ImageSource
from engine.sources.patterns import PATTERNS, CheckerPattern, ShapesPattern
from engine.sources.video import VideoSource


def _frame(i: int) -> Frame:
    return Frame(np.zeros((2, 2, 3), np.uint8), i, 0.0)


def test_open_source_picks_the_source_by_kind(image_files, video_files, image_folder):
    kinds = {str(image_files["png"]): ImageSource, str(video_files["mkv"]): VideoSource,
             str(image_folder): FolderSource, "pattern:checker": CheckerPattern}
    for spec, cls in kinds.items():
        with sources.open_source(spec, realtime=False) as src:
            assert isinstance(src, cls), spec
            assert src.read().image.ndim == 3
            assert isinstance(src, FrameSource)


def test_unknown_extensions_are_sniffed(tmp_path, image_files, video_files):
    picture, clip, junk = tmp_path / "pic.dat", tmp_path / "clip.bin", tmp_path / "junk.xyz"
    picture.write_bytes(image_files["png"].read_bytes())
    clip.write_bytes(video_files["avi"].read_bytes())
    junk.write_text("neither\n" * 30)
    assert isinstance(sources.open_source(str(picture)), ImageSource)
    with sources.open_source(str(clip), realtime=False) as v:
        assert isinstance(v, VideoSource) and v.frame_count == 12
    with pytest.raises(SourceError) as err:
        sources.open_source(str(junk))
    assert str(err.value) == f"{junk}: not an image or video OpenCV can read"


def test_pattern_spec_values_and_flags():
    src = sources.open_source("pattern:grating,freq=0.125,angle=45,width=32,height=24",
                              realtime=False)
    assert src.size == (32, 24) and src.freq == 0.125 and src.angle == 45.0
    assert src.realtime is False
    assert sources.open_source("pattern:checker", realtime=True).realtime is True
    with pytest.raises(SourceError, match=r"pattern:grating,freq=fast: bad value"):
        sources.open_source("pattern:grating,freq=fast")
    with pytest.raises(SourceError, match="known: shapes, grating, checker, pan"):
        sources.open_source("pattern:noise")


def test_camera_specs_pass_index_and_size(monkeypatch):
    calls = []

    def fake_camera(device, size=None):
        calls.append((device, size))
        return "camera"

    monkeypatch.setattr(sources, "CameraSource", fake_camera)
    sources.open_source("camera")
    sources.open_source("camera:2", size=(320, 240))
    assert calls == [(0, (640, 480)), (2, (320, 240))]


def test_open_default_falls_back_to_shapes(monkeypatch):
    def no_camera(*args, **kwargs):
        raise SourceError("camera 0: could not be opened")

    monkeypatch.setattr(sources, "CameraSource", no_camera)
    src = sources.open_default(realtime=False)
    assert isinstance(src, ShapesPattern) and src.realtime is False


def test_describe_sources_names_every_form_and_parameter():
    text = sources.describe_sources()
    assert "\n" not in text
    for needle in ("camera:N", "folder", "mp4", "webp", "pattern:NAME", "freq=0.05",
                   "square=32", "dx=1.0", "width", *PATTERNS):
        assert needle in text, needle


def test_latest_slot_waits_across_threads_and_close_wakes_waiters():
    slot = LatestSlot()
    threading.Timer(0.05, slot.put, args=(_frame(0),)).start()
    t0 = time.monotonic()
    assert slot.get_newer(-1, timeout=2.0).index == 0
    assert 0.03 < time.monotonic() - t0 < 1.0
    threading.Timer(0.05, slot.close).start()
    t0 = time.monotonic()
    assert slot.get_newer(0, timeout=2.0) is None
    assert time.monotonic() - t0 < 1.0


def test_latest_slot_wait_does_not_take_the_frame():
    slot = LatestSlot()
    slot.put(_frame(0))
    assert slot.wait(-1, 0.01).index == 0 and slot.peek().index == 0
    slot.put(_frame(1))
    assert slot.dropped == 1                 # frame 0 was only looked at, never taken
    assert slot.get_newer(-1, 0.01).index == 1
    slot.put(_frame(2))
    assert slot.dropped == 1                 # frame 1 was taken: not a drop


def test_pacer_sleeps_to_the_rate_and_does_not_burst_after_a_stall():
    pacer = Pacer(50)
    t0 = time.monotonic()
    stamps = [pacer.wait() for _ in range(4)]
    assert time.monotonic() - t0 >= 0.055    # 3 intervals of 20 ms
    assert min(np.diff(stamps)) > 0.015
    time.sleep(0.1)                          # the consumer stalled for 5 intervals
    t1 = time.monotonic()
    pacer.wait()
    pacer.wait()
    assert time.monotonic() - t1 >= 0.015    # the schedule restarted: no catch-up burst
    with pytest.raises(ValueError):
        Pacer(0)
