"""``bench --gui``: runs the real window offscreen and ends with one JSON line of figures."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_gui_prints_rates_latency_and_memory_as_json(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    run = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "bench", "--gui", "--seconds", "1",
         "--variants", "max,blur", "--input-size", "64"],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    for key in ("displayed_fps", "engine_fps", "forward_fps", "ratio", "forward_ratio",
                "latency_ms_p50", "latency_ms_p95", "latency_ms_p99", "interval_ms_p99",
                "rss_mb_start", "rss_mb_end", "frames"):
        assert key in result
    assert result["frames"] > 0 and result["engine_frames"] >= 3
    assert result["forward_frames"] >= 3 and result["forward_fps"] > 0
    assert result["displayed_fps"] > 0 and result["engine_fps"] > 0
    assert abs(result["ratio"] - result["displayed_fps"] / result["engine_fps"]) < 0.01
    assert abs(result["forward_ratio"] - result["displayed_fps"] / result["forward_fps"]) < 0.01
    assert 0 < result["latency_ms_p50"] <= result["latency_ms_p95"] <= result["latency_ms_p99"]
    assert result["interval_ms_p99"] > 0 and result["window"] == [1920, 1080]
    for where in ("window", "engine"):                     # each process on its own
        assert result["rss_mb_start"][where] > 50 and result["rss_mb_end"][where] > 50
    assert result["variants"] == ["max", "blur"] and result["input_size"] == [64, 64]
    assert result["torch_threads"] >= 1 and 0.0 <= result["in_turn_share"] <= 1.0
    if (os.cpu_count() or 1) > result["torch_threads"]:   # a core to spare: the busy limit
        assert result["forward_fps_core_busy"] > 0
        assert abs(result["forward_ratio_core_busy"]
                   - result["displayed_fps"] / result["forward_fps_core_busy"]) < 0.01
    assert any(line.startswith("displayed") for line in lines)


def test_bench_gui_that_shows_nothing_ends_with_a_one_line_error(qapp, make_window, qtbot,
                                                                monkeypatch, tmp_path):
    """A window that shows no frame (here: a source that does not open) ends the run once
    nothing happened for STALL_S, with an error that says so, instead of waiting forever; and
    the run leaves this process's Qt as it found it. (On the application's own event loop, its
    window closed after the loop left a Quit queued: processed later, it stopped every event
    loop after it, and the next test's window never heard from its session.)"""
    import pytest
    from PySide6.QtCore import QEvent, QObject

    from engine import EngineConfig, PoolScopeError
    from gui import bench

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(bench, "STALL_S", 3.0)
    monkeypatch.setattr(bench, "SOURCE", str(tmp_path / "missing.mp4"))
    with pytest.raises(PoolScopeError, match=r"displayed 0 frames, then nothing for 3 s") as e:
        bench.bench_gui(EngineConfig(device="cpu", input_size=32, variants=("max",), threads=1),
                        seconds=1.0, out=lambda *a: None)
    assert "\n" not in str(e.value) and "missing.mp4" in str(e.value)

    class Seen(QObject):
        def __init__(self):
            super().__init__()
            self.types: list = []

        def eventFilter(self, obj, event):  # noqa: N802 - Qt API
            self.types.append(event.type())
            return False

    seen = Seen()
    qapp.installEventFilter(seen)
    qapp.processEvents()                        # what the run left queued
    qapp.removeEventFilter(seen)
    assert QEvent.Type.Quit not in seen.types
    w = make_window(input_size=32, variants=("max",))
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=20_000)
