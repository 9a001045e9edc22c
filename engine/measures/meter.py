"""Live measures for every variant and layer, computed in small jobs between frames.

A :class:`Meter` measures one engine's variants. It is given the models once and fed each
step (:class:`StepData`: the input, the maps, the logits, the frame index, one frozen object);
it never reads the engine back. Each call of :meth:`Meter.tick` runs the next job, so no single
frame waits long:

* ``shift``: the frame and copies shifted by 1 px (right, down, diagonal) and by half a pixel
  (live, in pieces of one forward pass of one image: :mod:`engine.measures.shift_job`):
  ``shift_cosine`` (mean over the three 1-px
  shifts), ``shift_cosine_subpx``, and, from a stride-1 view of every site
  (:mod:`engine.measures.site_taps`), the site metrics of the catalogue (``polyphase_dispersion``
  and ``alias_fraction``);
* ``consistency`` (networks with a classifier): pairs of random crops (Zhang's protocol with the
  margin scaled to 1/8 of the side); the share of pairs whose top-1 class agrees, over a window
  of recent pairs;
* ``diagonal``: the probability of the top class along a 1-px diagonal shift path (Zhang's
  diagonal test), and ``top1_change``, the share of steps that change the top-1 class
  (Azulay & Weiss' jaggedness); live in pieces of a few crops (:mod:`engine.measures.diagonal_job`).

The cost (``ms``, ``macs``, ``params``) is refreshed at every tick, and the frame metrics of the
catalogue (``flicker``, from the last two frames) for one variant a tick, in turn. What each
metric means and its scale are in :mod:`engine.measures.catalogue`. :meth:`Meter.measure_all`
runs every job on one input at once (for exports and the ``measure`` command).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping

import numpy as np
import torch

from engine.device import release_host_memory
from engine.measures import catalogue, diagonal_job, shift_job
from engine.measures import pairs as pairs_
from engine.measures.catalogue import NETWORK_ROW
from engine.measures.site_taps import SiteMaps
from engine.measures.tally import Measures, StepData, Tally
from engine.network.info import network_info
from engine.network.rows import tensor_at
from engine.network.trace import trace

JOBS = ("shift", "consistency", "diagonal")
SHIFTS = shift_job.SHIFTS  # (dx, dy) of the shift job; the last: sub-pixel
CLASSIFY_BATCH = 4  # crops per forward pass in the classifier jobs


class Meter:
    """Measures of one engine's variants (see the module docstring).

    Parameters
    ----------
    network : Network
        The analysed network (its plain trace, sites and rows).
    models : dict
        Variant name -> the variant's model as the engine runs it (on ``device``).
    device, memory_format
        Where and in which layout the engine runs the models.
    """

    def __init__(self, network, models: Mapping[str, torch.nn.Module], device: torch.device,
                 memory_format=torch.contiguous_format, seed: int = 0, pairs: int = 2,
                 window: int = 100):
        self.net = network
        self.models = dict(models)
        self.variant_names = tuple(models)
        self.device, self.memory_format = device, memory_format
        self.rng = np.random.default_rng(seed)
        self.pairs = pairs
        self.window = window
        self._cannot_pair = False
        self.live = Tally({v: deque() for v in self.variant_names})
        # one job per variant each, so that no frame waits for more than one variant's pass
        # (the shift job in pieces of one forward pass of one image each, the diagonal path in
        # pieces of a few crops: shift_job.pieces, diagonal_job.PIECES)
        self.shift_pieces = shift_job.pieces(len(network.sites))
        pieces = {"shift": self.shift_pieces, "diagonal": diagonal_job.PIECES}
        self._jobs = deque([(job, v, k) for job in JOBS for v in self.variant_names
                            for k in pieces.get(job, (None,))])
        self._ran_on: dict = {}          # job -> the frame it last ran (or was passed) on
        self.shift_partial: dict = {}    # (variant, row) -> {1-px shift index: its error}
        self.diagonal_partial: dict = {}  # variant -> the path's pieces so far
        self.ticks = 0  # jobs run by tick()
        self._rf: dict[str, dict] = {}
        self._cost: dict[str, dict[str, tuple[int, int]]] | None = None
        self.site_maps: dict[str, dict[str, SiteMaps]] = {}
        self.last_ms = 0.0

    # -- geometry ---------------------------------------------------------------------------
    def rf(self, variant: str) -> dict:
        """layer -> :class:`engine.network.receptive.RF` of the variant's row (None if unknown)."""
        if variant not in self._rf:
            tr = trace(self.models[variant], self.net.probe(self.device))
            self._rf[variant] = {ly.name: tr.rf.get(tensor_at(tr, ly.point)[0])
                                 for ly in self.net.layers}
            del tr
            release_host_memory()  # the trace held every activation of its pass
        return self._rf[variant]

    def cost(self) -> dict[str, dict[str, tuple[int, int]]]:
        """variant -> layer -> (params, MACs) of the layers run since the previous row."""
        if self._cost is None:
            info = network_info(self.net)
            self._cost = {v: {r["name"]: (r["params"], r["macs"]) for r in d["layers"]}
                          for v, d in info["variants"].items()}
            release_host_memory()
        return self._cost

    # -- jobs -------------------------------------------------------------------------------
    def tick(self, step: StepData) -> Measures:
        """Run the next job on ``step`` and return the newest measures."""
        t0 = time.perf_counter()
        job, variant, piece = self._next_job(step)
        if job == "shift":
            self._job_shift(self.live, step, (variant,), piece)
        elif job == "diagonal":
            diagonal_job.piece(self, self.live, step, variant, piece)
        else:
            self._job_consistency(self.live, step, (variant,))
        # no release_host_memory() here: the heap keeps the jobs' high-water mark (~100 MB at
        # 224x224, flat after the first cycle) and every job reuses it; giving it back after
        # each job doubled the jobs' time in page faults.
        # The frame metrics of one variant a tick, in turn (all four took ~9 ms).
        turn = self.variant_names[self.ticks % len(self.variant_names)]
        self.ticks += 1
        self._refresh_cheap(self.live, step, (turn,))
        self.last_ms = (time.perf_counter() - t0) * 1000
        return self.snapshot(step.index)

    def _next_job(self, step: StepData) -> tuple:
        """The next job in the order that applies to ``step`` (the shift job always does);
        the jobs passed over count as done."""
        self._pass_over(step)
        job = self._advance(step)
        self._pass_over(step)
        return job

    def _pass_over(self, step: StepData) -> None:
        while not self._applies(self._jobs[0], step):
            self._advance(step)

    def _advance(self, step: StepData) -> tuple:
        """Take the job at the head of the order, marking it as run on this frame."""
        job = self._jobs[0]
        self._jobs.rotate(-1)
        self._ran_on[job] = step.index
        return job

    def _applies(self, job: tuple, step: StepData) -> bool:
        kind, _, piece = job
        return kind == "shift" or bool(step.logits) and (
            kind == "consistency" or diagonal_job.applies(self, step.input, piece))

    def complete_on(self, step: StepData) -> bool:
        """True once every live job has run on (or been passed over for) this frame: a frozen
        frame's measures are all of that frame."""
        return all(self._ran_on.get(job) == step.index for job in self._jobs)

    @property
    def cycled(self) -> bool:
        """True once every live job (each kind, each variant, each piece that applies) has
        run at least once."""
        return len(self._ran_on) == len(self._jobs)

    def measure_all(self, step: StepData, jobs: tuple[str, ...] = JOBS) -> Measures:
        """These jobs on ``step`` now, in a tally of their own (consistency from fresh pairs of
        this input only): the live measures, their windows and their job order stay as they
        are."""
        t0 = time.perf_counter()
        tally = Tally({v: deque() for v in self.variant_names})
        if "shift" in jobs:
            self._job_shift(tally, step)
        if step.logits:
            if "consistency" in jobs:
                self._job_consistency(tally, step, pairs=4)
            if "diagonal" in jobs:
                diagonal_job.whole(self, tally, step, self.variant_names)
        self._refresh_cheap(tally, step)
        return tally.snapshot(step.index, (time.perf_counter() - t0) * 1000)

    def pairs_short(self, step: StepData, want: int = pairs_.FROZEN_WANT) -> bool:
        """True while a frame measured again (frozen) has fewer than ``want`` crop pairs for
        some variant: its consistency is not yet worth an interval."""
        if not step.logits or self._cannot_pair:
            return False
        return any(pairs_.of_frame(self.live.agree[v], step.index) < want
                   for v in self.variant_names)

    def top_up(self, step: StepData) -> Measures:
        """More crop pairs of this (frozen) frame for every variant, outside the job order."""
        before = sum(len(a) for a in self.live.agree.values())
        self._job_consistency(self.live, step, pairs=pairs_.SAME_FRAME_BATCH)
        # a model that refuses the crops' size gets none: stop asking, never spin on it
        self._cannot_pair = sum(len(a) for a in self.live.agree.values()) == before
        return self.snapshot(step.index)

    def snapshot(self, frame_index: int) -> Measures:
        """The live measures now."""
        return self.live.snapshot(frame_index, self.last_ms)

    def _job_shift(self, tally: Tally, step: StepData, variants=None, piece=None) -> None:
        """The shift job: whole (every shift in one batch), or one of its pieces (live)."""
        if piece is None:
            shift_job.whole(self, tally, step, variants or self.variant_names)
        else:
            shift_job.piece(self, tally, step, variants[0], piece)

    def _crops(self, x: torch.Tensor, offsets: list[tuple[int, int]], margin: int):
        h, w = x.shape[-2:]
        return torch.cat([x[..., oy:oy + h - margin, ox:ox + w - margin] for oy, ox in offsets])

    def _margin(self, x: torch.Tensor) -> int:
        return max(1, round(min(x.shape[-2:]) / 8))

    def _classify(self, batch: torch.Tensor, variants=None,
                  chunk: int = CLASSIFY_BATCH) -> dict[str, torch.Tensor]:
        """variant -> (N, classes) probabilities, or {} for a model that refuses the size;
        ``chunk`` crops per forward pass."""
        out = {}
        batch = batch.contiguous(memory_format=self.memory_format)
        with torch.inference_mode():
            for v in variants or self.variant_names:
                model = self.models[v]
                parts = []
                for part in batch.split(chunk):  # a bounded peak of host memory
                    try:
                        logits = model(part)
                    except RuntimeError:
                        return {}
                    if not (isinstance(logits, torch.Tensor) and logits.ndim == 2):
                        return {}
                    parts.append(torch.softmax(logits.float(), 1))
                out[v] = torch.cat(parts)
        return out

    def _job_consistency(self, tally: Tally, step: StepData, variants=None,
                         pairs: int | None = None) -> None:
        """Fresh crop pairs of this frame. Live, the value is over the last ``window`` pairs
        of recent frames; on the same frame again (frozen, or a still image) the pairs of that
        frame alone accumulate, more per job, up to :data:`SAME_FRAME_PAIRS`."""
        x = step.input
        m = self._margin(x)
        same = all(tally.frame.get(v) == step.index for v in (variants or self.variant_names))
        n = pairs or (pairs_.SAME_FRAME_BATCH if same else self.pairs)
        offsets = [tuple(int(o) for o in self.rng.integers(0, m + 1, 2)) for _ in range(2 * n)]
        probs = self._classify(self._crops(x, offsets, m), variants)
        for v, p in probs.items():
            tally.frame[v] = step.index
            pairs_.add(tally.agree[v], step.index, p.argmax(1).cpu().numpy(), same, self.window)
            tally.put("consistency", v, NETWORK_ROW, pairs_.share(tally.agree[v]),
                      n=len(tally.agree[v]))

    def _refresh_cheap(self, tally: Tally, step: StepData, framed=None) -> None:
        """The cost of every variant, and the frame metrics of the variants ``framed`` (all
        when None)."""
        before, now = step.previous, step.maps
        cost = self.cost()
        frame_metrics = [m for m in catalogue.of(job="frame") if m.compute is not None]
        for v in self.variant_names:
            for ly in step.layers:
                if (framed is None or v in framed) and v in before and ly.name in before[v] \
                        and ly.name in now.get(v, {}):
                    for metric in frame_metrics:
                        tally.put(metric.name, v, ly.name,
                                  metric.compute(now[v][ly.name], before[v][ly.name]))
                params, macs = cost[v].get(ly.name, (0, 0))
                tally.put("params", v, ly.name, params)
                tally.put("macs", v, ly.name, macs)
                if ly.name in step.layer_ms.get(v, {}):
                    tally.put("ms", v, ly.name, step.layer_ms[v][ly.name])

