"""The engine: one synchronous ``step(frame) -> FrameResult`` for every variant of a network.

Threads and widgets are a thin layer on top (``gui/``); tests and the command line call
``step`` directly. A step is two halves, :meth:`Engine.forward` (the forward passes) and
:meth:`Engine.finish` (the mosaics) with :meth:`Engine.measure_frame` (the live measures due),
so a live view can make one frame's mosaics and measures while the next frame's forward passes
run (:mod:`engine.pipeline`). Everything stays on the chosen
device; only the uint8 mosaics, the ranges and the top predictions move to the host each frame
(float maps only when asked).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import fields, replace
from types import MappingProxyType

import numpy as np
import torch

from engine.config import EngineConfig
from engine.device import resolve_device, set_host_threads, synchronize, tune_host_allocator
from engine.display import mosaic as mz
from engine.display.colormaps import colormap
from engine.display.views import layer_views
from engine.errors import ModelError, PoolScopeError
from engine.measures.live import LiveMeasures
from engine.measures.meter import JOBS as METER_JOBS
from engine.measures.meter import Meter
from engine.measures.tally import Measures, StepData
from engine.network.capture import Capture
from engine.network.failures import failure
from engine.network.load import Network, load_network
from engine.network.stem import stems_for
from engine.result import Fitted, Forwarded, FrameResult, Prediction, predictions  # noqa: F401
from engine.sources.frames import Frame
from engine.sources.preprocess import Normaliser, fit_frame


class Engine:
    """Runs every variant of one network on a frame and builds the mosaics.

    Parameters
    ----------
    config : EngineConfig, optional
        What to build; keyword arguments override its fields.
    network : Network, optional
        An already analysed network (skips building one from ``config.model``).
    """

    def __init__(self, config: EngineConfig | None = None, *, network: Network | None = None,
                 **overrides):
        cfg = config or EngineConfig()
        unknown = [k for k in overrides if k not in {f.name for f in fields(EngineConfig)}]
        if unknown:
            raise TypeError(f"unknown engine option {unknown[0]!r}")
        cfg = self.config = replace(cfg, **overrides)  # the caller's config stays as it was
        self.device = resolve_device(cfg.device)
        set_host_threads(cfg.threads)
        if self.device.type == "cpu":
            tune_host_allocator()
        self.network = network or load_network(cfg.model, cfg.variants, cfg.input_size, cfg.seed,
                                                cfg.weights, cfg.mean, cfg.std,
                                                trained=cfg.trained, circular=cfg.circular)
        # channels-last is 3-4x faster for these convs and pools on the CPU (oneDNN), and the
        # layout tensor cores prefer; MPS handles it poorly.
        self.memory_format = (torch.contiguous_format if self.device.type == "mps"
                              else torch.channels_last)
        self.models = {n: v.model.to(self.device, memory_format=self.memory_format)
                       for n, v in self.network.variants.items()}
        self.variant_names = tuple(self.network.variants)
        self._modules = {n: dict(m.named_modules()) for n, m in self.models.items()}
        self.normalise = Normaliser(self.network.spec.mean, self.network.spec.std, self.device)
        self._groups = (self.network.identical_rows(self.variant_names)
                        if self.network.trained is None else  # own weights: nothing shared
                        {ly.name: [[v] for v in self.variant_names] for ly in self.network.layers})
        self.set_layers(cfg.layers)
        self.view_rows: frozenset[str] | None = None   # rows with mosaics (None: every row)
        self.set_norm(cfg.norm)
        self.set_colormap(cfg.colormap, cfg.gamma)
        self.last: StepData | None = None  # the last step, as the meter is fed it
        self.last_result: FrameResult | None = None
        self.last_timings: dict[str, float] = {}
        self.layer_ms: dict[str, dict[str, float]] = {}  # variant -> row -> ms (running mean)
        self.live = LiveMeasures(self.network, self.models, self.device, self.memory_format,
                                 cfg.seed)
        self._in_history = False    # the last step was a stream frame (see ``step``)
        self._count = 0
        self._previous_index: int | None = None  # the frame stepped before (frozen: again)

    # -- settings ---------------------------------------------------------------------------
    # each setter checks its value, then records it in ``config`` (a new one)
    def set_layers(self, names: tuple[str, ...] | list[str] | None) -> None:
        """Capture only these rows (by name); None captures every row."""
        by_name = {layer.name: layer for layer in self.network.layers}
        if names is None:
            self.layers = tuple(self.network.layers)
        else:
            unknown = [n for n in names if n not in by_name]
            if unknown:
                raise ModelError(f"unknown layer {unknown[0]!r} (layers: {', '.join(by_name)})")
            self.layers = tuple(by_name[n] for n in by_name if n in set(names))
        self.config = replace(self.config, layers=None if names is None else tuple(names))
        # variants whose first captured rows are another's start from its map (engine.network.stem)
        self.stems = stems_for(self.network, self.models, self.layers, self._groups, self.device,
                               self.memory_format) if self.config.stems else {}
        self._tails = {v: tuple(ly for ly in self.layers if v not in self.stems
                                or ly.name not in self.stems[v].rows) for v in self.models}

    def set_norm(self, mode: str) -> None:
        if mode not in mz.NORM_MODES:
            raise ModelError(f"unknown normalisation {mode!r} (known: {', '.join(mz.NORM_MODES)})")
        self.norm = mode
        self.config = replace(self.config, norm=mode)

    def set_colormap(self, name: str, gamma: float | None = None) -> None:
        gamma = self.config.gamma if gamma is None else gamma
        try:
            self.cmap = colormap(name, gamma)
        except ValueError as e:
            raise ModelError(str(e)) from None
        self.config = replace(self.config, colormap=name, gamma=gamma)

    def set_max_side(self, side: int | None, rows=None) -> None:
        """Shrink mosaics so none has a side over ``side`` px (None: native resolution), and
        build them only for ``rows`` (names; None: every row): what the screen shows."""
        self.config = replace(self.config, max_side=None if side is None else int(side))
        self.view_rows = None if rows is None else frozenset(rows)

    # -- the step ---------------------------------------------------------------------------
    def prepare(self, image: np.ndarray) -> torch.Tensor:
        """The network input for an RGB uint8 frame, as ``step`` makes it."""
        return self.fitted(Frame(image, 0, 0.0)).input

    def bare_forward(self, x: torch.Tensor) -> None:
        """Only every variant's forward pass on the input ``x``, waited for: the limit a step
        is measured against (``bench``)."""
        with torch.inference_mode():
            for model in self.models.values():
                model(x)
        synchronize(self.device)

    def _to_input(self, seen: np.ndarray) -> torch.Tensor:
        return self.normalise(seen).contiguous(memory_format=self.memory_format)

    def step(self, frame: Frame | np.ndarray, history: bool = True) -> FrameResult:
        """Run every variant on one RGB uint8 frame and return what it shows
        (:meth:`forward`, :meth:`measure_frame`, then :meth:`finish`).

        Parameters
        ----------
        frame : Frame or ndarray
            A source frame, or a bare (H, W, 3) RGB uint8 image.
        history : bool
            False for a frame outside the stream (a probe of shapes): it is not measured and
            the next frame's flicker is not taken against it.
        """
        f = self.forward(frame, history)
        self.measure_frame(f)
        return self.finish(f)

    def fitted(self, frame: Frame) -> Fitted:
        """A source frame fitted to the network and made into its input: the start of
        :meth:`forward`, which a live view may do beforehand on another thread
        (:mod:`engine.session.read_ahead`)."""
        t0 = time.perf_counter()
        seen = fit_frame(frame.image, self.network.input_size, self.network.in_channels,
                         self.config.fit)
        return Fitted(frame, seen, self._to_input(seen), _ms(t0))

    def forward(self, frame: Frame | np.ndarray | Fitted, history: bool = True,
                tick=None) -> Forwarded:
        """The first half of :meth:`step`: the forward passes; the
        engine's last step (:attr:`last_maps`, :meth:`measure`) is this frame from now on.
        ``tick(point)`` is called as each variant starts, ``(variant, None)``, and after each
        captured row, ``(variant, row)`` (:mod:`engine.session.read_ahead`)."""
        if not isinstance(frame, Fitted):
            frame = self.fitted(frame if isinstance(frame, Frame) else
                                Frame(frame, self._count, time.monotonic()))
        t0 = time.perf_counter() - frame.ms / 1000.0   # the step began with the fitting
        index, stamp, seen, x = frame.frame.index, frame.frame.timestamp, frame.seen, frame.input
        self._count += 1
        timings = {"preprocess": frame.ms}

        maps: dict[str, dict[str, torch.Tensor]] = {}
        logits: dict[str, torch.Tensor] = {}
        clock = _event if self.device.type == "cuda" else time.perf_counter
        with torch.inference_mode():
            for name, model in self.models.items():
                t1 = time.perf_counter()
                start = clock()
                stem = self.stems.get(name)
                if tick is not None:
                    tick((name, None))
                with Capture(model, self._tails[name], clock=clock, modules=self._modules[name],
                             tick=tick and (lambda row, v=name: tick((v, row)))) as cap, (
                        stem.skipping(model, maps[stem.source][stem.row]) if stem
                        else nullcontext()):
                    out = self._run(name, model, x)
                maps[name] = cap.maps if stem is None else {
                    **{r: maps[stem.source][r] for r in stem.rows}, **cap.maps}
                self._layer_times(name, start, cap.times, stem)
                if isinstance(out, torch.Tensor) and out.ndim == 2:
                    logits[name] = out[0]
                timings[f"forward:{name}"] = _ms(t1)
        wrapped = self._previous_index is not None and index < self._previous_index
        previous = self.last.maps if self.last is not None and self._in_history \
            and not wrapped else {}   # a looping video starts again: no flicker across it
        self.last = StepData(x, index, self.layers, maps, previous, logits,
                             {v: dict(d) for v, d in self.layer_ms.items()})
        self.last_timings, self._in_history = timings, history
        again, self._previous_index = index == self._previous_index, index
        if self.config.measure_every:
            self.live.warm()
        rows = self.view_rows
        return Forwarded(index, stamp, seen, maps, logits, timings,
                         tuple(ly for ly in self.layers if rows is None or ly.name in rows),
                         self.norm, self.cmap, self.config.max_side, t0, self.last, history,
                         again, self._count)

    def finish(self, f: Forwarded) -> FrameResult:
        """The second half of :meth:`step`: the mosaics of the rows on screen and the top
        predictions, with the newest live measures. It reads only ``f`` and fixed parts of the
        engine, so it may run on another thread while the next :meth:`forward` runs."""
        t2 = time.perf_counter()
        with torch.inference_mode():
            views = layer_views(f.maps, f.rows, self._groups, f.norm, f.cmap.diverging,
                                f.max_side)
            preds = predictions(f.logits, self.config.top_k, self.network.label)
        timings = dict(f.timings, mosaic=_ms(t2), total=_ms(f.started))
        self.last_result = FrameResult(
            f.index, f.stamp, f.seen, self.variant_names, tuple(ly.name for ly in self.layers),
            MappingProxyType({v: MappingProxyType(d) for v, d in views.items()}),
            MappingProxyType(preds), MappingProxyType(timings), f.norm, f.cmap.name,
            self.live.measures)
        return self.last_result

    def measure_frame(self, f: Forwarded) -> None:
        """The live measure jobs due on ``f``'s frame: the last part of a step, which a live
        view runs on its worker beside the next forward passes (engine.measures.live)."""
        cfg = self.config
        ms = self.live.run(f.data, cfg.measure_every, cfg.measure_budget, f.history, f.again,
                           f.count)
        if ms is not None:
            f.timings["measure"] = ms

    @property
    def measures(self) -> Measures | None:
        """The newest live measures (maybe of an earlier frame)."""
        return self.live.measures

    @property
    def meter(self) -> Meter:
        return self.live.meter

    def settling(self) -> bool:
        """True while the frame stepped again (frozen) wants more crop pairs (live measures
        on, a classifier that takes the crops), or some live job has not run on it yet."""
        return bool(self.config.measure_every) and self.last is not None \
            and self.live.settling(self.last)

    def measure(self, jobs: tuple[str, ...] = METER_JOBS) -> Measures:
        """Every measure of the last stepped frame, now (for exports and ``measure``); the
        live measures (:attr:`measures`) stay as they are."""
        if self.last is None:
            raise ModelError("no frame measured yet: step one first")
        return self.live.measure_all(self.last, jobs)

    def view_shapes(self) -> dict[tuple[str, str], tuple[int, ...]]:
        """(variant, row) -> (C, H, W) of every shown map, from one forward pass of a zero
        input per variant (the engine's last step stays as it was)."""
        x = self.network.probe(self.device).contiguous(memory_format=self.memory_format)
        shapes = {}
        with torch.inference_mode():
            for v, model in self.models.items():
                with Capture(model, self.layers) as cap:
                    self._run(v, model, x)
                shapes.update({(v, name): tuple(t.shape) for name, t in cap.maps.items()})
        return shapes

    def native_result(self) -> FrameResult:
        """The last step's result with its mosaics at native resolution (what ``export``
        writes), rebuilt from the step's maps if the live display shrank them."""
        if self.last is None or self.last_result is None:
            raise ModelError("no frame yet: step one first")
        r = self.last_result
        if self.config.max_side is None:
            return r
        views = layer_views(self.last.maps, self.last.layers, self._groups, r.norm,
                            self.cmap.diverging, None)
        return replace(r, views=MappingProxyType({v: MappingProxyType(d)
                                                  for v, d in views.items()}))

    @property
    def last_input(self) -> torch.Tensor | None:
        """The network input of the last step (on the device), or None before the first."""
        return None if self.last is None else self.last.input

    @property
    def last_maps(self) -> Mapping[str, Mapping[str, torch.Tensor]]:
        """variant -> row -> (C, H, W) map of the last step, on the device."""
        return {} if self.last is None else self.last.maps

    def _run(self, variant: str, model, x: torch.Tensor):
        """``model(x)``; an error in it is one line naming the variant and the module."""
        try:
            return model(x)
        except PoolScopeError:
            raise
        except Exception as e:  # noqa: BLE001 - a user's model may raise anything
            raise failure(e, model, f"{self.network.spec.name} ({variant}): forward pass") \
                from None

    def _layer_times(self, variant: str, start, times: dict, stem=None) -> None:
        """Fold one forward pass's per-row times into the running means of ``layer_ms``; rows
        a stem took from another variant cost what they cost there."""
        if self.device.type == "cuda" and times:   # this thread's stream (not the meter's)
            torch.cuda.current_stream(self.device).synchronize()
        per = self.layer_ms.setdefault(variant, {})
        for r in stem.rows if stem is not None else ():
            if r in self.layer_ms.get(stem.source, {}):
                per[r] = self.layer_ms[stem.source][r]
        prev = start
        for ly in self.layers:
            t = times.get(ly.name)
            if t is None:
                continue
            d = (prev.elapsed_time(t) if self.device.type == "cuda" else (t - prev) * 1000.0)
            per[ly.name] = d if ly.name not in per else 0.8 * per[ly.name] + 0.2 * d
            prev = t

    # -- float maps on demand ---------------------------------------------------------------
    def float_maps(self) -> dict[str, dict[str, np.ndarray]]:
        """The float (C, H, W) maps of the last step, on the host: variant -> layer -> array."""
        return {v: {name: t.float().cpu().numpy() for name, t in d.items()}
                for v, d in self.last_maps.items()}


def _event():
    """A recorded CUDA event: per-layer times on a GPU without a synchronisation per layer."""
    ev = torch.cuda.Event(enable_timing=True)
    ev.record()
    return ev


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0
