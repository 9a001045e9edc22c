"""On-demand probes of one engine's last frame: shift sweep, receptive fields, spectra, differences.

Each is asked for by a click or a button (never per frame) and answers with host arrays:

* :func:`shift_probe`: on a (frozen) frame, sweep a shift from 0 to twice the deepest jump in
  sub-pixel steps; per variant and layer, the shift error ``shift_cosine`` at each step (0
  where the layer's response moves exactly with the input);
* :func:`receptive_field`: the theoretical receptive field of one unit, in input pixels;
* :class:`ERF`: the effective receptive field of one unit (Luo et al. 2016): ``|d unit / d x|``
  from an autograd pass outside inference mode, averaged over the frames it is asked on;
* :func:`spectrum`: the log Fourier magnitude of one channel entering a site and leaving it;
* :func:`difference`: the mosaic of ``|A - B|`` of two variants' maps of one layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.display import mosaic as mz
from engine.display.views import tiled_view
from engine.errors import ModelError
from engine.measures import metrics as ms
from engine.measures.site_taps import SiteTap
from engine.network.capture import Capture


@dataclass(frozen=True)
class ProbeResult:
    """``error[variant][layer][i]`` is the shift error at ``shifts[i]`` px (to the right);
    NaN beyond twice the layer's jump."""

    shifts: np.ndarray
    error: dict[str, dict[str, np.ndarray]]
    jumps: dict[str, int]  # layer -> the largest jump over the variants
    variant_jumps: dict[str, dict[str, int]]  # variant -> layer -> its own jump


def _need_input(engine) -> torch.Tensor:
    if engine.last_input is None:
        raise ModelError("no frame yet: step one first")
    return engine.last_input


def shift_probe(engine, steps_per_px: int = 2, span: float | None = None,
                batch: int = 16, cancel=None) -> ProbeResult:
    """Sweep a horizontal shift over the last input and measure every layer's shift error.

    Parameters
    ----------
    engine : Engine
    steps_per_px : int
        Sub-pixel steps per pixel (2: every half pixel).
    span : float, optional
        The largest shift; default twice the largest jump among the shown rows.
    batch : int
        Shifted copies per forward pass.
    cancel : callable, optional
        Asked between forward passes; when it returns True the sweep stops with a
        :class:`ModelError` (a window closing while a deep network is being probed).
    """
    x = _need_input(engine)
    meter = engine.meter
    variants = engine.variant_names
    rfs = {v: meter.rf(v) for v in variants}
    own = {v: {ly.name: int(rfs[v][ly.name].jump) for ly in engine.layers
               if rfs[v].get(ly.name) is not None} for v in variants}
    jumps = {name: max(own[v].get(name, 1) for v in variants) for name in own[variants[0]]}
    if span is None:
        span = 2 * max(jumps.values(), default=1)
    shifts = np.arange(0, span * steps_per_px + 1) / steps_per_px
    circular = engine.network.circular
    # each layer up to twice its own jump (at least 2 px)
    upto = {name: max(2.0, 2.0 * j) for name, j in jumps.items()}
    error = {v: {name: np.full(len(shifts), np.nan) for name in jumps} for v in variants}
    with torch.inference_mode():
        for v, model in engine.models.items():
            with Capture(model, engine.layers) as cap:
                model(x)
            base = {k: t.float().clone() for k, t in cap.maps.items()}
            for i0 in range(0, len(shifts), batch):
                if cancel is not None and cancel():
                    raise ModelError("shift probe cancelled")
                chunk = shifts[i0:i0 + batch]
                xs = torch.cat([ms.move(x, float(s), 0.0, circular) for s in chunk])
                with Capture(model, engine.layers, full=True) as cap:
                    model(xs.contiguous(memory_format=engine.memory_format))
                for name in jumps:
                    r = rfs[v][name]
                    keep = [j for j, s in enumerate(chunk) if s <= upto[name]]
                    if r is None or not keep:
                        continue
                    got = ms.shift_cosines(base[name], cap.maps[name][keep].float(),
                                           [(float(chunk[j]), 0.0) for j in keep],
                                           int(r.jump), circular)
                    error[v][name][[i0 + j for j in keep]] = got
    return ProbeResult(shifts, error, jumps, own)


def unit_in(engine, a: str, b: str, layer: str, y: int, x: int) -> tuple[int, int]:
    """The unit of variant ``b``'s row ``layer`` centred nearest to the input position that
    unit (y, x) of variant ``a`` is centred on: units map through the input, not by index
    (a row of ``none`` has 2x, 4x ... the units of the same row of ``max``)."""
    if a == b:
        return y, x
    ra, rb = engine.meter.rf(a).get(layer), engine.meter.rf(b).get(layer)
    maps = engine.last_maps.get(b, {})
    if ra is None or rb is None or layer not in maps:
        return y, x
    h, w = maps[layer].shape[-2:]

    def along(i: int, n: int) -> int:
        return min(n - 1, max(0, round((ra.start + i * ra.jump - rb.start) / rb.jump)))
    return along(y, h), along(x, w)


def units(engine, variant: str, layer: str, y: int, x: int) -> dict[str, tuple[int, int]]:
    """Every variant's unit at ``layer`` for unit (y, x) clicked in ``variant``."""
    return {v: unit_in(engine, variant, v, layer, y, x) for v in engine.variant_names}


def receptive_field(engine, variant: str, layer: str, y: int, x: int):
    """(top, left, bottom, right) in input pixels of the theoretical RF of unit (y, x).

    None if the layer's receptive field is unknown. The box may reach beyond the input (the
    padding); bottom and right are inclusive pixel centres.
    """
    r = engine.meter.rf(variant).get(layer)
    if r is None:
        return None
    half = (r.size - 1) / 2
    cy, cx = r.start + y * r.jump, r.start + x * r.jump
    return (cy - half, cx - half, cy + half, cx + half)


class ERF:
    """Running mean of ``|d unit / d input|`` (summed over input channels) for one unit per
    variant; asking for another unit starts a new mean."""

    def __init__(self):
        self.key = None
        self.sum: dict[str, np.ndarray] = {}
        self.count = 0

    def update(self, engine, layer: str, channel: int, y: int, x: int,
               clicked: str | None = None) -> dict[str, np.ndarray]:
        """Add the last input's gradient and return variant -> (H, W) mean |gradient|; unit
        (y, x) is in variant ``clicked`` and each variant's own unit is found through the input
        (:func:`unit_in`)."""
        inp = _need_input(engine)
        key = (engine.variant_names, layer, channel, y, x, clicked, tuple(inp.shape))
        at = units(engine, clicked, layer, y, x) if clicked else {}
        if key != self.key:
            self.key, self.sum, self.count = key, {}, 0
        by_name = {ly.name: ly for ly in engine.network.layers}
        if layer not in by_name:
            raise ModelError(f"unknown layer {layer!r}")
        for v, model in engine.models.items():
            y, x = at.get(v, (y, x))
            xi = inp.detach().clone().requires_grad_(True)
            with torch.enable_grad(), Capture(model, [by_name[layer]]) as cap:
                model(xi)
                m = cap.maps[layer]
                c, h, w = m.shape
                if not (0 <= channel < c and 0 <= y < h and 0 <= x < w):
                    raise ModelError(f"unit ({channel}, {y}, {x}) is outside {layer} "
                                     f"({c}x{h}x{w})")
                (g,) = torch.autograd.grad(m[channel, y, x], xi)
            grad = g[0].abs().sum(0).float().cpu().numpy()
            self.sum[v] = self.sum.get(v, 0) + grad
        self.count += 1
        return {v: s / self.count for v, s in self.sum.items()}


def spectrum(engine, variant: str, layer: str, channel: int) -> dict:
    """Log Fourier magnitude of ``channel`` entering the site ``layer`` and leaving it.

    Returns ``{"before": (H, W), "after": (h, w), "nyquist": 1 / (2 * stride)}``, zero
    frequency at the centre; ``nyquist`` is the new band edge in cycles per pixel of
    ``before`` (mark it at that fraction of the axis from the centre, times 2).
    """
    x = _need_input(engine)
    net = engine.network
    site = next((s for s in net.sites if s.path == layer), None)
    if site is None:
        raise ModelError(f"{layer} is not a downsampling site "
                         f"(sites: {', '.join(s.path for s in net.sites)})")
    model = engine.models[variant]
    rows = [ly for ly in net.layers if ly.name == layer]
    with torch.inference_mode(), Capture(model, rows) as cap, \
            SiteTap(model, net.sites, net.variants[variant].changed, net.trace) as tap:
        model(x)
    before, after = tap.maps[layer].entering, cap.maps[layer]
    if not 0 <= channel < min(before.shape[0], after.shape[0]):
        raise ModelError(f"channel {channel} is outside {layer}")
    return {"before": ms.log_spectrum(before[channel]).cpu().numpy(),
            "after": ms.log_spectrum(after[channel]).cpu().numpy(),
            "nyquist": 0.5 / site.geometry.stride[0]}


def difference(engine, layer: str, a: str, b: str, max_side: int | None = None):
    """The mosaic (a :class:`engine.display.views.LayerView`) of ``|A - B|`` at ``layer``, and
    how the two were compared: unit by unit, or, when one map is finer (``none`` beside a
    downsampled variant), on the coarser map's units, each compared with the finer map's unit
    at the same input position (:func:`unit_in`)."""
    maps = engine.last_maps
    if a not in maps or b not in maps or layer not in maps[a] or layer not in maps[b]:
        raise ModelError(f"no maps of {a}/{b} at {layer} yet")
    ma, mb = maps[a][layer].float(), maps[b][layer].float()
    how = "unit by unit"
    if ma.shape != mb.shape:
        coarse, fine = (a, b) if ma[0].numel() <= mb[0].numel() else (b, a)
        mc, mf = maps[coarse][layer].float(), maps[fine][layer].float()
        h, w = mc.shape[-2:]
        ys = [unit_in(engine, coarse, fine, layer, i, 0)[0] for i in range(h)]
        xs = [unit_in(engine, coarse, fine, layer, 0, j)[1] for j in range(w)]
        mf = mf[:, ys][:, :, xs]
        ma, mb = (mc, mf) if coarse == a else (mf, mc)
        how = (f"at {coarse}'s {h}x{w} units: {fine}'s {tuple(maps[fine][layer].shape[-2:])} "
               f"map is read at each unit's input position")
    d = (ma - mb).abs()
    t = mz.layer_mosaics({"d": d}, "layer", False, max_side)["d"]
    return tiled_view(t, tuple(d.shape)), how
