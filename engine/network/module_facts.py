"""What the analysis asks of any layer, answered in one place.

Four questions: the receptive-field geometry (kernel, stride, padding along the height axis),
the stride-1 dense form (the map a stride samples), the cost (MACs, parameters) and a short
name for descriptions. PoolScope's own modules answer for themselves
(:class:`engine.network.downsamplers.Downsampler`); torch's own layers are described here,
once, by type (``functools.singledispatch`` follows the class hierarchy, so subclasses of
``nn.Conv2d`` in users' models are described as convs).
"""

from __future__ import annotations

from functools import singledispatch

import torch
import torch.nn.functional as F
from torch import nn

from engine.network.convs import conv_dense, conv_geometry, conv_macs
from engine.network.downsamplers import Downsampler
from engine.network.places import pair


@singledispatch
def rf_geometry(module: nn.Module) -> tuple[int, int, int] | None:
    """(kernel, stride, padding) of a spatial layer along the height axis; None for layers
    that do not move the receptive field (pointwise ops, containers)."""
    return None


@rf_geometry.register
def _(module: Downsampler) -> tuple[int, int, int]:
    return module.rf_geometry()


@rf_geometry.register
def _(module: nn.Conv2d) -> tuple[int, int, int]:
    return conv_geometry(module)


@rf_geometry.register(nn.MaxPool2d)
@rf_geometry.register(nn.AvgPool2d)
def _(module) -> tuple[int, int, int]:
    k, s, p = (_first(module.kernel_size), _first(module.stride or module.kernel_size),
               _first(module.padding))
    d = _first(getattr(module, "dilation", 1))
    return d * (k - 1) + 1, s, p


@singledispatch
def dense(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``module`` applied to ``x`` at stride 1 (no hooks run): the map its stride samples."""
    return module.forward(x)


@dense.register
def _(module: Downsampler, x: torch.Tensor) -> torch.Tensor:
    return module.dense(x)


@dense.register
def _(module: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    return conv_dense(module, x)


@dense.register
def _(module: nn.MaxPool2d, x: torch.Tensor) -> torch.Tensor:
    return F.max_pool2d(x, module.kernel_size, 1, module.padding, module.dilation)


@dense.register
def _(module: nn.AvgPool2d, x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, module.kernel_size, 1, module.padding, False,
                        module.count_include_pad)


@singledispatch
def macs(module: nn.Module, out: torch.Tensor) -> int:
    """Multiply-accumulates of one leaf layer for one item of its output ``out``; pooling and
    pointwise ops count 0, as in the literature."""
    return 0


@macs.register
def _(module: Downsampler, out: torch.Tensor) -> int:
    return module.macs(out)


@macs.register
def _(module: nn.Conv2d, out: torch.Tensor) -> int:
    return conv_macs(module, out)


@macs.register
def _(module: nn.Linear, out: torch.Tensor) -> int:
    return out[0].numel() * module.in_features


def cost(module: nn.Module, out: torch.Tensor) -> tuple[int, int]:
    """(MACs, own parameters) of one leaf layer for one item of its output ``out``."""
    return macs(module, out), sum(p.numel() for p in module.parameters(recurse=False))


@singledispatch
def short(module: nn.Module) -> str:
    """The module as an operator's one-line description names it."""
    return type(module).__name__


@short.register
def _(module: Downsampler) -> str:
    return module.short()


@short.register
def _(module: nn.MaxPool2d) -> str:
    return _pool_name("MaxPool", module)


@short.register
def _(module: nn.AvgPool2d) -> str:
    return _pool_name("AvgPool", module)


@short.register
def _(module: nn.Conv2d) -> str:
    k = module.kernel_size
    return f"Conv({k[0]}x{k[1]}, stride {module.stride[0]})"


def _pool_name(kind: str, module) -> str:
    k, s = pair(module.kernel_size), pair(module.stride or module.kernel_size)
    return f"{kind}({k[0]}x{k[1]}, stride {s[0]})"


def _first(v) -> int:
    return int(v[0]) if isinstance(v, tuple | list) else int(v)
