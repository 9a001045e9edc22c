"""Every request a window (or a test) makes of a :class:`engine.session.session.Session`: one
frozen dataclass each. A request the session does not know is an error, never silence.

``KEEP`` marks a field a command leaves as it is (``None`` is a value: random weights, the
network's own input size, every row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"

    def __reduce__(self):
        return "KEEP"  # unpickles as this module's KEEP (commands cross a pipe)


KEEP = _Keep()


class Command:
    """Base of the commands (for type hints and ``isinstance``)."""


# -- the source -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SetSource(Command):
    """Open ``spec`` (``camera[:N]``, a path, ``pattern:...``; None: the default). If it fails
    the source that was running keeps running."""

    spec: str | None


@dataclass(frozen=True)
class Freeze(Command):
    """Hold the newest frame (True) or go live again (False); either resets the nudge."""

    on: bool


@dataclass(frozen=True)
class Nudge(Command):
    """Move the frozen frame's view window by (dx, dy) px more (fractions resample)."""

    dx: float
    dy: float


@dataclass(frozen=True)
class ResetNudge(Command):
    """Undo the nudges of the frozen frame."""


@dataclass(frozen=True)
class StepFrame(Command):
    """A video: hold its next frame."""


@dataclass(frozen=True)
class Seek(Command):
    """A video: go to frame ``index``."""

    index: int


@dataclass(frozen=True)
class Mirror(Command):
    """Flip the frames left to right (a camera as a mirror)."""

    on: bool


# -- the network and the view ---------------------------------------------------------------
@dataclass(frozen=True)
class Rebuild(Command):
    """Build the engine anew with these settings (``KEEP``: as now). ``weights`` is a file,
    ``"imagenet"``, ``"trained:DIR"`` (each variant its own checkpoint) or None (random). A new
    model starts with every row and random weights unless ``weights`` says otherwise. If the
    build fails the running engine and its settings stay."""

    model: object = KEEP
    weights: object = KEEP
    variants: object = KEEP
    input_size: object = KEEP
    device: object = KEEP
    seed: object = KEEP
    fit: object = KEEP      # how frames go in: "crop", "squash" or "letterbox"


@dataclass(frozen=True)
class SetView(Command):
    """How the maps are shown: normalisation, colour map, gamma, rows (None: every row)."""

    norm: object = KEEP
    colormap: object = KEEP
    gamma: object = KEEP
    layers: object = KEEP


@dataclass(frozen=True)
class Viewport(Command):
    """What the window shows: the rows on screen (None: all) and the largest side, in px, a
    mosaic is drawn at (the engine shrinks mosaics to it; exports stay native)."""

    side: int
    rows: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Zoom(Command):
    """Follow one channel of one row in every variant (None: stop)."""

    layer: str | None
    channel: int = 0


# -- probes and output -------------------------------------------------------------------------
@dataclass(frozen=True)
class SelectUnit(Command):
    """Keep the receptive fields of one unit live: (variant, layer, channel, y, x), or None."""

    unit: tuple | None


@dataclass(frozen=True)
class ShowSpectrum(Command):
    """Keep the spectra of (site, channel) live, or None to stop."""

    key: tuple | None
    probe: ClassVar[str] = "spectrum"


@dataclass(frozen=True)
class ShowDifference(Command):
    """Keep the mosaic of |A - B| of (layer, a, b) live, or None to stop."""

    key: tuple | None
    probe: ClassVar[str] = "difference"


@dataclass(frozen=True)
class ShowAligned(Command):
    """Keep the aligned shift error of row (layer,) live, or None to stop: the frozen frame's
    nudge is the shift (a frame not nudged: 1 px right)."""

    key: tuple | None
    probe: ClassVar[str] = "aligned"


@dataclass(frozen=True)
class ShowPhases(Command):
    """Keep the sampling phases of (site, channel) live, and the phase each variant keeps at
    the frozen frame's nudge, or None to stop."""

    key: tuple | None
    probe: ClassVar[str] = "phases"


@dataclass(frozen=True)
class ShiftProbe(Command):
    """Sweep a shift over the last frame (answered by a ``ProbeDone`` event)."""

    steps_per_px: int = 2


@dataclass(frozen=True)
class Export(Command):
    """Write the last step as the ``export`` command does, into a new folder under ``folder``
    (answered by an ``Exported`` event)."""

    folder: str
    npz: bool = False


@dataclass(frozen=True)
class EngineRate(Command):
    """Step the engine alone on the recent frames for ``seconds`` (``bench --gui``), or with
    ``bare`` run only its variants' forward passes on them (with ``busy``: while another
    process spins on a free core, :mod:`engine.busy_core`), answered by an ``EngineRated``
    event."""

    seconds: float
    bare: bool = False
    busy: bool = False


@dataclass(frozen=True)
class Ask(Command):
    """Answer one of ``ask``'s questions (``main.py ask --list``), answered by an
    ``Answered`` event. Its set-up is the question's own default (the shipped tiny network's
    max weights in every column), on the session's source if it is a file."""

    question: str
    samples: int = 32
