"""``bench --engine``: frames per second of ``Engine.step`` against the bare forward passes; and
the per-row milliseconds ``info`` prints.

Both are timed on the same pre-rendered frames, interleaved round by round so drift in the
machine's speed hits both alike; the figures are medians over rounds. On a CPU with cores to
spare, each round also times the bare forward passes while another process spins on a free
core (``forward_fps_core_busy``): the limit for a live view, whose window and mosaics keep a
second core busy (on these shared virtual machines that slowed them by 0-50%, varying).
The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from dataclasses import replace

import numpy as np
import torch

from engine.busy_core import another_core_busy, spare_core
from engine.device import synchronize
from engine.engine import Engine, EngineConfig
from engine.sources.patterns import PATTERNS


def bench_engine(config: EngineConfig, seconds: float = 10.0, frames: int = 16,
                 out=print) -> dict:
    """Measure ``Engine.step`` and the bare forward passes of the same variants.

    Parameters
    ----------
    config : EngineConfig
        The engine to measure (model, variants, device, mosaic size ...).
    seconds : float
        Rough total measuring time, split between the two.
    frames : int
        Distinct pattern frames cycled through (so caches see changing input).

    Returns
    -------
    dict
        ``engine_fps``, ``forward_fps``, ``ratio`` (engine time / forward time), ``device``,
        per-stage medians and the configuration.
    """
    engine = Engine(config)
    pattern = PATTERNS["shapes"](width=640, height=480, realtime=False)
    images = [pattern.render(i) for i in range(frames)]
    inputs = [engine.prepare(img) for img in images]

    def forward(i: int) -> None:
        engine.bare_forward(inputs[i % frames])

    def step(i: int, e: Engine = engine) -> None:
        e.step(images[i % frames])
        synchronize(e.device)
    # the same engine with every variant's pass whole: what sharing stems saves
    whole = Engine(replace(config, stems=False), network=engine.network) if engine.stems else None

    for i in range(3):  # warm up both paths (allocator, oneDNN kernels)
        forward(i)
        step(i)
        if whole is not None:
            step(i, whole)
    t_fwd, t_step, t_busy, t_whole, stages = [], [], [], [], {}
    spare = engine.device.type == "cpu" and spare_core()
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline or len(t_step) < 5:
        t0 = time.perf_counter()
        for k in range(4):
            forward(i + k)
        t_fwd.append((time.perf_counter() - t0) / 4)
        t0 = time.perf_counter()
        for k in range(4):
            step(i + k)
            for name, ms in engine.last_timings.items():
                stages.setdefault(name, []).append(ms)
        t_step.append((time.perf_counter() - t0) / 4)
        if spare:
            t_busy.append(_beside_a_spinner(lambda k, i=i: forward(i + k)))
        if whole is not None:
            t0 = time.perf_counter()
            for k in range(4):
                step(i + k, whole)
            t_whole.append((time.perf_counter() - t0) / 4)
        i += 4
    fwd, stp = statistics.median(t_fwd), statistics.median(t_step)
    result = {
        "engine_fps": round(1.0 / stp, 2),
        "forward_fps": round(1.0 / fwd, 2),
        "ratio": round(stp / fwd, 3),
        "overhead_pct": round((stp / fwd - 1.0) * 100.0, 1),
        "forward_fps_core_busy": round(1.0 / statistics.median(t_busy), 2) if t_busy else None,
        "engine_fps_whole_passes": round(1.0 / statistics.median(t_whole), 2) if t_whole
        else None,   # without shared stems
        "stems": {v: s.row for v, s in engine.stems.items()},
        "device": str(engine.device),
        "model": config.model,
        "variants": list(engine.variant_names),
        "layers": len(engine.layers),
        "input_size": list(engine.network.input_size),
        "max_side": config.max_side,
        "rounds": len(t_step),
        "stage_ms_median": {k: round(statistics.median(v), 3) for k, v in stages.items()},
        "torch_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
    }
    out(f"engine  {result['engine_fps']:8.1f} frames/s   ({stp * 1000:.2f} ms per step)")
    out(f"forward {result['forward_fps']:8.1f} frames/s   ({fwd * 1000:.2f} ms for "
        f"{len(engine.models)} variants)")
    out(f"ratio   {result['ratio']:8.3f}   (engine adds {result['overhead_pct']:+.1f}% over "
        "the bare forward passes; target <= +15%)")
    if t_busy:
        out(f"forward {result['forward_fps_core_busy']:8.1f} frames/s with another core busy")
    if t_whole:
        out(f"engine  {result['engine_fps_whole_passes']:8.1f} frames/s with every variant's pass "
            "whole (no shared stems: " + ", ".join(f"{v} from {s.source}'s {s.row}" for v, s in
                                                   engine.stems.items()) + ")")
    out("stages (median ms): " + ", ".join(f"{k} {v}" for k, v in
                                           result["stage_ms_median"].items()))
    out(json.dumps(result))
    return result


def step_rate(config: EngineConfig, source: str = "pattern:shapes", seconds: float = 5.0) -> float:
    """``Engine.step`` frames per second on frames of ``source`` (read beforehand)."""
    from engine.sources.openers import open_source

    engine = Engine(config)
    with open_source(source, realtime=False) as src:
        frames = [src.read() for _ in range(16)]
    for f in frames[:3]:
        engine.step(f)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 5:
        engine.step(frames[n % len(frames)])
        n += 1
    return n / (time.perf_counter() - t0)


def _beside_a_spinner(run) -> float:
    """Seconds per call of ``run(k)`` (4 calls) while another process spins on a free core."""
    with another_core_busy():
        t0 = time.perf_counter()
        for k in range(4):
            run(k)
        return (time.perf_counter() - t0) / 4


def add_timings(info: dict, net, device: str = "auto", frames: int = 5) -> dict:
    """Add ``ms`` (measured, per row) to every row of ``info``: the engine's running mean over
    ``frames`` steps after one warm-up (CUDA events on a GPU, a monotonic clock on the CPU), on
    a mid-grey frame."""
    engine = Engine(network=net, device=device, variants=tuple(net.variants))
    image = np.full((*net.input_size, 3), 128, np.uint8)
    engine.step(image)
    engine.layer_ms.clear()
    for _ in range(frames):
        engine.step(image)
    for name, v in info["variants"].items():
        for row in v["layers"]:
            ms = engine.layer_ms.get(name, {}).get(row["name"])
            row["ms"] = None if ms is None else round(ms, 3)
    info["device"] = str(engine.device)
    return info
