"""The session's longer jobs, each asked for by one command: a shift probe, an export, and the
engine alone for ``bench --gui``. Each returns what answers it."""

from __future__ import annotations

import time
from contextlib import ExitStack, nullcontext

from engine.busy_core import another_core_busy
from engine.errors import PoolScopeError
from engine.measures.probes import shift_probe
from engine.output.export import export_frame, new_export_dir
from engine.pipeline import MEASURE_NICE, Pipeline
from engine.session.messages import Answered, EngineRated, Exported, Failed, ProbeDone


def probe(engine, steps_per_px: int, cancel) -> list:
    """Sweep a shift over the engine's last frame: ``[ProbeDone(result)]``, or
    ``[ProbeDone(None), Failed(why)]`` (the window waits for the answer either way)."""
    if engine is None or engine.last_input is None:
        return [ProbeDone(None), Failed("shift probe: no frame yet")]
    try:
        return [ProbeDone(shift_probe(engine, steps_per_px=steps_per_px or 2, cancel=cancel))]
    except PoolScopeError as e:
        return [ProbeDone(None), Failed(str(e))]
    except Exception as e:  # noqa: BLE001 - reported, the session goes on
        return [ProbeDone(None), Failed(f"shift probe: {type(e).__name__}: {e}")]


def export(engine, folder: str, npz: bool, source: str) -> Exported:
    """Write the engine's last step as ``main.py export`` does, into a new folder."""
    if engine is None or engine.last is None:
        raise PoolScopeError("nothing to export yet")
    out = new_export_dir(folder)
    export_frame(out, engine, engine.native_result(), source=source, npz=npz)
    return Exported(str(out))


def engine_rate(engine, frames: list, seconds: float, cancel, bare: bool = False,
                busy: bool = False) -> EngineRated:
    """Step ``engine`` alone on ``frames`` for ``seconds`` (at least 3 steps), pipelined as the
    live view steps it (:mod:`engine.pipeline`: mosaics on one worker, measures on another);
    ``bare``: only the forward passes of its variants, on the same frames made into inputs
    beforehand; ``busy``: while another core is kept busy (:mod:`engine.busy_core`)."""
    if not frames:
        raise PoolScopeError("engine rate: no frame yet")
    workers = ExitStack()   # the pipelines of a pipelined run
    if bare:
        inputs = [engine.prepare(f.image) for f in frames]

        def once(i: int) -> None:
            engine.bare_forward(inputs[i % len(inputs)])
        once(0)   # warm: the first pass after steps may allocate
    else:
        pipe = workers.enter_context(Pipeline(lambda result: None))
        measurer = workers.enter_context(Pipeline(lambda result: None, name="measure",
                                                  nice=MEASURE_NICE))

        def once(i: int) -> None:
            forwarded = engine.forward(frames[i % len(frames)])
            pipe.put(lambda: engine.finish(forwarded))
            if engine.config.measure_every:
                measurer.offer(lambda: engine.measure_frame(forwarded))
    with another_core_busy() if busy else nullcontext():
        n, t0 = 0, time.perf_counter()
        with workers:   # closed (the last frame's mosaics done) within the time
            while (time.perf_counter() - t0 < seconds or n < 3) and not cancel():
                once(n)
                n += 1
        took = time.perf_counter() - t0
    return EngineRated(n, took, bare, busy)


def answer(question: str, source, samples: int) -> Answered:
    """One of ``ask``'s questions on its default set-up, on the session's source
    when it is a photo or a video (a camera or a pattern keeps the default)."""
    from engine.answers.asking import ask
    from engine.answers.base import Setup

    spec = getattr(source, "name", None)
    spec = spec if spec and not spec.startswith(("camera", "pattern:")) else None
    return Answered(ask(question, Setup(source=spec, samples=samples)))
