"""The circular-padding build option: every conv and pool of a network wraps around its edges.

With it, a network is exactly equivariant to circular shifts that are multiples of a layer's
accumulated stride (science.md, section 2), which is how the tests hold the measures to the
theory. Convs get ``padding_mode="circular"``; pools pad circularly before pooling (their own
padding becomes 0); PoolScope's own modules (blur, dense max) wrap as each declares.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from engine.network.convs import circular_conv
from engine.network.downsamplers import Downsampler
from engine.network.module_facts import dense, rf_geometry, short
from engine.network.places import pair


class CircularPool(Downsampler):
    """Pad ``pool``'s padding circularly (on each side), then run ``pool`` with none."""

    def __init__(self, pool: nn.MaxPool2d | nn.AvgPool2d):
        super().__init__()
        ph, pw = pair(pool.padding)
        self.pad = (pw, pw, ph, ph)
        pool.padding = 0
        self.pool = pool

    def forward(self, x):
        return self.pool(self._wrap(x))

    def _wrap(self, x):
        return F.pad(x, self.pad, mode="circular") if any(self.pad) else x

    def rf_geometry(self) -> tuple[int, int, int]:
        k, s, _ = rf_geometry(self.pool)
        return k, s, self.pad[2]

    def dense(self, x):
        return dense(self.pool, self._wrap(x))

    def short(self) -> str:
        return f"{short(self.pool)}, circular"


def make_circular(model: nn.Module) -> nn.Module:
    """Switch ``model`` (in place) to circular padding everywhere; returns it."""
    for parent in list(model.modules()):
        for name, m in list(parent.named_children()):
            if isinstance(m, Downsampler):  # the operators' own modules wrap themselves
                m.use_circular_padding()
            elif isinstance(m, nn.Conv2d):
                circular_conv(m)
            elif isinstance(m, nn.MaxPool2d | nn.AvgPool2d) and any(pair(m.padding)):
                setattr(parent, name, CircularPool(m))
    return model
