"""The session without any window or Qt: every command drives it, and the bugs the window had
(a failed open killed the source; Ctrl+E re-stepped, reset the live measures and wrote
display-sized mosaics; a failed rebuild cut the zoom resolution loose) stay fixed."""

import dataclasses
import json

import cv2
import numpy as np
import pytest

import main as cli
from engine.display.mosaic import mosaic_size
from engine.engine import EngineConfig
from engine.measures.catalogue import NETWORK_ROW
from engine.session import commands as c
from engine.session.messages import (
    Answered,
    EngineInfo,
    EngineRated,
    Exported,
    Failed,
    ProbeDone,
    Shown,
    SourceInfo,
)
from engine.session.session import Session

FAST = "pattern:shapes,fps=1000"
CONFIG = EngineConfig(device="cpu", variants=("max", "blur"), input_size=64, gamma=0.5)


def _kinds(events):
    return [type(e) for e in events]


def _step(s: Session, n: int = 1) -> Shown:
    shown = None
    for _ in range(n):
        shown, events = s.step()
        assert not [e for e in events if isinstance(e, Failed)], events
    return shown


@pytest.fixture
def session():
    s = Session(CONFIG, FAST)
    events = s.start()
    assert _kinds(events) == [EngineInfo, SourceInfo]
    yield s
    s.close()


def test_every_command_drives_the_session(session, video_files, tmp_path):
    s, used = session, set()

    def do(cmd):
        used.add(type(cmd))
        return s.handle(cmd)

    first = _step(s)
    assert first.seq == 1 and first.result.variants == ("max", "blur")
    assert s.next_step_in() == 0.0                         # live: always due

    do(c.Viewport(128, rows=("features.2",)))
    assert s.config.max_side == 128 and s.rows == ("features.2",)
    events = do(c.SetView(norm="layer", colormap="magma", gamma=0.7,
                          layers=("features.2", "features.5")))
    assert _kinds(events) == [EngineInfo]
    shown = _step(s)
    assert shown.result.layers == ("features.2", "features.5")
    assert (shown.result.norm, shown.result.colormap, s.config.gamma) == ("layer", "magma", 0.7)
    assert max(shown.result.views["max"]["features.2"].mosaic.shape) <= 128
    do(c.Zoom("features.2", 1))
    assert _step(s).zoom_key == ("features.2", 1) and s.engine is not None

    clip = str(video_files["avi"])
    assert do(c.SetSource(clip)) == [SourceInfo(clip, (128, 96), False, 12, 10.0, clip)]
    _step(s)
    do(c.Freeze(True))
    frozen = _step(s)
    assert frozen.stats["frozen"] and s.next_step_in() is None  # frozen: idle until told
    do(c.Mirror(True))
    mirrored = _step(s)
    assert (mirrored.result.input_image == frozen.result.input_image[:, ::-1]).all()
    do(c.Mirror(False))
    do(c.Nudge(1, 0))
    assert _step(s).stats["nudge"] == (1.0, 0.0)
    do(c.ResetNudge())
    assert _step(s).stats["nudge"] == (0.0, 0.0)
    at = frozen.source_position
    do(c.StepFrame())
    assert _step(s).source_position == (at + 1) % 12
    do(c.Seek(7))
    assert _step(s).source_position == 7

    do(c.SelectUnit(("max", "features.2", 0, 2, 2)))
    do(c.ShowSpectrum(("features.2", 0)))
    do(c.ShowDifference(("features.5", "max", "blur")))
    do(c.ShowAligned(("features.5",)))
    do(c.ShowPhases(("features.2", 3)))
    probes = _step(s).probes
    assert set(probes.rf_boxes) == {"max", "blur"} and set(probes.erf) == {"max", "blur"}
    assert probes.spectrum["blur"]["after"].shape == (32, 32)
    assert probes.difference[1].shape == (32, 16, 16)
    assert probes.aligned.shift == (1.0, 0.0) and probes.aligned.maps["max"].shape == (64, 64)
    assert probes.phases["max"].kept == (0, 0) and len(probes.phases["blur"].phases) == 4
    do(c.Nudge(1, 0))                       # the view window right: the content moves left
    probes = _step(s).probes
    assert probes.aligned.shift == (-1.0, 0.0) and probes.phases["max"].kept == (0, 1)
    do(c.ResetNudge())
    for cmd in (c.SelectUnit(None), c.ShowSpectrum(None), c.ShowDifference(None),
                c.ShowAligned(None), c.ShowPhases(None)):
        do(cmd)
    probes = _step(s).probes
    assert (probes.unit, probes.spectrum_key, probes.difference_key, probes.aligned_key,
            probes.phases_key) == (None,) * 5

    (done,) = do(c.ShiftProbe())
    assert isinstance(done, ProbeDone) and done.result.shifts[-1] > 0
    (exported,) = do(c.Export(str(tmp_path / "out"), npz=True))
    assert isinstance(exported, Exported)
    assert (tmp_path / "out").is_dir() and list((tmp_path / "out").rglob("activations.npz"))
    (rated,) = do(c.EngineRate(0.2))
    assert isinstance(rated, EngineRated) and rated.frames >= 3 and rated.seconds > 0
    (rated,) = do(c.EngineRate(0.2, bare=True, busy=True))
    assert rated.bare and rated.busy and rated.frames >= 3
    do(c.Freeze(False))
    assert not _step(s).stats["frozen"]

    events = do(c.Rebuild(variants=["max", "avg", "blur"]))
    assert _kinds(events) == [EngineInfo] and events[0].variants == ("max", "avg", "blur")
    assert s.config.max_side == 128                        # settings carry over
    events = do(c.Rebuild(device="cuda"))                  # no GPU here: refused, nothing lost
    assert _kinds(events) == [Failed, EngineInfo] and "cuda" in events[0].message.lower()
    assert s.config.device == "cpu" and events[1].variants == ("max", "avg", "blur")
    events = do(c.Rebuild(model="allcnn-c", input_size=None))
    assert events[0].model == "allcnn-c" and events[0].input_size == (32, 32)
    assert s.config.layers is None and s.config.trained is None

    (answered,) = do(c.Ask("gap", samples=4))
    assert isinstance(answered, Answered) and answered.answer.question == "gap"
    assert answered.answer.verdict and answered.answer.figures[0].png[:4] == b"\x89PNG"
    (failed,) = do(c.Ask("why pool?"))
    assert isinstance(failed, Failed) and "unknown question" in failed.message
    (failed,) = s.handle(object())
    assert isinstance(failed, Failed) and "unknown command" in failed.message
    assert used == set(c.Command.__subclasses__())         # every command, driven


def test_a_failed_open_keeps_the_source_that_runs(session, video_files, not_image):
    s = session
    s.handle(c.SetSource(str(video_files["avi"])))
    before = _step(s).source_position
    events = s.handle(c.SetSource(str(not_image)))
    assert _kinds(events) == [Failed] and "notes.png" in events[0].message
    assert s.source is not None and s.source.name == str(video_files["avi"])
    after = _step(s, 2).source_position
    assert after == (before + 2) % 12                      # still playing
    s.handle(c.Freeze(True))
    frozen = _step(s).source_position
    s.handle(c.StepFrame())                                # and stepping still works
    assert _step(s).source_position == (frozen + 1) % 12


def test_a_bad_first_source_is_an_error_not_a_crash(not_image):
    s = Session(CONFIG, str(not_image))
    assert _kinds(s.start()) == [EngineInfo, Failed]
    assert s.next_step_in() is None and s.step() == (None, [])
    events = s.handle(c.ShiftProbe())                      # no frame: answered, and why
    assert _kinds(events) == [ProbeDone, Failed] and events[0].result is None
    assert _kinds(s.handle(c.SetSource(FAST))) == [SourceInfo]
    assert _step(s) is not None
    s.close()


def test_export_writes_the_last_step_as_the_command_does_and_leaves_live_measures(
        rgb_png, tmp_path):
    config = dataclasses.replace(CONFIG, measure_every=1, measure_budget=1.0)
    s = Session(config, str(rgb_png))
    s.start()
    s.handle(c.Viewport(200))                              # the window shows mosaics shrunk
    while not s.engine.meter.cycled:                       # every live job once, and more
        shown = _step(s)
    for _ in range(2):
        shown = _step(s)
    live = shown.result.measures
    pairs = live.count("consistency", "max", NETWORK_ROW)
    assert pairs >= 2
    last = s.engine.last
    assert max(shown.result.views["max"]["features.0"].mosaic.shape) == 131  # 4x4 tiles of 32

    (exported,) = s.handle(c.Export(str(tmp_path / "window")))
    assert s.engine.last is last                           # no step re-run for the export
    after = _step(s).result.measures
    assert after.count("consistency", "max", NETWORK_ROW) >= pairs  # the window not reset
    s.close()

    assert cli.main(["export", "--source", str(rgb_png), "--out", str(tmp_path / "cli"),
                     "--variants", "max,blur", "--input-size", "64", "--device", "cpu"]) == 0
    ours = next((tmp_path / "window").rglob("frame_0000"))
    theirs = next((tmp_path / "cli").rglob("frame_0000"))
    for rel in ("max/features.0.png", "blur/features.5.png", "input.png"):
        a, b = cv2.imread(str(ours / rel)), cv2.imread(str(theirs / rel))
        assert a.shape == b.shape and np.array_equal(a, b), rel
    assert cv2.imread(str(ours / "max/features.0.png")).shape[:2] == \
        mosaic_size((16, 64, 64)) == (259, 259)           # native, not the window's 131
    record = json.loads((ours / "record.json").read_text())
    assert record["measures"]["counts"]["consistency"]["max"]["output"] == 4  # its own 4 pairs


def test_the_zoom_resolution_follows_after_a_failed_rebuild(session):
    s = session
    s.handle(c.Viewport(200))
    small = _step(s).result.views["max"]["features.0"].mosaic.shape
    s.handle(c.Rebuild(device="cuda"))                    # fails: the working engine stays
    s.handle(c.Viewport(512))
    big = _step(s).result.views["max"]["features.0"].mosaic.shape
    assert small == (131, 131) and big == (259, 259)
    assert s.config.max_side == 512 == s.engine.config.max_side


def test_the_engine_never_writes_into_its_callers_config():
    from engine.engine import Engine

    cfg = EngineConfig(device="cpu", variants=("max", "avg"))
    e = Engine(cfg, input_size=32, max_side=64)
    e.set_colormap("magma", 0.3)
    assert cfg.input_size is None and cfg.max_side is None and cfg.colormap == "viridis"
    assert (e.config.input_size, e.config.max_side, e.config.colormap, e.config.gamma) == \
        (32, 64, "magma", 0.3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.max_side = 1


def test_a_refused_view_field_leaves_the_session_in_step_with_its_engine(session):
    s = session
    events = s.handle(c.SetView(norm="layer", colormap="nope"))
    assert _kinds(events) == [Failed] and "nope" in events[0].message
    assert s.config.norm == "layer" == s.engine.config.norm      # what did take effect
    assert s.config.colormap == "viridis"


def test_any_error_while_starting_is_reported_and_the_loop_goes_on(monkeypatch):
    import queue
    import threading
    import time

    import engine.session.session as session_module
    from engine.session.loop import STOP, run

    def broken(spec, **kwargs):
        raise ValueError("no such camera driver")

    monkeypatch.setattr(session_module, "open_source", broken)
    inbox, stop, events, shown = queue.Queue(), threading.Event(), [], []
    thread = threading.Thread(target=run, args=(Session(CONFIG, "camera:7"), inbox, stop,
                                                events.extend, shown.append), daemon=True)
    thread.start()
    inbox.put(c.Ask("?"))                                  # the loop answers commands still
    deadline = time.monotonic() + 60
    while len(events) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _kinds(events)[:3] == [EngineInfo, Failed, Failed]
    assert events[1].message == "ValueError: no such camera driver"
    assert thread.is_alive() and shown == []
    stop.set()
    inbox.put(STOP)
    thread.join(5)
    assert not thread.is_alive()
