"""What an engine runs (:class:`EngineConfig`), in a module of its own so that settings can be
read and written without building anything."""

from __future__ import annotations

from dataclasses import dataclass

from engine.display.colormaps import DEFAULT_COLORMAP
from engine.network.load import DEFAULT_VARIANTS


@dataclass(frozen=True)
class EngineConfig:
    """What an engine runs: immutable (a change is a new config, ``dataclasses.replace``)."""

    model: str = "tiny"
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    layers: tuple[str, ...] | None = None    # None: every row
    device: str = "auto"
    input_size: int | tuple[int, int] | None = None
    norm: str = "shared"
    colormap: str = DEFAULT_COLORMAP
    gamma: float = 1.0                       # display gamma of the colour map (< 1 lifts lows)
    seed: int = 0
    weights: str | None = None               # a weights file for the plain network
    trained: str | None = None               # a folder of checkpoints, one per variant
    mean: tuple[float, ...] | None = None    # input normalisation of a user model
    std: tuple[float, ...] | None = None
    top_k: int = 5
    max_side: int | None = None              # shrink mosaics to fit (live display); None: native
    circular: bool = False                   # build with circular padding (engine.network.circular)
    fit: str = "crop"                        # how frames go in: crop, squash or letterbox
    measure_every: int = 0                   # live measures: 0 off, else at most every N frames
    measure_budget: float = 0.1              # ... and at most this share of a core (CPU time)
    threads: int | None = None               # CPU threads for torch and OpenCV; None: as set
    stems: bool = True                       # variants start from rows they share (network.stem)
