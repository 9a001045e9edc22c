"""Reading the next frame ahead, during the last of this step's forward passes."""

import time

import numpy as np
import pytest

from engine.config import EngineConfig
from engine.engine import Engine
from engine.session import read_ahead
from engine.session.commands import Freeze, Mirror, StepFrame
from engine.session.read_ahead import ReadAhead
from engine.session.session import Session


def _step(ra: ReadAhead, spans: dict[str, float]) -> None:
    """One step's forward passes: each point ticked, then ``spans[point]`` s of work."""
    for point, span in spans.items():
        ra.tick(point)
        time.sleep(span)
    ra.ended()


def test_it_learns_to_start_at_the_latest_point_that_leaves_time_to_read(monkeypatch):
    monkeypatch.setattr(read_ahead, "FRESH_S", 0.02)   # a loaded machine's sleeps overrun
    reads = []

    def read():
        time.sleep(0.02)
        reads.append(time.monotonic())
        return len(reads)

    ra = ReadAhead(read)
    try:
        spans = {"a": 0.05, "b": 0.03, "c": 0.01}   # 90, 40 and 10 ms from each to the end
        got = []
        for _ in range(6):
            _step(ra, spans)
            got.append(ra.take())
        assert ra._trigger == "b"          # 40 ms left >= 20 ms of reading; "c" leaves 10
        assert 0.015 < ra.read_s < 0.05
        assert got == [None, 1, 2, 3, 4, 5]   # from the second step on, each read is taken
    finally:
        ra.close()


def test_nothing_asked_is_none_and_a_failed_read_raises_on_the_taker():
    calls = []

    def read():
        calls.append(1)
        raise OSError("camera unplugged")

    ra = ReadAhead(read)
    try:
        assert ra.take() is None and not calls
        _step(ra, {"a": 0.0})          # the first step starts reading at its last point
        _step(ra, {"a": 0.01})
        with pytest.raises(OSError, match="unplugged"):
            ra.take()
        assert ra.take() is None       # raised once
    finally:
        ra.close()


def test_a_frame_that_waited_too_long_is_dropped_if_fresh_counts_and_cancel_hands_it_back(
        monkeypatch):
    monkeypatch.setattr(read_ahead, "FRESH_S", 0.1)   # a loaded machine's sleeps overrun
    ra = ReadAhead(lambda: "frame")
    try:
        _step(ra, {"a": 0.01})
        _step(ra, {"a": 0.01})
        time.sleep(0.3)                # the step was held back: the frame is stale ...
        assert ra.take() is None       # ... for a live source
        _step(ra, {"a": 0.01})
        time.sleep(0.3)
        assert ra.take(fresh=False) == "frame"   # a file's is used all the same
        _step(ra, {"a": 0.01})
        assert ra.take() == "frame"
        _step(ra, {"a": 0.01})
        assert ra.cancel() == "frame" and ra.take() is None
    finally:
        ra.close()


def test_the_engine_ticks_each_variant_start_and_each_captured_row_in_order():
    e = Engine(EngineConfig(device="cpu", variants=("max", "stride"), input_size=32))
    points = []
    e.forward(np.zeros((48, 64, 3), np.uint8), tick=points.append)
    rows = [ly.name for ly in e.layers]
    for v in ("max", "stride"):
        mine = [p for p in points if p[0] == v]
        assert mine[0] == (v, None)
        assert [r for _, r in mine[1:]] == [r for r in rows if r not in
                                              (e.stems[v].rows if v in e.stems else ())]
    assert points.index(("stride", None)) > points.index(("max", rows[-1]))


def test_overlapped_steps_read_ahead_every_frame_in_order_and_a_command_drops_it():
    """A session told its halves overlap reads each next frame ahead: the pattern's frames
    come one after another, none lost (a pattern is no live source: a frame that waited is
    used all the same); a frame read before a command is not shown after it."""
    s = Session(EngineConfig(device="cpu", variants=("max", "stride"), input_size=32,
                             measure_every=0), "pattern:shapes,fps=1000")
    try:
        s.start()
        s.halves = (False, True)       # as the loop says when overlapped halves win
        finishes = [s.begin_step()[0] for _ in range(20)]   # views made later, elsewhere
        indices = [f()[0].result.frame_index for f in finishes]
        assert s._ahead is not None and s._ahead.read_s > 0
        assert indices == list(range(indices[0], indices[0] + 20))
        deadline = time.monotonic() + 2
        while s._ahead._result is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert s._ahead._result is not None   # the next frame, read ahead ...
        s.handle(Mirror(True))
        shown, _ = s.step()
        raw, viewed = s._recent[-1][1], s._recent[-1][2]
        assert np.array_equal(viewed.image, raw.image[:, ::-1])   # ... dropped: read anew
        assert shown.result.frame_index > indices[-1]
    finally:
        s.close()


def test_a_video_frozen_with_a_frame_read_ahead_steps_on_to_the_frame_after_the_one_shown(
        video_files):
    """The frame read ahead of a file is not lost to a command: frozen, then stepped, the
    video shows the frame after the one it showed (10 frames a second: the read waits)."""
    s = Session(EngineConfig(device="cpu", variants=("max",), input_size=32, measure_every=0),
                str(video_files["avi"]))
    try:
        s.start()
        s.halves = (False, True)
        for _ in range(4):
            s.begin_step()[0]()
        deadline = time.monotonic() + 2
        while s._ahead._result is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert s._ahead._result is not None      # a frame read ahead ...
        shown = s._recent[-1][1].index
        s.handle(Freeze(True))
        s.handle(StepFrame())
        assert s._frozen.index == (shown + 1) % 12   # ... is the one a step goes on to
    finally:
        s.close()


def test_a_files_frame_kept_across_a_command_is_stamped_when_it_is_shown(video_files):
    """The frame read ahead before a command comes back with the time it is used: its
    latency is not the command's length (nor a freeze's)."""
    s = Session(EngineConfig(device="cpu", variants=("max",), input_size=32, measure_every=0),
                str(video_files["avi"]))
    try:
        s.start()
        s.halves = (False, True)
        for _ in range(3):
            s.begin_step()[0]()
        deadline = time.monotonic() + 2
        while s._ahead._result is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert s._ahead._result is not None
        read_at = s._recent[-1][1].timestamp
        s.handle(Mirror(True))          # drops the frame read ahead, keeps the file's frame
        time.sleep(0.3)
        before = time.monotonic()
        shown, _ = s.step()
        assert shown.result.frame_index == (s._recent[-2][1].index + 1) % 12
        assert shown.result.captured_at >= before > read_at + 0.3
    finally:
        s.close()
