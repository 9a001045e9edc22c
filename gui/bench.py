"""``bench --gui``: frames displayed per second by the real window against the engine alone
and against the bare forward passes of the same variants.

Runs offscreen (no display needed) with the window at 1920x1080 and the guide closed, on a
pattern delivered as fast as it is asked for. Three phases take turns: display (the window
shows every frame it can), engine alone (the window's own session steps the same engine on the
frames just shown, nothing displayed) and bare forwards (the session runs only the variants'
forward passes on them, in the same thread with the same thread count), so drift in the
machine's speed, large on shared virtual machines, hits every rate alike. On a CPU with a core
to spare a fourth phase times the bare forwards again while another process spins on that core
(``forward_fps_core_busy``): the limit for a window whose drawing keeps a second core busy.
Measuring starts after a warm-up (10 frames, every live measure job run once, and the
session's choice of overlapped or in-turn halves made: ``in_turn_share`` says which the
displayed frames had, :mod:`engine.session.overlap`); the warm-up waits at most
:data:`SETTLE_S` for the choice and :data:`MEASURES_S` for the measures (ResNet-18's first
cycle at 224x224, a tenth of a core, takes longer: ``measures_cycled`` is then false). The run
ends with an error if nothing happens for :data:`STALL_S` (no frame shown, no phase over). Memory is
measured for the window's process and the engine's, each on its own, and its growth counted
from the 500th displayed frame. Prints the figures and, last, one JSON object (``displayed_fps``,
``engine_fps``, ``forward_fps``, ``forward_fps_core_busy``, ``ratio``, ``forward_ratio``,
``forward_ratio_core_busy``, ``latency_ms_p50/p95/p99``,
``interval_ms_p99``, ``rss_mb``, ``growth_mb_from_frame_500`` ...).
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
ENGINE_S = 1.5    # one engine-alone phase after it, then one of bare forward passes
GROWTH_FROM = 500  # memory growth is counted from this displayed frame
SETTLE_S = 30.0    # the warm-up waits at most this long for the loop's choice of halves
MEASURES_S = 120.0  # ... and this long for every live measure job to have run once
STALL_S = 120.0    # no frame shown and no phase over for this long: the run fails


def _pct(values: list, q: float) -> float:
    v = sorted(values)
    return round(1000 * v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))], 1) if v else 0.0


def bench_gui(config, seconds: float = 10.0, frames: int | None = None, out=print) -> dict:
    """Measure the window's displayed rate, latency and memory; see the module docstring.

    Each rate is frames over seconds summed over its phases.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from PySide6.QtCore import QEventLoop, QObject, QSettings, QTimer, Slot
    from PySide6.QtWidgets import QApplication

    from engine import EngineRate, PoolScopeError, spare_core
    from gui.main_window import DISPLAY_MAX_SIDE, MainWindow

    config = replace(config, max_side=DISPLAY_MAX_SIDE)
    app = QApplication.instance() or QApplication([])  # noqa: F841 - kept alive for the run
    loop = QEventLoop()   # its own loop: quitting it leaves the application's state alone
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
    ini = os.path.join(tempfile.mkdtemp(prefix="poolscope-bench-"), "settings.ini")
    window = MainWindow(config, SOURCE, QSettings(ini, QSettings.Format.IniFormat))
    window.resize(1920, 1080)
    window.guide_dock.hide()
    window.show()

    class Relay(QObject):  # lives in this (the GUI) thread: answers are queued to it
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        @Slot(int, float, bool, bool)
        def rated(self, n: int, elapsed: float, bare: bool, busy: bool) -> None:
            self.fn(n, elapsed, bare, busy)

    def rss_now() -> dict:  # the window's process and the engine's, if it has its own
        pid = window.transport.pid
        return {"window": round(rss_mb(("self",)), 1),
                "engine": round(rss_mb((pid,)), 1) if pid else None}

    s: dict = {"phase": "warmup", "shown": 0, "shown_s": 0.0, "lat": [], "gaps": [],
               "in_turn": 0, "progress": time.perf_counter(),
               "curve": [], "rated": {(False, False): [0, 0.0], (True, False): [0, 0.0],
                                      (True, True): [0, 0.0]}}
    spare = spare_core(config.threads or _torch_threads())

    def done() -> bool:
        return s["shown"] >= frames if frames is not None else s["shown_s"] >= seconds

    def start_display() -> None:
        s.update(phase="display", t=time.perf_counter(), n=window.frames_shown, prev=None)

    def warmed_up() -> bool:
        """10 frames shown, every live measure job run once (their first-use buffers, a trace
        per variant and the batches, are the heap's high-water mark, not growth), and the
        loop's choice of overlapped or in-turn halves made (engine.session.overlap: it tries
        both first; at most SETTLE_S)."""
        last = window.last
        # seconds since the first frame shown
        waited = time.perf_counter() - s.setdefault("t0", time.perf_counter())
        settled = last is not None and (last.stats.get("halves_settled") is not False
                                        or waited > SETTLE_S)
        s["measures_cycled"] = bool(config.measure_every and last is not None
                                    and last.stats.get("measures_cycled"))
        return window.frames_shown >= 10 and settled and (
            not config.measure_every or s["measures_cycled"] or waited > MEASURES_S)

    def on_frame(latency: float) -> None:
        now = s["progress"] = time.perf_counter()
        if s["phase"] == "warmup":
            if warmed_up():
                s["rss0"] = rss_now()
                s["warmup_frames"] = window.frames_shown
                s["warmup_s"] = now - s["t0"]
                start_display()
            return
        if s["phase"] != "display":
            return
        s["lat"].append(latency)
        s["in_turn"] += bool(window.last is not None and window.last.stats.get("in_turn"))
        if s["prev"] is not None:
            s["gaps"].append(now - s["prev"])
        s["prev"] = now
        total = s["shown"] + window.frames_shown - s["n"]
        if total >= GROWTH_FROM and "rss500" not in s:
            s["rss500"] = rss_now()
        if total // 500 > len(s["curve"]):        # growth that levels off, or not
            s["curve"].append(rss_now())
        if now - s["t"] >= DISPLAY_S or (frames is not None and total >= frames):
            s["shown"] += window.frames_shown - s["n"]
            s["shown_s"] += now - s["t"]
            s["phase"] = "engine"
            window.send(EngineRate(ENGINE_S))

    def on_rated(n: int, elapsed: float, bare: bool, busy: bool) -> None:
        s["progress"] = time.perf_counter()
        s["rated"][bare, busy][0] += n
        s["rated"][bare, busy][1] += elapsed
        if not bare:
            window.send(EngineRate(ENGINE_S, bare=True))
        elif not busy and spare and (window.info is None or window.info.device == "cpu"):
            window.send(EngineRate(ENGINE_S, bare=True, busy=True))
        elif done():
            s["rss1"] = rss_now()
            s["phase"] = "done"
            loop.quit()
        else:
            start_display()

    window.displayed.connect(on_frame)
    relay = Relay(on_rated)
    window.transport.engine_rated.connect(relay.rated)

    def watch() -> None:   # a window that shows nothing (an engine that failed) ends the run
        if time.perf_counter() - s["progress"] > STALL_S:
            loop.quit()

    watchdog = QTimer()
    watchdog.timeout.connect(watch)
    watchdog.start(1000)
    window.start()
    loop.exec()
    watchdog.stop()
    window.shutdown()
    window.close()
    if s["phase"] != "done":
        raise PoolScopeError(f"bench --gui: the window displayed {window.frames_shown} frames, "
                             f"then nothing for {STALL_S:.0f} s (phase: {s['phase']}); its "
                             "last error: " + (window.last_error or "none"))
    displayed_fps = s["shown"] / s["shown_s"]
    engine_fps = _rate(s["rated"][False, False])
    forward_fps = _rate(s["rated"][True, False])
    busy_fps = _rate(s["rated"][True, True])
    base = s.get("rss500")
    growth = ({k: round(s["rss1"][k] - base[k], 1) if base[k] is not None else None
               for k in base} if base else None)
    result = {
        "displayed_fps": round(displayed_fps, 2),
        "engine_fps": round(engine_fps, 2),
        "forward_fps": round(forward_fps, 2),
        "forward_fps_core_busy": round(busy_fps, 2) if busy_fps else None,
        "ratio": round(displayed_fps / engine_fps, 3),
        "forward_ratio": round(displayed_fps / forward_fps, 3),
        "forward_ratio_core_busy": round(displayed_fps / busy_fps, 3) if busy_fps else None,
        "latency_ms_p50": round(1000 * statistics.median(s["lat"]), 1),
        "latency_ms_p95": _pct(s["lat"], 0.95),
        "latency_ms_p99": _pct(s["lat"], 0.99),
        "interval_ms_p50": _pct(s["gaps"], 0.5),
        "interval_ms_p99": _pct(s["gaps"], 0.99),
        "rss_mb_start": s["rss0"],
        "rss_mb_at_frame_500": base,
        "rss_mb_end": s["rss1"],
        "growth_mb_from_frame_500": growth,
        "in_turn_share": round(s["in_turn"] / max(1, len(s["lat"])), 3),
        "warmup_frames": s["warmup_frames"],
        "warmup_s": round(s["warmup_s"], 1),
        "measures_cycled": s["measures_cycled"],   # before measuring began (see MEASURES_S)
        "frames": s["shown"],
        "engine_frames": s["rated"][False, False][0],
        "forward_frames": s["rated"][True, False][0],
        "model": config.model,
        "variants": list(config.variants),
        "input_size": list(window.info.input_size) if window.info else None,
        "max_side": window.transport.config.max_side,
        "window": [window.width(), window.height()],
        "measure_every": config.measure_every,
        "torch_threads": config.threads or _torch_threads(),  # the engine's
        "engine_process": window.transport.pid is not None,
        "rss_mb_every_500_frames": s["curve"],
    }
    out(f"displayed {result['displayed_fps']:7.1f} frames/s   engine alone "
        f"{result['engine_fps']:.1f}   bare forwards {result['forward_fps']:.1f} frames/s   "
        f"displayed / bare {result['forward_ratio']:.3f}")
    if busy_fps:
        out(f"bare forwards with another core busy {busy_fps:.1f} frames/s   displayed / that "
            f"{result['forward_ratio_core_busy']:.3f}")
    out(f"latency capture -> screen: p50 {result['latency_ms_p50']} ms, p95 "
        f"{result['latency_ms_p95']} ms, p99 {result['latency_ms_p99']} ms; frame interval "
        f"p99 {result['interval_ms_p99']} ms; halves in turn for "
        f"{100 * result['in_turn_share']:.0f}% of frames")
    out(f"memory (window, engine) {result['rss_mb_start']} -> {result['rss_mb_end']} MB over "
        f"{result['frames']} frames; growth from frame {GROWTH_FROM}: {growth}")
    if config.measure_every:
        out(f"warm-up: {result['warmup_frames']} frames, {result['warmup_s']} s; live measures "
            + ("all run once before measuring" if s["measures_cycled"] else
               f"not all run once within {MEASURES_S:.0f} s (memory growth may include their "
               "first use)"))
    out(json.dumps(result))
    return result


def _rate(frames_seconds: list) -> float | None:
    n, seconds = frames_seconds
    return n / seconds if seconds else None


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()
