"""What the engine's worker tells the window: the typed signals and their payloads.

The same classes serve whether the engine runs in a thread (:class:`gui.worker.EngineWorker`)
or in a process of its own (:class:`gui.remote.RemoteWorker`), where the payloads cross a pipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine import EngineConfig, FrameResult
from gui.live_probes import ProbeViews


@dataclass(frozen=True)
class Shown:
    """What the window shows for one frame: the engine's result plus live context."""

    result: FrameResult
    seq: int                                # worker's step counter (a stale-check key)
    zoom: dict[str, np.ndarray] | None      # variant -> float (H, W) of the zoomed channel
    zoom_key: tuple[str, int] | None        # (layer, channel) of ``zoom``
    lut: np.ndarray                         # (256, 3) uint8 table the mosaics were made for
    source_position: int | None             # video frame index, else None
    stats: dict = field(default_factory=dict)  # camera_fps, engine_fps, dropped, frozen, nudge
    probes: ProbeViews | None = None        # receptive fields, spectra, difference (if asked)


@dataclass(frozen=True)
class EngineInfo:
    """Announced whenever the network or its variants change."""

    model: str
    variants: tuple[str, ...]
    layers: tuple                            # engine.network.rows.Layer, in row order
    all_layers: tuple
    shapes: dict                             # (variant, layer) -> (C, H, W)
    input_size: tuple[int, int]
    device: str
    untrained: bool
    notes: dict                              # variant -> {site: what it became}
    config: EngineConfig                     # a copy of the settings the engine now runs with
    titles: dict                             # variant -> column title


@dataclass(frozen=True)
class SourceInfo:
    name: str
    size: tuple[int, int]
    live: bool
    frame_count: int = 0
    fps: float = 0.0


class WorkerSignals(QObject):
    """The signals the window listens to, whether the engine runs in a thread
    (:class:`EngineWorker`) or in a process of its own (:class:`gui.remote.RemoteWorker`)."""

    result_ready = Signal()
    failed = Signal(str)
    engine_changed = Signal(object)
    source_changed = Signal(object)
    exported = Signal(str)
    probe_ready = Signal(object)
    engine_rated = Signal(int, float)
