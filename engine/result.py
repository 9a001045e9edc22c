"""What one stepped frame shows (:class:`FrameResult`), and the two halves of a step.

:class:`Forwarded` is a step after its forward passes (the maps on the device, nothing shown
yet); :meth:`engine.engine.Engine.finish` turns it into a :class:`FrameResult` (the mosaics
and the top predictions), possibly on another thread while the next frame's forward passes
run (:mod:`engine.pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch

from engine.display.colormaps import DEFAULT_COLORMAP
from engine.display.views import LayerView
from engine.measures.tally import Measures, StepData
from engine.sources.frames import Frame


@dataclass(frozen=True)
class Prediction:
    index: int
    label: str
    prob: float


@dataclass(frozen=True)
class FrameResult:
    """Everything one processed frame shows; immutable, arrays are fresh each frame."""

    frame_index: int
    captured_at: float                       # time.monotonic() of the frame
    input_image: np.ndarray                  # the frame as the network sees it (uint8)
    variants: tuple[str, ...]
    layers: tuple[str, ...]
    views: Mapping[str, Mapping[str, LayerView]]   # variant -> layer -> view
    predictions: Mapping[str, tuple[Prediction, ...]]
    timings_ms: Mapping[str, float]          # preprocess, forward:<variant>, mosaic, total
    norm: str = "shared"
    colormap: str = DEFAULT_COLORMAP
    measures: Measures | None = None         # the newest live measures (maybe of an earlier frame)

    def mosaic(self, variant: str, layer: str) -> np.ndarray:
        return self.views[variant][layer].mosaic


@dataclass(frozen=True)
class Fitted:
    """A source frame made into the network's input (:meth:`engine.engine.Engine.fitted`)."""

    frame: Frame                             # the source frame
    seen: np.ndarray                         # the frame as the network sees it (uint8)
    input: torch.Tensor                      # normalised, on the device
    ms: float                                # what fitting it took


@dataclass(frozen=True)
class Forwarded:
    """A step after its forward passes, with the settings its mosaics are to be made with
    (taken then, so a setting changed meanwhile does not mix into this frame)."""

    index: int
    stamp: float
    seen: np.ndarray                         # the frame as the network sees it (uint8)
    maps: dict                               # variant -> row -> (C, H, W) map, on the device
    logits: dict                             # variant -> class scores, on the device
    timings: dict
    rows: tuple                              # the rows (Layer) to make mosaics of
    norm: str
    cmap: object                             # the Colormap (name, lut, diverging) to show with
    max_side: int | None
    started: float                           # perf_counter() when the step began
    data: StepData | None = None             # what the live measures of this frame are fed
    history: bool = True                     # a stream frame (False: a probe of shapes)
    again: bool = False                      # the frame stepped before, stepped again (frozen)
    count: int = 0                           # the engine's steps so far, this one included


def predictions(logits: dict, top_k: int, label: Callable[[int], str]
                ) -> dict[str, tuple[Prediction, ...]]:
    """variant -> its ``top_k`` classes by softmax probability (one host transfer for all)."""
    if not logits:
        return {}
    k = min(top_k, next(iter(logits.values())).numel())
    probs = torch.stack([torch.softmax(lg.float(), 0) for lg in logits.values()])
    p, i = probs.topk(k, dim=1)
    p, i = p.cpu().tolist(), i.cpu().tolist()
    return {v: tuple(Prediction(ix, label(ix), pr) for ix, pr in zip(i[n], p[n], strict=True))
            for n, v in enumerate(logits)}
