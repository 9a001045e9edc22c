"""VideoSource: validation at open, seeking, looping, and realtime pacing on a fake clock."""

import numpy as np
import pytest

import engine.sources.video as video_mod
from engine.errors import SourceError
from engine.sources.frames import EndOfStream
from engine.sources.video import VideoSource
from tests.conftest import VIDEO_FRAMES


def _frame_number(image: np.ndarray) -> int:
    """Which test-video frame this is (its brightness is about 20 * i + 20)."""
    return int(round((float(np.median(image)) - 20) / 20))


class FakeClock:
    """Stands in for ``time`` inside engine.sources.video: sleeping advances the clock."""

    def __init__(self):
        self.now = 100.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(video_mod, "time", fake)
    return fake


@pytest.mark.parametrize("fixture,message", [
    ("empty_video", "empty.mp4: file is empty (0 bytes)"),
    ("frameless_avi", "frameless.avi: video has no frames"),
    ("truncated_mp4", "cut.mp4: not an image or video OpenCV can read"),
])
def test_bad_videos_fail_at_open_with_one_line(request, fixture, message):
    path = request.getfixturevalue(fixture)
    with pytest.raises(SourceError) as err:
        VideoSource(path)
    text = str(err.value)
    assert text.startswith(str(path)) and message.split(": ", 1)[1] in text
    assert "\n" not in text


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        VideoSource(tmp_path / "nope.mp4")
    with pytest.raises(SourceError, match="is a folder"):
        VideoSource(tmp_path)


def test_properties_and_fresh_frames(video_files):
    with VideoSource(video_files["mkv"], realtime=False) as v:
        assert v.fps == pytest.approx(10.0) and v.frame_count == VIDEO_FRAMES
        assert v.position == 0 and not v.live and v.name == str(video_files["mkv"])
        a, b = v.read(), v.read()
        assert v.position == 2
    assert not np.shares_memory(a.image, b.image)
    assert a.image.flags.c_contiguous and a.image.flags.writeable
    assert a.timestamp <= b.timestamp


def test_frame_index_is_the_position_in_the_file_after_seeks(video_files):
    with VideoSource(video_files["mp4"], realtime=False) as v:
        v.seek(5)
        assert v.position == 5
        got = [v.read() for _ in range(3)]
        assert [f.index for f in got] == [5, 6, 7]
        assert [_frame_number(f.image) for f in got] == [5, 6, 7]
        v.seek(1000)                                  # clamped to the last frame
        assert v.position == VIDEO_FRAMES - 1
        v.seek(-3)
        assert v.read().index == 0


def test_end_of_stream_is_a_source_error_and_loop_rewinds(video_files):
    with VideoSource(video_files["webm"], realtime=False, loop=False) as v:
        frames = [v.read() for _ in range(VIDEO_FRAMES)]
        with pytest.raises(EndOfStream, match="end of video") as err:
            v.read()
    assert isinstance(err.value, SourceError)
    assert [f.index for f in frames] == list(range(VIDEO_FRAMES))
    with VideoSource(video_files["webm"], realtime=False, loop=True) as v:
        v.seek(VIDEO_FRAMES - 1)
        assert [v.read().index for _ in range(3)] == [VIDEO_FRAMES - 1, 0, 1]


def test_realtime_early_reader_sleeps_until_each_frame_is_due(video_files, clock):
    with VideoSource(video_files["avi"], realtime=True) as v:
        frames = [v.read() for _ in range(5)]
    times = np.array([f.timestamp for f in frames])
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert np.allclose(np.diff(times), 0.1)          # 10 fps, exactly, on the fake clock


def test_realtime_late_reader_skips_what_it_missed(video_files, clock):
    with VideoSource(video_files["avi"], realtime=True) as v:
        assert v.read().index == 0
        clock.now += 0.35                             # frames 1..3 were due meanwhile
        late = v.read()
        assert late.index == 3 and _frame_number(late.image) == 3
        assert v.read().index == 4                    # then back on schedule
        assert clock.slept and clock.slept[-1] == pytest.approx(0.05)


def test_realtime_pause_resumes_instead_of_jumping(video_files, clock):
    with VideoSource(video_files["avi"], realtime=True) as v:
        v.read()
        clock.now += 5.0                              # the app was paused
        assert v.read().index == 1
        t = clock.now
        assert v.read().index == 2 and clock.now == pytest.approx(t + 0.1)


def test_realtime_keeps_its_rhythm_across_the_loop(video_files, clock):
    with VideoSource(video_files["avi"], realtime=True) as v:
        frames = [v.read() for _ in range(VIDEO_FRAMES + 3)]
    assert [f.index for f in frames[-4:]] == [VIDEO_FRAMES - 1, 0, 1, 2]
    assert np.allclose(np.diff([f.timestamp for f in frames]), 0.1)


def test_step_ignores_pacing(video_files, clock):
    with VideoSource(video_files["avi"], realtime=True) as v:
        v.read()
        t = clock.now
        assert [v.step().index for _ in range(4)] == [1, 2, 3, 4]
        assert clock.now == t and not clock.slept
