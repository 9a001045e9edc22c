"""What the meter is fed (:class:`StepData`), what it keeps while it measures (:class:`Tally`)
and what it answers with (:class:`Measures`)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import torch

from engine.network.rows import Layer


@dataclass(frozen=True)
class Measures:
    """The newest value of every measure: ``values[metric][variant][layer]``.

    Network-level metrics use the layer name ``"output"``. ``diagonal[variant]`` is the
    probability of the top class along the diagonal path ``diagonal_shifts`` (px).
    ``counts[metric][variant][layer]`` is the sample count of each statistical value (see
    :mod:`engine.measures.catalogue`).
    """

    frame_index: int
    values: Mapping[str, Mapping[str, Mapping[str, float]]]
    diagonal: Mapping[str, tuple[float, ...]]
    diagonal_shifts: tuple[int, ...]
    ms: float = 0.0  # how long the last job took
    counts: Mapping[str, Mapping[str, Mapping[str, int]]] = field(
        default_factory=lambda: MappingProxyType({}))

    def get(self, metric: str, variant: str, layer: str) -> float:
        return self.values.get(metric, {}).get(variant, {}).get(layer, math.nan)

    def count(self, metric: str, variant: str, layer: str) -> int | None:
        """The sample count behind a statistical value (None for the others)."""
        return self.counts.get(metric, {}).get(variant, {}).get(layer)

    def rows(self, frame: int | None = None) -> list[tuple[int, str, str, str, float]]:
        """Long form: ``(frame, variant, layer, metric, value)``, one row per value."""
        f = self.frame_index if frame is None else frame
        return [(f, v, layer, metric, float(value))
                for metric, per in self.values.items()
                for v, layers in per.items() for layer, value in layers.items()]


@dataclass(frozen=True)
class StepData:
    """What the meter is fed after each engine step."""

    input: torch.Tensor                             # (1, C, H, W) network input, on the device
    index: int                                      # the frame's index
    layers: tuple[Layer, ...]                       # the rows captured
    maps: Mapping[str, Mapping[str, torch.Tensor]]  # variant -> row -> (C, H, W) map
    previous: Mapping[str, Mapping[str, torch.Tensor]]  # the stream frame before (or empty)
    logits: Mapping[str, torch.Tensor]              # variant -> class scores (empty: none)
    layer_ms: Mapping[str, Mapping[str, float]]     # variant -> row -> ms (running mean)


@dataclass
class Tally:
    """The newest values of a run of jobs: the live ones, or one :meth:`Meter.measure_all`."""

    agree: dict[str, deque]                     # variant -> recent crop-pair agreements
    frame: dict[str, int] = field(default_factory=dict)  # variant -> frame of the last pairs
    values: dict = field(default_factory=dict)  # metric -> variant -> row -> value
    counts: dict = field(default_factory=dict)  # metric -> variant -> row -> sample count
    diagonal: dict[str, tuple[float, ...]] = field(default_factory=dict)
    diagonal_shifts: tuple[int, ...] = ()

    def put(self, metric: str, variant: str, layer: str, value: float,
            n: int | None = None) -> None:
        self.values.setdefault(metric, {}).setdefault(variant, {})[layer] = float(value)
        if n is not None:
            self.counts.setdefault(metric, {}).setdefault(variant, {})[layer] = int(n)

    def snapshot(self, frame_index: int, ms: float) -> Measures:
        def freeze(tree):
            return MappingProxyType({m: MappingProxyType({v: MappingProxyType(dict(d))
                                                          for v, d in per.items()})
                                     for m, per in tree.items()})
        return Measures(frame_index, freeze(self.values), MappingProxyType(dict(self.diagonal)),
                        self.diagonal_shifts, ms, freeze(self.counts))
