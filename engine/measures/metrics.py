"""The measures of shift (in)variance and aliasing, as plain functions of tensors.

Definitions follow ``shared/reference/science.md``:

* :func:`shift_cosine`: Zhang 2019's internal shift-equivariance: upsample layer maps to
  input size (nearest), aligned by the layer's receptive-field offset, and compare
  ``F(shift(x))`` with ``shift(F(x))`` by cosine distance;
* :func:`polyphase_dispersion`: for a map ``y`` before stride-s sampling, the spread of its
  s*s phases about their mean, relative to their energy (one forward pass);
* :func:`alias_fraction`: the share of the FFT energy of ``y - mean`` above the new Nyquist
  frequency (``|f| > 1/(2s)`` cycles/px, strictly, on either axis);
* :func:`flicker`: ``||F_t - F_(t-1)|| / ||F_(t-1)||``.

All work on the tensors' own device and return Python floats.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def shift_tensor(x: torch.Tensor, dx: float, dy: float) -> torch.Tensor:
    """Move the content of (N, C, H, W) ``x`` by (dx, dy) pixels; edges repeat, nothing wraps.

    The result's pixel (y, x) shows ``x[y - dy, x - dx]``. Whole-pixel shifts are exact;
    fractional ones interpolate linearly between the two neighbouring whole-pixel shifts.
    """
    fx, fy = math.floor(dx), math.floor(dy)
    ax, ay = dx - fx, dy - fy
    if ax or ay:
        out = 0.0
        for ix, wx in ((fx, 1 - ax), (fx + 1, ax)):
            for iy, wy in ((fy, 1 - ay), (fy + 1, ay)):
                if wx * wy:
                    out = out + (wx * wy) * shift_tensor(x, ix, iy)
        return out
    if fx == 0 and fy == 0:
        return x
    h, w = x.shape[-2:]
    p = max(abs(fx), abs(fy))
    padded = F.pad(x, (p, p, p, p), mode="replicate")
    return padded[..., p - fy:p - fy + h, p - fx:p - fx + w]


def cosine_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """``1 - <a, b> / (|a| |b|)`` over all elements (0 when both are zero)."""
    a, b = a.double().flatten(), b.double().flatten()
    na, nb = a.norm(), b.norm()
    if float(na) == 0.0 and float(nb) == 0.0:
        return 0.0
    if float(na) == 0.0 or float(nb) == 0.0:
        return 1.0
    return float(1.0 - (a @ b) / (na * nb))


def shift_cosine(base: torch.Tensor, moved: torch.Tensor, dx: float, dy: float, jump: int,
                 circular: bool = False) -> float:
    """Cosine distance between ``F(shift(x))`` and ``shift(F(x))`` for one layer.

    Both maps are upsampled to input size (nearest: each unit becomes a ``jump`` x ``jump``
    block of input pixels, centred on its receptive field); ``shift(F(x))`` moves the upsampled
    map by (dx, dy) px (bilinear for fractional shifts). Both maps sit on the same block grid,
    so where that grid is anchored (the receptive-field offset) changes nothing but which
    border blocks exist, and the sums over pixels are computed exactly block by block on the
    feature grid, never materialising the input-sized maps (that costs ~100x more at 224x224).

    Parameters
    ----------
    base, moved : Tensor
        The layer's (C, h, w) map for the input and for the input shifted by (dx, dy).
    jump : int
        The layer's accumulated stride (input pixels per unit).
    circular : bool
        The shift wrapped around (a network with circular padding): compare whole maps.
        Otherwise the comparison leaves out the border blocks, where padding and the repeated
        edge make the two differ whatever the operator.
    """
    return shift_cosines(base, moved[None], [(dx, dy)], jump, circular)[0]


def _axis_classes(d: float, j: int) -> list[tuple[tuple[tuple[int, float], ...], int]]:
    """Along one axis, the pixels of a block of the shifted upsampled map, grouped by value.

    Pixel r of block i of ``shift(U(a), d)`` holds ``sum_k c_k a[i + k]``; returns
    ``[(((k, c_k), ...), number of pixels), ...]``.
    """
    n = math.floor(d)
    f = d - n
    classes: dict[tuple, int] = {}
    for r in range(j):
        coef: dict[int, float] = {}
        for dd, wgt in ((n, 1.0 - f), (n + 1, f)):
            if wgt == 0:
                continue
            q, r0 = divmod(dd, j)
            k = -q - (1 if r < r0 else 0)
            coef[k] = coef.get(k, 0.0) + wgt
        key = tuple(sorted(coef.items()))
        classes[key] = classes.get(key, 0) + 1
    return list(classes.items())


class _GridViews:
    """``a[i + k]`` over a window of units, for unit offsets k (cached; rolled if circular)."""

    def __init__(self, a: torch.Tensor, window: tuple[int, int, int, int], circular: bool):
        self.a, self.window, self.circular = a, window, circular
        self.cache: dict[tuple[int, int], torch.Tensor] = {}

    def __call__(self, ky: int, kx: int) -> torch.Tensor:
        if (ky, kx) not in self.cache:
            y0, y1, x0, x1 = self.window
            self.cache[(ky, kx)] = (torch.roll(self.a, (-ky, -kx), (-2, -1)) if self.circular
                                    else self.a[:, y0 + ky:y1 + ky, x0 + kx:x1 + kx])
        return self.cache[(ky, kx)]


class _Dots:
    """Cached sums of products over the window: ``(k)``: view k with ``b``; ``(k, k2)``: two
    views; ``()``: ``b`` with itself (each distinct pair once)."""

    def __init__(self, views: _GridViews, b: torch.Tensor):
        self.views, self.b, self.cache = views, b, {}

    def __call__(self, k=None, k2=None) -> float:
        key = (k, k2) if k is None or k2 is None or k <= k2 else (k2, k)
        if key not in self.cache:
            p = self.b if key[0] is None else self.views(*key[0])
            q = self.b if key[1] is None else self.views(*key[1])
            self.cache[key] = float(torch.tensordot(p, q, dims=p.ndim))
        return self.cache[key]


def shift_cosines(base: torch.Tensor, moved: torch.Tensor, shifts, jump: int,
                  circular: bool = False) -> list[float]:
    """:func:`shift_cosine` for a batch: ``moved[i]`` is the map for the shift ``shifts[i]``."""
    a = base.double()
    _, h, w = a.shape
    out = []
    for i, (dx, dy) in enumerate(shifts):
        b = moved[i].double()
        cy, cx = _axis_classes(dy, jump), _axis_classes(dx, jump)
        reach = max(abs(k) for cls in (cy, cx) for key, _ in cls for k, _ in key)
        m = 0 if circular else reach
        y0, y1, x0, x1 = m, h - m, m, w - m
        if y1 <= y0 or x1 <= x0:
            out.append(math.nan)
            continue
        views = _GridViews(a, (y0, y1, x0, x1), circular)
        bw = b[:, y0:y1, x0:x1]
        # each pixel class is a combination sum_k c_k a[i + k] of a few shifted views of the
        # map: its sums with b and with itself come from the views' dot products (the few
        # distinct views, never the combinations, are read)
        dot = _Dots(views, bw)
        num = den_a = 0.0
        for key_y, ny in cy:
            for key_x, nx in cx:
                terms = [((ky, kx), c1 * c2) for ky, c1 in key_y for kx, c2 in key_x]
                num += ny * nx * sum(c * dot(k) for k, c in terms)
                den_a += ny * nx * sum(c * c2 * dot(k, k2) for k, c in terms for k2, c2 in terms)
        den_b = jump * jump * dot()
        if den_a == 0.0 and den_b == 0.0:
            out.append(0.0)
        elif den_a == 0.0 or den_b == 0.0:
            out.append(1.0)
        else:
            out.append(1.0 - num / math.sqrt(den_a * den_b))
    return out


def roll_tensor(x: torch.Tensor, dx: float, dy: float) -> torch.Tensor:
    """:func:`shift_tensor` with wrap-around (a circular shift), for circular networks."""
    fx, fy = math.floor(dx), math.floor(dy)
    ax, ay = dx - fx, dy - fy
    out = 0.0
    for ix, wx in ((fx, 1 - ax), (fx + 1, ax)):
        for iy, wy in ((fy, 1 - ay), (fy + 1, ay)):
            if wx * wy:
                out = out + (wx * wy) * torch.roll(x, (iy, ix), (-2, -1))
    return out


def move(x: torch.Tensor, dx: float, dy: float, circular: bool) -> torch.Tensor:
    """``x`` moved by (dx, dy) px as the network's padding sees it: wrapped round for a
    circular network (:func:`roll_tensor`), else the edges repeat (:func:`shift_tensor`)."""
    return roll_tensor(x, dx, dy) if circular else shift_tensor(x, dx, dy)


def polyphase_dispersion(y: torch.Tensor, stride: tuple[int, int] = (2, 2)) -> float:
    """``mean_p ||P_p - Pbar||^2 / mean_p ||P_p||^2`` over the phases ``y[a::sh, b::sw]``.

    ``y`` is a (..., H, W) map before stride sampling; phases are cropped to a common size.
    0 when all phases agree (a 1-px shift changes nothing); 1 when they cancel out (a
    checkerboard).
    """
    sh, sw = stride
    h, w = (y.shape[-2] // sh) * sh, (y.shape[-1] // sw) * sw
    if h == 0 or w == 0:
        return float("nan")
    y = y[..., :h, :w].to(torch.float64).contiguous()
    # mean_p ||P_p - Pbar||^2 = mean_p ||P_p||^2 - ||Pbar||^2: no stack of the phases
    phases = [y[..., a::sh, b::sw] for a in range(sh) for b in range(sw)]
    mean = sum(phases[1:], phases[0].clone()) / len(phases)
    energy = float(torch.dot(y.reshape(-1), y.reshape(-1))) / len(phases)
    if energy == 0.0:
        return 0.0
    m = mean.reshape(-1)
    return max(0.0, 1.0 - float(torch.dot(m, m)) / energy)


def alias_fraction(y: torch.Tensor, stride: tuple[int, int] = (2, 2)) -> float:
    """Share of the FFT energy of ``y - mean`` (per channel) that stride sampling folds back.

    Energy at ``|f| > 1/(2 s)`` cycles/px (strictly) on either axis, over all channels of the
    (..., H, W) map ``y``; NaN for a constant map.
    """
    y = y.double()
    y = y - y.mean(dim=(-2, -1), keepdim=True)
    h, w = y.shape[-2:]
    # the real FFT in single precision (a leak of relative size e into the wrong bins puts
    # e^2 of the energy there), half the spectrum, each column but 0 (and w/2) standing for
    # two; the sums in double
    peak = float(y.abs().max()) if y.numel() else 0.0
    if peak == 0.0:
        return float("nan")
    f = torch.fft.rfft2((y / peak).float())  # the fraction does not depend on the scale
    power = (f.real.square() + f.imag.square()).double()
    fy = torch.fft.fftfreq(h, device=y.device, dtype=torch.float64).abs()
    fx = torch.fft.rfftfreq(w, device=y.device, dtype=torch.float64)
    twice = torch.full_like(fx, 2.0)
    twice[0] = 1.0
    if w % 2 == 0:
        twice[-1] = 1.0
    high = (fy[:, None] > 0.5 / stride[0] + 1e-12) | (fx[None, :] > 0.5 / stride[1] + 1e-12)
    per_freq = power.reshape(-1, *power.shape[-2:]).sum(0) * twice  # (h, w // 2 + 1)
    return float(per_freq[high].sum()) / float(per_freq.sum())  # > 0: y is not all zero


def flicker(now: torch.Tensor, before: torch.Tensor) -> float:
    """``||now - before|| / ||before||`` (0 when both are zero, inf when only ``before`` is)."""
    if now.shape != before.shape:
        return float("nan")
    d = (now.float() - before.float()).norm()
    n = before.float().norm()
    if float(n) == 0.0:
        return 0.0 if float(d) == 0.0 else float("inf")
    return float(d / n)


def log_spectrum(y: torch.Tensor) -> torch.Tensor:
    """``log(1 + |FFT(y - mean)|)`` of a (H, W) map, zero frequency at the centre."""
    y = y.double()
    return torch.log1p(torch.fft.fftshift(torch.fft.fft2(y - y.mean()).abs())).float()
