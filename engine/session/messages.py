"""What a session tells its window: the frozen view of each step (:class:`Shown`) and events.

Every event is one of the classes below; a transport hands each to the window as it comes
(a Qt signal per kind, in ``gui/transport.py``). All are plain picklable values, so they cross
a pipe as they are (:mod:`engine.session.wire`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.engine import EngineConfig, FrameResult
from engine.session.live_probes import ProbeViews


@dataclass(frozen=True)
class Shown:
    """What the window shows for one frame: the engine's result plus live context."""

    result: FrameResult
    seq: int                                # the session's step counter (a stale-check key)
    zoom: dict[str, np.ndarray] | None      # variant -> float (H, W) of the zoomed channel
    zoom_key: tuple[str, int] | None        # (layer, channel) of ``zoom``
    lut: np.ndarray                         # (256, 3) uint8 table the mosaics were made for
    source_position: int | None             # video frame index, else None
    stats: dict = field(default_factory=dict)  # camera_fps, engine_fps, dropped, frozen, nudge
    probes: ProbeViews | None = None        # receptive fields, spectra, difference (if asked)


@dataclass(frozen=True)
class EngineInfo:
    """Announced whenever the network, its variants or its rows change."""

    model: str
    variants: tuple[str, ...]
    layers: tuple                            # engine.network.rows.Layer, in row order
    all_layers: tuple
    shapes: dict                             # (variant, layer) -> (C, H, W)
    input_size: tuple[int, int]
    device: str
    untrained: bool
    notes: dict                              # variant -> {site: what it became}
    config: EngineConfig                     # the settings the engine now runs with
    titles: dict                             # variant -> column title
    captions: dict = field(default_factory=dict)  # (variant, layer) -> a note under that map


@dataclass(frozen=True)
class SourceInfo:
    """Announced whenever a source opened."""

    name: str
    size: tuple[int, int]
    live: bool
    frame_count: int = 0
    fps: float = 0.0
    spec: str | None = None  # what it was opened from (None: the default source)


@dataclass(frozen=True)
class Failed:
    """A one-line error for the status bar; the session keeps running."""

    message: str


@dataclass(frozen=True)
class Exported:
    """The folder an export went to."""

    folder: str


@dataclass(frozen=True)
class ProbeDone:
    """The answer to a shift probe: an :class:`engine.measures.probes.ProbeResult`, or None if
    it failed (the error came as a :class:`Failed`)."""

    result: object


@dataclass(frozen=True)
class EngineRated:
    """Frames stepped and seconds taken by an ``EngineRate`` command: the engine alone, or
    (``bare``) only the forward passes of its variants, in the engine's thread (``busy``:
    beside another core kept busy)."""

    frames: int
    seconds: float
    bare: bool = False
    busy: bool = False


@dataclass(frozen=True)
class Answered:
    """The answer to an ``Ask`` command: an :class:`engine.answers.base.Answer` (numbers,
    figures as PNG bytes, the verdict)."""

    answer: object


EVENTS = (EngineInfo, SourceInfo, Failed, Exported, ProbeDone, EngineRated, Answered)


def folded_captions(net, layers, shapes: dict) -> dict:
    """(variant, row) -> "stride folded here" where a variant's map of a row is smaller than
    the plain network's because a pool's stride went into the conv before it."""
    out = {}
    for v, var in net.variants.items():
        folded = any(where != site for site, where in var.changed.items())
        for ly in layers:
            shape = shapes.get((v, ly.name))
            if folded and shape is not None and tuple(shape[1:]) < tuple(ly.shape[1:]):
                out[(v, ly.name)] = "stride folded here"
    return out
