"""PoolScope's own downsampling modules, each declaring what the analysis asks of it.

The trace (receptive fields, MACs), the site taps (the stride-1 map a stride samples), the
operators' descriptions and the circular build option ask a module through
:mod:`engine.network.module_facts`, never by testing its class: a module that subclasses
:class:`Downsampler` answers for itself. A variant that brings a new module is therefore that
module's class, its operator's class and the operator's ``@register`` line.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.network.convs import circular_conv, conv_dense, conv_geometry, conv_macs
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

    def indices(self, x: torch.Tensor, out_size: tuple[int, int]) -> torch.Tensor | None:
        """Flat indices into ``x``'s (H, W) of the pixels this module's output stands for, for
        an unpooling layer after a pool that returned indices; None: the window's argmax."""
        return None


def binomial_filter(size: int) -> torch.Tensor:
    """The normalised 2-D binomial filter ``a (outer) a / sum`` of ``size`` taps (1-7)."""
    if size not in BINOMIAL_ROWS:
        raise ValueError(f"blur filter size must be 1-7, got {size}")
    return _outer(torch.tensor(BINOMIAL_ROWS[size], dtype=torch.float64))


def blur_taps(size: int, stride: int) -> torch.Tensor:
    """The 1-D filter BlurPool applies before keeping one pixel in ``stride``.

    Stride 2: the binomial row of ``size`` taps. A stride of 2^m: that row cascaded as m
    stride-2 blur-pools would apply it, in one filter (the row convolved with itself dilated
    by 2, 4, ...), so each halving is as anti-aliased as at stride 2. Any other stride: the
    binomial row of min(7, 2 x stride) taps.
    """
    if size not in BINOMIAL_ROWS:
        raise ValueError(f"blur filter size must be 1-7, got {size}")
    row = torch.tensor(BINOMIAL_ROWS[size], dtype=torch.float64)
    if stride <= 2 or size == 1:
        return row
    if stride & (stride - 1):  # not a power of 2
        return torch.tensor(BINOMIAL_ROWS[min(7, 2 * stride)], dtype=torch.float64)
    taps, step = row, 2
    while step < stride:
        spread = torch.zeros((size - 1) * step + 1, dtype=torch.float64)
        spread[::step] = row
        taps = torch.from_numpy(np.convolve(taps.numpy(), spread.numpy()))
        step *= 2
    return taps


def _outer(a: torch.Tensor) -> torch.Tensor:
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
        s = max(self.stride)
        taps = blur_taps(size, s)
        k = len(taps)
        lo = (k - 1) // 2
        if k > size and not s & (s - 1):  # a cascade: where its stages' left pads add up to
            lo = (size - 1) // 2 * (s - 1)
        hi = k - 1 - lo
        self.pad = (lo, hi, lo, hi)
        self.register_buffer("filt", _outer(taps)[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._blur(x, self.stride)

    def _blur(self, x: torch.Tensor, stride: tuple[int, int]) -> torch.Tensor:
        sh, sw = stride
        if self.filt.shape[-1] == 1:
            return x[..., ::sh, ::sw]
        mode = self.pad_mode
        if mode == "reflect" and min(x.shape[-2:]) <= max(self.pad):
            mode = "replicate"  # reflect needs more pixels than the pad
        x = F.pad(x, self.pad, mode=mode)
        c = x.shape[1]
        return F.conv2d(x, self.filt.to(x.dtype).expand(c, 1, -1, -1), stride=(sh, sw), groups=c)

    def rf_geometry(self) -> tuple[int, int, int]:
        return self.filt.shape[-2], self.stride[0], self.pad[2]

    def dense(self, x: torch.Tensor) -> torch.Tensor:
        return self._blur(x, (1, 1))

    def macs(self, out: torch.Tensor) -> int:
        return out[0].numel() * self.filt.shape[-1] * self.filt.shape[-2]

    def short(self) -> str:
        s, k = self.stride[0], self.filt.shape[-1]
        if k == self.size or self.size == 1:
            return f"BlurPool(Bin-{self.size}, stride {s})"
        if k > 7 or s & (s - 1) == 0:
            return f"BlurPool(Bin-{self.size} cascaded to stride {s}: {k} taps)"
        return f"BlurPool(Bin-{k}, stride {s})"

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

    def indices(self, x: torch.Tensor, out_size: tuple[int, int]) -> torch.Tensor:
        (sh, sw), (oh, ow), (h, w) = self.stride, self.offset, x.shape[-2:]
        rows = (oh + sh * torch.arange(out_size[0], device=x.device)).clamp(max=h - 1)
        cols = (ow + sw * torch.arange(out_size[1], device=x.device)).clamp(max=w - 1)
        flat = rows[:, None] * w + cols[None, :]
        return flat.expand(*x.shape[:-2], *out_size).contiguous()

    def extra_repr(self) -> str:
        return f"stride={self.stride}, offset={self.offset}"


class LearnedConv(Downsampler, nn.Conv2d):
    """The All-CNN operator's conv (Springenberg et al. 2014): 3x3, padding 1, at ``stride``
    (at a larger stride s, (2s - 1) x (2s - 1), so its windows still overlap), starting as a
    per-channel box filter (an average, no mixing of channels) until trained. Its parameters
    are a plain ``Conv2d``'s (``weight``, ``bias``), so checkpoints load as ever.
    """

    def __init__(self, channels: int, stride: int | tuple[int, int]):
        k = max(3, 2 * max(pair(stride)) - 1)
        nn.Conv2d.__init__(self, channels, channels, k, pair(stride), (k - 1) // 2)
        with torch.no_grad():
            self.weight.zero_()
            idx = torch.arange(channels)
            self.weight[idx, idx] = 1.0 / (k * k)
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
        self.returns_indices = site.indices  # the plain pool returned its argmax too

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        if self.after_conv:  # the conv ran at stride 1: the strided conv keeps ceil(n / s)
            (sh, sw) = self.geometry.stride
            return -(-h // sh), -(-w // sw)
        return self.geometry.pool_out(h, w)

    def forward(self, x: torch.Tensor):
        oh, ow = self.out_size(*x.shape[-2:])
        y = super().forward(x)
        if y.shape[-2] < oh or y.shape[-1] < ow:
            y = F.pad(y, (0, max(0, ow - y.shape[-1]), 0, max(0, oh - y.shape[-2])), "replicate")
        y = y[..., :oh, :ow]
        return (y, self.indices(x, (oh, ow))) if self.returns_indices else y

    def indices(self, x: torch.Tensor, out_size: tuple[int, int]) -> torch.Tensor:
        """What an unpooling layer gets from this site: the pixel the last layer samples, or
        (avg, blur, learned) the argmax of each of the plain pool's windows."""
        last = self[-1]
        own = last.indices(x, out_size) if isinstance(last, Downsampler) else None
        if own is not None:
            return own
        g = self.geometry
        _, idx = F.max_pool2d(x, g.kernel, g.stride, g.padding, ceil_mode=g.ceil_mode,
                              return_indices=True)
        return idx[..., :out_size[0], :out_size[1]].contiguous()
