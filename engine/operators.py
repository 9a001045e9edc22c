"""Downsampling operators: what each variant puts at each kind of downsampling site.

A *site* is a place where the plain network reduces resolution (see :mod:`engine.sites`):

* ``pool``: a ``MaxPool2d`` / ``AvgPool2d`` with stride > 1;
* ``conv``: a strided ``nn.Conv2d`` (kernel > 1), followed by its pointwise ops (BN, ReLU);
* ``shortcut``: a strided 1x1 ``nn.Conv2d`` (a ResNet projection shortcut).

An operator answers, for each kind of site, with the module to put there, or ``None`` to keep
the plain network's own layer. Adding a variant is one class below plus its ``@register`` line.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from engine.sites import Site, pair

OPERATORS: dict[str, type[Operator]] = {}

BINOMIAL_ROWS = {n: [math.comb(n - 1, i) for i in range(n)] for n in range(1, 8)}


def register(cls: type[Operator]) -> type[Operator]:
    """Register an operator class under its ``name`` (the one line a new variant adds)."""
    OPERATORS[cls.name] = cls
    return cls


def binomial_filter(size: int) -> torch.Tensor:
    """The normalised 2-D binomial filter ``a (outer) a / sum`` of ``size`` taps (1-7)."""
    if size not in BINOMIAL_ROWS:
        raise ValueError(f"blur filter size must be 1-7, got {size}")
    a = torch.tensor(BINOMIAL_ROWS[size], dtype=torch.float64)
    f = torch.outer(a, a)
    return (f / f.sum()).float()


class BlurPool(nn.Module):
    """Anti-aliased downsampling (Zhang 2019; adobe/antialiased-cnns ``BlurPool``).

    Depthwise binomial filter then stride, after padding ``floor((k-1)/2)`` left/top and
    ``ceil((k-1)/2)`` right/bottom (reflect by default). ``size == 1`` is plain subsampling.
    """

    def __init__(self, size: int = 4, stride: int | tuple[int, int] = 2, pad_mode: str = "reflect"):
        super().__init__()
        self.size, self.stride, self.pad_mode = size, pair(stride), pad_mode
        lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
        self.pad = (lo, hi, lo, hi)
        self.register_buffer("filt", binomial_filter(size)[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sh, sw = self.stride
        if self.size == 1:
            return x[..., ::sh, ::sw]
        mode = self.pad_mode
        if mode == "reflect" and min(x.shape[-2:]) <= max(self.pad):
            mode = "replicate"  # reflect needs more pixels than the pad
        x = F.pad(x, self.pad, mode=mode)
        c = x.shape[1]
        return F.conv2d(x, self.filt.to(x.dtype).expand(c, 1, -1, -1), stride=(sh, sw), groups=c)

    def rf_geometry(self) -> tuple[int, int, int]:
        """(kernel, stride, left padding) along the height axis, for receptive fields."""
        return self.size, self.stride[0], self.pad[2]

    def extra_repr(self) -> str:
        return f"size={self.size}, stride={self.stride}, pad_mode={self.pad_mode}"


class DenseMax(nn.Module):
    """``MaxPool2d(k, stride=1, padding=p)`` computed as separable running maxima.

    Gives the same values as PyTorch's pooling (which pads with -inf) but is several times
    faster on the CPU, where stride-1 max-pooling is slow.
    """

    def __init__(self, kernel: int | tuple[int, int], padding: int | tuple[int, int] = 0):
        super().__init__()
        self.kernel, self.padding = pair(kernel), pair(padding)
        self.circular = False  # wrap around (the circular build option): output size = input

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (kh, kw), (ph, pw) = self.kernel, self.padding
        if self.circular:
            x = F.pad(x, (pw, kw - 1 - pw, ph, kh - 1 - ph), mode="circular")
        elif ph or pw:
            x = F.pad(x, (pw, pw, ph, ph), value=float("-inf"))
        h, w = x.shape[-2:]
        y = x[..., :, : w - kw + 1]
        for i in range(1, kw):
            y = torch.maximum(y, x[..., :, i: w - kw + 1 + i])
        out = y[..., : h - kh + 1, :]
        for i in range(1, kh):
            out = torch.maximum(out, y[..., i: h - kh + 1 + i, :])
        return out

    def rf_geometry(self) -> tuple[int, int, int]:
        return self.kernel[0], 1, self.padding[0]

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}, padding={self.padding}"


class Subsample(nn.Module):
    """Keep one position in ``stride``: ``x[..., oh::sh, ow::sw]`` (no parameters)."""

    def __init__(self, stride: int | tuple[int, int] = 2, offset: int | tuple[int, int] = 0):
        super().__init__()
        self.stride, self.offset = pair(stride), pair(offset)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (sh, sw), (oh, ow) = self.stride, self.offset
        return x[..., oh::sh, ow::sw]

    def rf_geometry(self) -> tuple[int, int, int]:
        return 1, self.stride[0], -self.offset[0]

    def extra_repr(self) -> str:
        return f"stride={self.stride}, offset={self.offset}"


class SiteOp(nn.Sequential):
    """An operator's layers at one site, with the output cropped to the plain site's size.

    ``out_size`` maps the op's input (height, width) to the plain network's output size at the
    site, so every variant's rows line up with the plain network's.
    """

    def __init__(self, *layers: nn.Module, site: Site, after_conv: bool):
        super().__init__(*layers)
        self.site_kind = site.kind
        self.site_path = site.path
        self.geometry = site.geometry
        self.after_conv = after_conv

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        if self.after_conv:  # the conv ran at stride 1: the strided conv keeps ceil(n / s)
            (sh, sw) = self.geometry.stride
            return -(-h // sh), -(-w // sw)
        return self.geometry.pool_out(h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        oh, ow = self.out_size(*x.shape[-2:])
        y = super().forward(x)
        if y.shape[-2] < oh or y.shape[-1] < ow:
            y = F.pad(y, (0, max(0, ow - y.shape[-1]), 0, max(0, oh - y.shape[-2])), "replicate")
        return y[..., :oh, :ow]


class Operator:
    """What one variant does at each kind of downsampling site.

    Subclasses override :meth:`pool`, :meth:`conv` and :meth:`shortcut`; each returns the
    layers to place (a list of modules) or ``None`` to keep the plain network's layer.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    #: at a pool site that follows a conv through pointwise ops only, fold the stride into it
    folds_into_conv: ClassVar[bool] = False
    #: said beside the variant's name while its own layers have not been trained
    init_note: ClassVar[str] = ""

    def pool(self, site: Site) -> list[nn.Module] | None:
        """Layers replacing a pooling layer (they receive the pool's input)."""
        return None

    def conv(self, site: Site) -> list[nn.Module] | None:
        """Layers after a strided conv, run at stride 1, and its pointwise ops."""
        return None

    def shortcut(self, site: Site) -> list[nn.Module] | None:
        """Layers before a strided 1x1 conv, run at stride 1 (ResNet-D style)."""
        return None

    def describe(self, site: Site) -> str:
        """One line saying what this operator puts at ``site``."""
        layers = {"pool": self.pool, "conv": self.conv, "shortcut": self.shortcut}[site.kind](site)
        if layers is None:
            return "kept as in the plain network"
        where = {"pool": "replaced by", "conv": "conv at stride 1, its pointwise ops, then",
                 "shortcut": "before the 1x1 conv at stride 1:"}[site.kind]
        return f"{where} {' -> '.join(_short(m) for m in layers)}"


@register
class Plain(Operator):
    """The network as written: every site kept."""

    name, label = "plain", "plain network"


@register
class Max(Operator):
    name, label = "max", "max-pool"

    def pool(self, site: Site) -> list[nn.Module] | None:
        if site.pool_type == "max":
            return None
        g = site.geometry
        return [nn.MaxPool2d(g.kernel, g.stride, g.padding, ceil_mode=g.ceil_mode)]

    def conv(self, site: Site) -> list[nn.Module]:
        return [nn.MaxPool2d(site.geometry.stride, site.geometry.stride, ceil_mode=True)]

    shortcut = conv


@register
class Avg(Operator):
    name, label = "avg", "avg-pool"

    def pool(self, site: Site) -> list[nn.Module] | None:
        if site.pool_type == "avg":
            return None
        g = site.geometry
        return [nn.AvgPool2d(g.kernel, g.stride, g.padding, ceil_mode=g.ceil_mode,
                             count_include_pad=False)]

    def conv(self, site: Site) -> list[nn.Module]:
        s = site.geometry.stride
        return [nn.AvgPool2d(s, s, ceil_mode=True, count_include_pad=False)]

    shortcut = conv


@register
class Stride(Operator):
    name, label = "stride", "strided conv"
    folds_into_conv = True

    def pool(self, site: Site) -> list[nn.Module]:
        g = site.geometry  # sample each pooling window's centre
        off = tuple(max(0, (k - 1) // 2 - p) for k, p in zip(g.kernel, g.padding, strict=True))
        return [Subsample(g.stride, off)]


@register
class Blur(Operator):
    name, label = "blur", "blur-pool"
    filter_size: ClassVar[int] = 4

    def pool(self, site: Site) -> list[nn.Module]:
        g = site.geometry
        blur = BlurPool(self.filter_size, g.stride)
        if site.pool_type == "max":  # MaxBlurPool: dense max, then blur and subsample
            return [DenseMax(g.kernel, g.padding), blur]
        return [blur]

    def conv(self, site: Site) -> list[nn.Module]:
        return [BlurPool(self.filter_size, site.geometry.stride)]

    shortcut = conv


@register
class Learned(Operator):
    """All-CNN (Springenberg et al. 2014): a learned 3x3 conv at the site's stride replaces the
    pool (after a strided conv's pointwise ops; before a 1x1 shortcut). Until trained it is a
    per-channel 3x3 box filter (an average, no mixing of channels)."""

    name, label = "learned", "learned conv (All-CNN)"
    init_note = "untrained: 3x3 box filter"

    def pool(self, site: Site) -> list[nn.Module]:
        return [box_conv(site.in_shape[0], site.geometry.stride)]

    def conv(self, site: Site) -> list[nn.Module]:
        return [box_conv(site.out_shape[0], site.geometry.stride)]

    def shortcut(self, site: Site) -> list[nn.Module]:
        return [box_conv(site.in_shape[0], site.geometry.stride)]


def box_conv(channels: int, stride: int | tuple[int, int]) -> nn.Conv2d:
    """A 3x3 conv (padding 1) at ``stride`` starting as a per-channel 3x3 box filter."""
    conv = nn.Conv2d(channels, channels, 3, pair(stride), 1)
    with torch.no_grad():
        conv.weight.zero_()
        idx = torch.arange(channels)
        conv.weight[idx, idx] = 1.0 / 9.0
        conv.bias.zero_()
    return conv


def _short(m: nn.Module) -> str:
    if isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
        k, s = pair(m.kernel_size), pair(m.stride)
        kind = "MaxPool" if isinstance(m, nn.MaxPool2d) else "AvgPool"
        return f"{kind}({k[0]}x{k[1]}, stride {s[0]})"
    if isinstance(m, DenseMax):
        return f"MaxPool({m.kernel[0]}x{m.kernel[1]}, stride 1)"
    if isinstance(m, BlurPool):
        return f"BlurPool(Bin-{m.size}, stride {m.stride[0]})"
    if isinstance(m, nn.Conv2d):
        return f"Conv({m.kernel_size[0]}x{m.kernel_size[1]}, stride {m.stride[0]}, learned)"
    if isinstance(m, Subsample):
        return f"Subsample(stride {m.stride[0]}, offset {m.offset[0]})"
    return type(m).__name__
