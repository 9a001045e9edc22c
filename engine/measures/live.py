"""The engine's live measures: its meter, when the meter's jobs run on a stepped frame, and the
lock that lets them run on another thread than the forward passes.

A live view runs a frame's jobs on its worker thread after the frame's view went out, beside
the next frame's forward passes (:mod:`engine.pipeline`), so a job no longer holds the display
back. The meter therefore runs model copies of its own (the same weights): hooks belong to a
module, not to a thread, so the engine's captures and stems and the meter's would otherwise
see each other's passes. What the meter traces once (costs, receptive fields) is traced in the
forward passes' thread (:meth:`LiveMeasures.warm`): a trace hooks the engine's models too.
"""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext

import torch
from torch import nn

from engine.errors import PoolScopeError
from engine.measures.meter import Meter
from engine.measures.tally import Measures, StepData
from engine.measures.throttle import Throttle
from engine.network.failures import failure
from engine.network.rewrite import shared_copy


class LiveMeasures:
    """The meter of one engine's ``models`` and the newest live :attr:`measures`.

    On a frame stepped again (frozen) the jobs may take all the time, until every job ran on
    it.
    """

    def __init__(self, network, models: dict[str, nn.Module], device, memory_format,
                 seed: int = 0):
        self.network, self.device = network, torch.device(device)
        self._stream = None   # a CUDA device: the meter's own stream
        self.meter = Meter(network, {n: shared_copy(m) for n, m in models.items()}, device,
                           memory_format, seed=seed)
        self.measures: Measures | None = None
        self.lock = threading.RLock()
        self._throttle = Throttle(0.0, 0.1)
        self._warm = False

    def run(self, step: StepData, every: int, budget: float, history: bool, again: bool,
            count: int) -> float | None:
        """The jobs due on ``step``, the ``count``-th step, at most every ``every``-th frame and
        within ``budget`` of the time (see the class docstring); the job's milliseconds, or
        None if none was due."""
        if not (history and every):
            return None
        ms = None
        with self.lock, self._own_stream():
            self._throttle.budget = 1.0 if again else budget
            if count % every == 1 % every and self._throttle.due(None, time.perf_counter()):
                t0, cpu0 = time.perf_counter(), time.thread_time()
                self.measures = self._guard(self.meter.tick, step)
                # the budget is a share of a core: this thread's CPU time, not its wall time
                # (a worker at a lower priority may wait for the CPU longer than it uses it)
                end = time.perf_counter()
                self._throttle.ran(None, end - (time.thread_time() - cpu0), end)
                ms = (end - t0) * 1000.0
            if again and self.meter.pairs_short(step):
                self.measures = self._guard(self.meter.top_up, step)  # frozen: 200 pairs soon
        return ms

    def _own_stream(self):
        """On a CUDA device, the meter's kernels on a stream of their own (after the frame's
        forward passes), so the forward passes' thread never waits for them."""
        if self.device.type != "cuda":
            return nullcontext()
        if self._stream is None:
            self._stream = torch.cuda.Stream(self.device)
        self._stream.wait_stream(torch.cuda.default_stream(self.device))
        return torch.cuda.stream(self._stream)

    def warm(self) -> None:
        """Trace what the meter traces once, now (in the forward passes' thread)."""
        if self._warm:
            return
        with self.lock:
            self.meter.cost()
            for v in self.meter.variant_names:
                self.meter.rf(v)
        self._warm = True

    def settling(self, step: StepData) -> bool:
        """True while ``step`` (stepped again) wants more crop pairs, or some live job has not
        run on it yet."""
        with self.lock:
            return self.meter.pairs_short(step) or not self.meter.complete_on(step)

    def measure_all(self, step: StepData, jobs: tuple[str, ...]) -> Measures:
        with self.lock:
            return self.meter.measure_all(step, jobs)

    def _guard(self, job, step: StepData) -> Measures:
        try:
            return job(step)
        except PoolScopeError:
            raise
        except Exception as e:  # noqa: BLE001 - a user's model may fail on a shifted input
            raise failure(e, nn.ModuleDict(self.meter.models),
                          f"{self.network.spec.name}: measuring") from None
