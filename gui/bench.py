"""``bench --gui``: frames displayed per second by the real window against the engine alone.

Runs offscreen (no display needed), on a pattern delivered as fast as it is asked for.
Display phases alternate with phases where the window's own session steps the same engine alone
on the frames just shown (same network, variants, mosaic size and thread), so drift in the
machine's speed, large on shared virtual machines, hits both rates alike. Measuring starts
after a warm-up (10 frames, and every live measure job run once). Memory is the window's
process and the engine's together. Prints the figures
and, last, one JSON object: ``displayed_fps``, ``engine_fps``, ``ratio``, ``latency_ms_p50``,
``latency_ms_p95``, ``rss_mb_start``, ``rss_mb_end``, ``frames``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace

SOURCE = "pattern:shapes,fps=1000"


def rss_mb(pids: tuple = ("self",)) -> float:
    """Resident memory of these processes together in MB (Linux /proc; else this process's
    peak RSS)."""
    try:
        total = 0
        for pid in pids:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1])
        return total * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


DISPLAY_S = 3.0   # one display phase
ENGINE_S = 1.5    # one engine-alone phase after it


def bench_gui(config, seconds: float = 10.0, frames: int | None = None, out=print) -> dict:
    """Measure the window's displayed rate, latency and memory; see the module docstring.

    Display phases (the window showing every frame it can) alternate with engine-alone phases
    (the session steps the same engine in the same process on the frames just shown, nothing
    displayed), so a change in the machine's speed hits both rates alike; each rate is frames
    over seconds summed over its phases.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from PySide6.QtCore import QObject, QSettings, QTimer, Slot
    from PySide6.QtWidgets import QApplication

    from engine import EngineRate
    from gui.main_window import DISPLAY_MAX_SIDE, MainWindow

    config = replace(config, max_side=DISPLAY_MAX_SIDE)
    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
    ini = os.path.join(tempfile.mkdtemp(prefix="poolscope-bench-"), "settings.ini")
    window = MainWindow(config, SOURCE, QSettings(ini, QSettings.Format.IniFormat))
    window.resize(1600, 980)
    window.show()

    class Relay(QObject):  # lives in this (the GUI) thread: answers are queued to it
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        @Slot(int, float)
        def rated(self, n: int, elapsed: float) -> None:
            self.fn(n, elapsed)

    def rss_now() -> float:  # the window's process and the engine's, if it has its own
        pid = window.transport.pid
        return rss_mb(("self", pid) if pid else ("self",))

    s: dict = {"phase": "warmup", "shown": 0, "shown_s": 0.0, "stepped": 0, "stepped_s": 0.0,
               "lat": [], "curve": []}

    def done() -> bool:
        if frames is not None:
            return s["shown"] >= frames
        return s["shown_s"] >= seconds

    def start_display() -> None:
        s.update(phase="display", t=time.perf_counter(), n=window.frames_shown)

    def warmed_up() -> bool:
        """10 frames shown, and every live measure job run once: their first-use buffers
        (a trace per variant, the batches) are the heap's high-water mark, not growth."""
        last = window.last
        return window.frames_shown >= 10 and (
            not config.measure_every or (last is not None and last.stats.get("measures_cycled")))

    def on_frame(latency: float) -> None:
        if s["phase"] == "warmup":
            if window.frames_shown == 10:
                s["rss_first"] = rss_now()
            if warmed_up():
                s["rss0"] = rss_now()
                s["warmup_frames"] = window.frames_shown
                start_display()
            return
        if s["phase"] != "display":
            return
        s["lat"].append(latency)
        total = s["shown"] + window.frames_shown - s["n"]
        if total // 500 > len(s["curve"]):        # growth that levels off, or not
            s["curve"].append(round(rss_now(), 1))
        now = time.perf_counter()
        if now - s["t"] >= DISPLAY_S or (frames is not None and total >= frames):
            s["shown"] += window.frames_shown - s["n"]
            s["shown_s"] += now - s["t"]
            s["phase"] = "engine"
            window.send(EngineRate(ENGINE_S))

    def on_rated(n: int, elapsed: float) -> None:
        s["stepped"] += n
        s["stepped_s"] += elapsed
        if done():
            s["rss1"] = rss_now()
            s["phase"] = "done"
            app.quit()
        else:
            start_display()

    window.displayed.connect(on_frame)
    relay = Relay(on_rated)
    window.transport.engine_rated.connect(relay.rated)
    limit = (seconds if frames is None else max(seconds, frames / 5.0)) * 2 + 120
    QTimer.singleShot(int(limit * 1000), app.quit)
    window.start()
    app.exec()
    window.shutdown()
    window.close()
    if s["phase"] != "done":
        raise RuntimeError(f"the window displayed {window.frames_shown} frames before the time "
                           "limit; see its status bar errors: " + window.last_error)
    displayed_fps = s["shown"] / s["shown_s"]
    engine_fps = s["stepped"] / s["stepped_s"]
    lat = sorted(s["lat"])
    result = {
        "displayed_fps": round(displayed_fps, 2),
        "engine_fps": round(engine_fps, 2),
        "ratio": round(displayed_fps / engine_fps, 3),
        "latency_ms_p50": round(1000 * statistics.median(lat), 1),
        "latency_ms_p95": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
        "rss_mb_start": round(s["rss0"], 1),
        "rss_mb_at_frame_10": round(s.get("rss_first", s["rss0"]), 1),
        "warmup_frames": s["warmup_frames"],
        "rss_mb_end": round(s["rss1"], 1),
        "frames": s["shown"],
        "engine_frames": s["stepped"],
        "model": config.model,
        "variants": list(config.variants),
        "input_size": list(window.info.input_size) if window.info else None,
        "max_side": window.transport.config.max_side,
        "measure_every": config.measure_every,
        "torch_threads": config.threads or _torch_threads(),  # the engine's
        "engine_process": window.transport.pid is not None,
        "rss_mb_every_500_frames": s["curve"],
    }
    out(f"displayed {result['displayed_fps']:7.1f} frames/s   engine alone "
        f"{result['engine_fps']:.1f} frames/s   ratio {result['ratio']:.3f} (target >= 0.9, "
        "and >= 30 fps)")
    out(f"latency capture -> screen: p50 {result['latency_ms_p50']} ms, p95 "
        f"{result['latency_ms_p95']} ms")
    out(f"memory {result['rss_mb_start']} MB -> {result['rss_mb_end']} MB over "
        f"{result['frames']} frames after a warm-up of {result['warmup_frames']} (every live "
        f"measure job once; {result['rss_mb_at_frame_10']} MB at frame 10)"
        + (f" (every 500 frames: {', '.join(map(str, s['curve']))})" if s["curve"] else ""))
    out(json.dumps(result))
    return result


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()
