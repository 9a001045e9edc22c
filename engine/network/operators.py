"""Downsampling operators: what each variant puts at each kind of downsampling site.

A *site* is a place where the plain network reduces resolution (see :mod:`engine.network.sites`):

* ``pool``: a ``MaxPool2d`` / ``AvgPool2d`` with stride > 1;
* ``conv``: a strided ``nn.Conv2d`` (kernel > 1), followed by its pointwise ops (BN, ReLU);
* ``shortcut``: a strided 1x1 ``nn.Conv2d`` (a ResNet projection shortcut).

An operator answers, for each kind of site, with the module to put there, or ``None`` to keep
the plain network's own layer. Adding a variant is one class below plus its ``@register`` line;
a variant that brings a module of its own subclasses
:class:`engine.network.downsamplers.Downsampler`, which declares what the analysis asks of it.
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from engine.network.downsamplers import BlurPool, DenseMax, LearnedConv, Subsample
from engine.network.module_facts import short
from engine.network.places import Site

OPERATORS: dict[str, type[Operator]] = {}


def register(cls: type[Operator]) -> type[Operator]:
    """Register an operator class under its ``name`` (the one line a new variant adds)."""
    OPERATORS[cls.name] = cls
    return cls


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
    #: False for a variant that removes the downsampling: its sites sample nothing, so the
    #: site measures (polyphase dispersion, alias fraction) have no site there
    downsamples: ClassVar[bool] = True

    def pool(self, site: Site) -> list[nn.Module] | None:
        """Layers replacing a pooling layer (they receive the pool's input)."""
        return None

    def conv(self, site: Site) -> list[nn.Module] | None:
        """Layers after a strided conv, run at stride 1, and its pointwise ops."""
        return None

    def shortcut(self, site: Site) -> list[nn.Module] | None:
        """Layers before a strided 1x1 conv, run at stride 1 (ResNet-D style)."""
        return None

    def admit(self, plain: nn.Module, tr, sites: list[Site], size: tuple[int, int]) -> None:
        """Raise a one-line ModelError if this variant cannot be made of ``plain`` (traced as
        ``tr`` at ``size``, its ``sites``); most variants can be made of any network."""

    def describe(self, site: Site) -> str:
        """One line saying what this operator puts at ``site``."""
        layers = {"pool": self.pool, "conv": self.conv, "shortcut": self.shortcut}[site.kind](site)
        if layers is None:
            return "kept as in the plain network"
        if not layers:
            return {"pool": "removed (no downsampling)", "conv": "conv at stride 1, nothing "
                    "after (no downsampling)", "shortcut": "1x1 conv at stride 1 (no "
                    "downsampling)"}[site.kind]
        where = {"pool": "replaced by", "conv": "conv at stride 1, its pointwise ops, then",
                 "shortcut": "before the 1x1 conv at stride 1:"}[site.kind]
        return f"{where} {' -> '.join(short(m) for m in layers)}"


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
        return [LearnedConv(site.in_shape[0], site.geometry.stride)]

    def conv(self, site: Site) -> list[nn.Module]:
        return [LearnedConv(site.out_shape[0], site.geometry.stride)]

    def shortcut(self, site: Site) -> list[nn.Module]:
        return [LearnedConv(site.in_shape[0], site.geometry.stride)]


@register
class NoDownsampling(Operator):
    """No downsampling anywhere: pools removed, strided convs at stride 1 (their padding made
    right for stride 1). Every row keeps the input's resolution, so only networks whose head
    takes any size (global pooling) can end in it; and its cost grows with the square of every
    stride removed, so it is estimated first and refused above :data:`NONE_MAX_MACS`."""

    name, label = "none", "no downsampling"
    downsamples = False

    def pool(self, site: Site) -> list[nn.Module]:
        return []

    def conv(self, site: Site) -> list[nn.Module]:
        return []

    shortcut = conv

    def admit(self, plain: nn.Module, tr, sites: list[Site], size: tuple[int, int]) -> None:
        from engine.network.cost_estimate import admit_none

        admit_none(plain, tr, sites, size)
