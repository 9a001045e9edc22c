"""PoolScope's own downsampling modules, each declaring what the analysis asks of it.

The trace (receptive fields, MACs), the site taps (the stride-1 map a stride samples), the
operators' descriptions and the circular build option ask a module through
:mod:`engine.network.module_facts`, never by testing its class: a module that subclasses
:class:`Downsampler` answers for itself. A variant that brings a new module is therefore that
module's class, its operator's class and the operator's ``@register`` line.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from engine.network.places import Site, pair

BINOMIAL_ROWS = {n: [math.comb(n - 1, i) for i in range(n)] for n in range(1, 8)}


class Downsampler(nn.Module):
    """Base of the modules an operator places at a site (see the module docstring).

    A module that is also one of torch's layers (``LearnedConv`` is a ``Conv2d``) lists
    ``Downsampler`` first among its bases, so that its own answers come first
    (``functools.singledispatch`` and :func:`engine.network.circular.make_circular` follow the
    class order).
    """

    def rf_geometry(self) -> tuple[int, int, int]:
        """(kernel, stride, left padding) along the height axis, for receptive fields."""
        raise NotImplementedError

    def dense(self, x: torch.Tensor) -> torch.Tensor:
        """The module at stride 1 on ``x``: the map its stride samples (no hooks run)."""
        raise NotImplementedError

    def macs(self, out: torch.Tensor) -> int:
        """Multiply-accumulates for one item of the batch ``out`` (0: comparisons only)."""
        return 0

    def short(self) -> str:
        """How the operator's one-line description names this module."""
        return type(self).__name__

    def use_circular_padding(self) -> None:
        """Wrap around the edges instead of padding them (the circular build option)."""


def binomial_filter(size: int) -> torch.Tensor:
    """The normalised 2-D binomial filter ``a (outer) a / sum`` of ``size`` taps (1-7)."""
    if size not in BINOMIAL_ROWS:
        raise ValueError(f"blur filter size must be 1-7, got {size}")
    a = torch.tensor(BINOMIAL_ROWS[size], dtype=torch.float64)
    f = torch.outer(a, a)
    return (f / f.sum()).float()


class BlurPool(Downsampler):
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
        return self._blur(x, self.stride)

    def _blur(self, x: torch.Tensor, stride: tuple[int, int]) -> torch.Tensor:
        sh, sw = stride
        if self.size == 1:
            return x[..., ::sh, ::sw]
        mode = self.pad_mode
        if mode == "reflect" and min(x.shape[-2:]) <= max(self.pad):
            mode = "replicate"  # reflect needs more pixels than the pad
        x = F.pad(x, self.pad, mode=mode)
        c = x.shape[1]
        return F.conv2d(x, self.filt.to(x.dtype).expand(c, 1, -1, -1), stride=(sh, sw), groups=c)

    def rf_geometry(self) -> tuple[int, int, int]:
        return self.size, self.stride[0], self.pad[2]

    def dense(self, x: torch.Tensor) -> torch.Tensor:
        return self._blur(x, (1, 1))

    def macs(self, out: torch.Tensor) -> int:
        return out[0].numel() * self.filt.shape[-1] * self.filt.shape[-2]

    def short(self) -> str:
        return f"BlurPool(Bin-{self.size}, stride {self.stride[0]})"

    def use_circular_padding(self) -> None:
        self.pad_mode = "circular"

    def extra_repr(self) -> str:
        return f"size={self.size}, stride={self.stride}, pad_mode={self.pad_mode}"


class DenseMax(Downsampler):
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

    def dense(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward(x)  # already at stride 1

    def short(self) -> str:
        return f"MaxPool({self.kernel[0]}x{self.kernel[1]}, stride 1)"

    def use_circular_padding(self) -> None:
        self.circular = True

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}, padding={self.padding}"


class Subsample(Downsampler):
    """Keep one position in ``stride``: ``x[..., oh::sh, ow::sw]`` (no parameters)."""

    def __init__(self, stride: int | tuple[int, int] = 2, offset: int | tuple[int, int] = 0):
        super().__init__()
        self.stride, self.offset = pair(stride), pair(offset)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (sh, sw), (oh, ow) = self.stride, self.offset
        return x[..., oh::sh, ow::sw]

    def rf_geometry(self) -> tuple[int, int, int]:
        return 1, self.stride[0], -self.offset[0]

    def dense(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def short(self) -> str:
        return f"Subsample(stride {self.stride[0]}, offset {self.offset[0]})"

    def extra_repr(self) -> str:
        return f"stride={self.stride}, offset={self.offset}"


class LearnedConv(Downsampler, nn.Conv2d):
    """The All-CNN operator's conv (Springenberg et al. 2014): 3x3, padding 1, at ``stride``,
    starting as a per-channel 3x3 box filter (an average, no mixing of channels) until trained.
    Its parameters are a plain ``Conv2d``'s (``weight``, ``bias``), so checkpoints load as ever.
    """

    def __init__(self, channels: int, stride: int | tuple[int, int]):
        nn.Conv2d.__init__(self, channels, channels, 3, pair(stride), 1)
        with torch.no_grad():
            self.weight.zero_()
            idx = torch.arange(channels)
            self.weight[idx, idx] = 1.0 / 9.0
            self.bias.zero_()

    def rf_geometry(self) -> tuple[int, int, int]:
        return conv_geometry(self)

    def dense(self, x: torch.Tensor) -> torch.Tensor:
        return conv_dense(self, x)

    def macs(self, out: torch.Tensor) -> int:
        return conv_macs(self, out)

    def short(self) -> str:
        k = self.kernel_size
        return f"Conv({k[0]}x{k[1]}, stride {self.stride[0]}, learned)"

    def use_circular_padding(self) -> None:
        circular_conv(self)


def conv_geometry(conv: nn.Conv2d) -> tuple[int, int, int]:
    """(kernel with its dilation, stride, padding) of ``conv`` along the height axis."""
    k = conv.dilation[0] * (conv.kernel_size[0] - 1) + 1
    p = conv.padding
    pad = (k - 1) // 2 if p == "same" else 0 if p == "valid" else p[0]
    return k, conv.stride[0], pad


def conv_dense(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``conv`` on ``x`` at stride 1, with its own padding mode (no hooks run)."""
    saved = conv.stride
    conv.stride = (1, 1)
    try:
        return conv._conv_forward(x, conv.weight, conv.bias)
    finally:
        conv.stride = saved


def circular_conv(conv: nn.Conv2d) -> None:
    """Make ``conv`` pad circularly (in place), keeping its padding amounts."""
    if not isinstance(conv.padding, str) and any(pair(conv.padding)):
        conv.padding_mode = "circular"
        # Conv2d precomputes the reversed padding it hands to F.pad
        ph, pw = pair(conv.padding)
        conv._reversed_padding_repeated_twice = [pw, pw, ph, ph]


def conv_macs(conv: nn.Conv2d, out: torch.Tensor) -> int:
    """``H_out * W_out * C_out * (C_in / groups) * kh * kw`` for one item of ``out``."""
    kh, kw = conv.kernel_size
    return out[0].numel() * (conv.in_channels // conv.groups) * kh * kw


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
