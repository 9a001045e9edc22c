"""The mechanism of shift (in)variance made visible, on one engine's frame.

* :func:`aligned_error`: per variant, the map of ``F(shift x) - shift(F x)`` of one row,
  each unit drawn as a ``jump`` x ``jump`` block centred on its receptive field (the
  input-sized, nearest-neighbour picture of :func:`engine.measures.metrics.shift_cosine`),
  shifted back onto the unshifted frame, as ``|error| / mean |F(x)|`` per input pixel: where
  a map only moved with the input it is 0, where it changed beyond moving (jitter) it lights.
* :func:`phases`: for a downsampling site, the map its stride samples (the dense max, the box,
  the blur, the conv at stride 1) and its ``s * s`` sampling phases, with the phase the
  variant keeps on the frame as it is nudged now.

Both run on the frame before any nudge (``base``) and use the network's own shift (a roll for a
circularly padded network, else the edge repeats), so only what the operator does differs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from engine.errors import ModelError
from engine.measures import metrics as ms
from engine.measures.site_taps import SiteTap
from engine.network.capture import Capture


@dataclass(frozen=True)
class Aligned:
    """``maps[variant]``: (H, W) float32 ``|error| / mean |F(x)|`` on the unshifted frame
    (0 in the left-out border); ``rel[variant]``: the relative RMS error over the kept
    pixels (0: the row moved exactly with the input; 1: the error is as large as the map)."""

    layer: str
    shift: tuple[float, float]     # (dx, dy) the content moved, input px
    maps: dict
    rel: dict
    jumps: dict                    # variant -> the row's jump
    border: int                    # px left out at each edge (0: circular, nothing left out)
    nudged: bool = False           # the shift is the frozen frame's nudge (else a fixed one)


@dataclass(frozen=True)
class Phase:
    """One variant's site: the dense map of one channel, its phases and the one it keeps."""

    dense: np.ndarray              # (H, W): what the stride samples, at stride 1
    phases: dict                   # (a, b) -> (H / s, W / s) dense[a::s, b::s]
    kept: tuple | None             # (a, b) on the unnudged frame; None: between phases
    offset: tuple[float, float]    # the nudge in the site's input px (y, x)
    how: str                       # what the dense map is ("dense max 2x2", ...)
    spread: float                  # polyphase dispersion (0: the phases agree; 1: they cancel out)


def _blocks(m: torch.Tensor, start: float, jump: float, h: int, w: int,
            circular: bool) -> torch.Tensor:
    """(C, h', w') map -> (C, h, w): input pixel p shows the unit centred nearest to it
    (beyond the map: its edge unit, or for a circular network the unit it wraps to)."""
    def index(n_in: int, n_units: int) -> torch.Tensor:
        p = torch.arange(n_in, device=m.device, dtype=torch.float64)
        i = ((p - start) / jump + 0.5).floor().long()
        return i % n_units if circular else i.clamp(0, n_units - 1)
    return m[:, index(h, m.shape[-2])][:, :, index(w, m.shape[-1])]


def aligned_error(engine, base: torch.Tensor, layer: str, dx: float, dy: float) -> Aligned:
    """The aligned shift error of row ``layer`` for the content moved by (dx, dy) input px
    (see the module docstring). ``base`` is the (1, C, H, W) network input before the shift.
    """
    rows = [ly for ly in engine.layers if ly.name == layer]
    if not rows:
        raise ModelError(f"{layer} is not among the rows shown")
    h, w = base.shape[-2:]
    circular = engine.network.circular
    moved = ms.move(base, dx, dy, circular)
    pair = torch.cat([base, moved]).contiguous(memory_format=engine.memory_format)
    maps, rel, jumps, border = {}, {}, {}, 0
    rfs = {v: engine.meter.rf(v).get(layer) for v in engine.models}  # traced outside inference
    with torch.inference_mode():
        for v, model in engine.models.items():
            r = rfs[v]
            if r is None:
                continue
            with Capture(model, rows, full=True) as cap:
                model(pair)
            m = cap.maps[layer].float()
            up0 = _blocks(m[0], r.start, r.jump, h, w, circular)
            up1 = _blocks(m[1], r.start, r.jump, h, w, circular)
            back = ms.move(up1[None], -dx, -dy, circular)[0]   # F(shift x) moved back
            err = (back - up0).norm(dim=0)
            size = up0.norm(dim=0)
            keep = torch.ones_like(err, dtype=torch.bool)
            if not circular:   # the border unit and the shift: padding and the repeated edge
                b = int(math.ceil(r.jump + max(abs(dx), abs(dy))))
                border = max(border, b)
                keep[:b], keep[-b:], keep[:, :b], keep[:, -b:] = False, False, False, False
            mean = float(size[keep].mean()) if bool(keep.any()) else 0.0
            scaled = torch.where(keep, err / mean if mean > 0 else err * 0, 0.0)
            total = float(size[keep].pow(2).sum())
            rel[v] = math.sqrt(float(err[keep].pow(2).sum()) / total) if total > 0 else 0.0
            maps[v] = scaled.cpu().numpy().astype(np.float32)
            jumps[v] = int(r.jump)
    if not maps:
        raise ModelError(f"the receptive field of {layer} is unknown")
    return Aligned(layer, (float(dx), float(dy)), maps, rel, jumps, border)


def _own_phase(grid: dict, output: torch.Tensor) -> tuple[int, int]:
    """The phase of the dense map the site's output is (the variant's own sampling offset,
    found on the unnudged frame: the phase nearest to the output)."""
    def gap(g: torch.Tensor) -> float:
        h, w = min(g.shape[0], output.shape[0]), min(g.shape[1], output.shape[1])
        return float((g[:h, :w] - output[:h, :w]).abs().mean())
    return min(grid, key=lambda k: (gap(grid[k]), k))


def phases(engine, base: torch.Tensor, site: str, channel: int,
           nudge: tuple[float, float] = (0.0, 0.0)) -> dict[str, Phase]:
    """Every downsampling variant's phases of ``channel`` at ``site`` on the unnudged input
    ``base``, and the phase it keeps with the view window moved by ``nudge`` = (dx, dy)
    input px (the session's nudge: the content moves by (-dx, -dy))."""
    net = engine.network
    s = next((s for s in net.sites if s.path == site), None)
    if s is None:
        raise ModelError(f"{site} is not a downsampling site "
                         f"(sites: {', '.join(t.path for t in net.sites)})")
    rows = [ly for ly in net.layers if ly.name == site]
    rfs = {v: engine.meter.rf(v).get(site) for v in engine.models}  # traced outside inference
    out = {}
    with torch.inference_mode():
        for v, model in engine.models.items():
            if not net.variants[v].operator.downsamples:
                continue
            with Capture(model, rows) as cap, \
                    SiteTap(model, net.sites, net.variants[v].changed, net.trace) as tap:
                model(base)
            got = tap.maps.get(site)
            if got is None or site not in cap.maps:
                continue
            dense = got.presample
            if not 0 <= channel < dense.shape[0]:
                raise ModelError(f"channel {channel} is outside {site} "
                                 f"({dense.shape[0]} channels)")
            sy, sx = got.stride
            d = dense[channel].float()
            grid = {(a, b): d[a::sy, b::sx] for a in range(sy) for b in range(sx)}
            own = _own_phase(grid, cap.maps[site][channel].float())
            r = rfs[v]
            into = float(r.jump) / sy if r is not None else 1.0   # the site's input jump
            oy, ox = nudge[1] / into, nudge[0] / into
            kept = (((own[0] + int(oy)) % sy, (own[1] + int(ox)) % sx)
                    if float(oy).is_integer() and float(ox).is_integer() else None)
            out[v] = Phase(d.cpu().numpy(), {k: g.cpu().numpy() for k, g in grid.items()},
                           kept, (oy, ox), tap.kinds.get(site, "the map at stride 1"),
                           ms.polyphase_dispersion(d, (sy, sx)))
    if not out:
        raise ModelError(f"no variant downsamples at {site}")
    return out
