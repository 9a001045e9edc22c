"""``bench --gui``: frames displayed per second by the real window against the engine alone.

Runs offscreen (no display needed), on a pattern delivered as fast as it is asked for, with
the same network, variants and display mosaic size. Prints the figures and, last, one JSON
object: ``displayed_fps``, ``engine_fps``, ``ratio``, ``latency_ms_p50``, ``latency_ms_p95``,
``rss_mb_start``, ``rss_mb_end``, ``frames``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time

SOURCE = "pattern:shapes,fps=1000"


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def bench_gui(config, seconds: float = 10.0, frames: int | None = None, out=print) -> dict:
    """Measure the window's displayed rate, latency and memory; see the module docstring."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from engine.bench import step_rate
    from gui.main_window import DISPLAY_MAX_SIDE, MainWindow

    # The engine alone first (a fresh process state), at the mosaic size a 1600x980 window's
    # grid asks for; measured again below if the window asked for another.
    config.max_side = 256
    engine_fps = step_rate(config, SOURCE, max(2.0, seconds / 3))
    config.max_side = DISPLAY_MAX_SIDE

    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(imageAxisOrder="row-major")
    ini = os.path.join(tempfile.mkdtemp(prefix="poolscope-bench-"), "settings.ini")
    window = MainWindow(config, SOURCE, QSettings(ini, QSettings.Format.IniFormat))
    window.resize(1600, 980)
    window.show()
    state: dict = {}

    def on_frame(latency: float) -> None:
        if "t0" not in state:
            if window.frames_shown >= 10:  # warmed up
                state.update(t0=time.perf_counter(), n0=window.frames_shown, rss0=rss_mb(),
                             lat=[])
            return
        state["lat"].append(latency)
        if (window.frames_shown - state["n0"]) % 500 == 0:  # growth that levels off, or not
            state.setdefault("curve", []).append(round(rss_mb(), 1))
        done_frames = frames is not None and window.frames_shown - state["n0"] >= frames
        done_time = frames is None and time.perf_counter() - state["t0"] >= seconds
        if done_frames or done_time:
            state.update(t1=time.perf_counter(), n1=window.frames_shown, rss1=rss_mb())
            app.quit()

    window.displayed.connect(on_frame)
    limit = (seconds if frames is None else max(seconds, frames / 5.0)) + 60
    QTimer.singleShot(int(limit * 1000), app.quit)
    window.start()
    app.exec()
    window.shutdown()
    window.close()
    if window.worker.config.max_side != 256:
        config.max_side = window.worker.config.max_side
        engine_fps = step_rate(config, SOURCE, max(2.0, seconds / 3))
    if "t1" not in state:
        raise RuntimeError(f"the window displayed {window.frames_shown} frames before the time "
                           "limit; see its status bar errors: " + window.last_error)
    shown = state["n1"] - state["n0"]
    displayed_fps = shown / (state["t1"] - state["t0"])
    lat = sorted(state["lat"])
    result = {
        "displayed_fps": round(displayed_fps, 2),
        "engine_fps": round(engine_fps, 2),
        "ratio": round(displayed_fps / engine_fps, 3),
        "latency_ms_p50": round(1000 * statistics.median(lat), 1),
        "latency_ms_p95": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
        "rss_mb_start": round(state["rss0"], 1),
        "rss_mb_end": round(state["rss1"], 1),
        "frames": shown,
        "model": config.model,
        "variants": list(config.variants),
        "max_side": window.worker.config.max_side,
        "measure_every": config.measure_every,
        "rss_mb_every_500_frames": state.get("curve", []),
    }
    out(f"displayed {result['displayed_fps']:7.1f} frames/s   engine alone "
        f"{result['engine_fps']:.1f} frames/s   ratio {result['ratio']:.3f} (target >= 0.9, "
        "and >= 30 fps)")
    out(f"latency capture -> screen: p50 {result['latency_ms_p50']} ms, p95 "
        f"{result['latency_ms_p95']} ms")
    out(f"memory {result['rss_mb_start']} MB -> {result['rss_mb_end']} MB over {shown} frames"
        + (f" (every 500 frames: {', '.join(map(str, state['curve']))})"
           if state.get("curve") else ""))
    out(json.dumps(result))
    return result
