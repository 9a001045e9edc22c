"""What a network without downsampling would cost, estimated from the plain trace before it is
built, and whether its head can take its full-resolution maps."""

from __future__ import annotations

import torch
from torch import nn

from engine.errors import ModelError

NONE_MAX_MACS = 64 * 10**9  # above this, `none` is refused (resnet18 at 64 px: ~46 GMAC)


def none_macs(tr) -> int:
    """MACs of the network with every stride removed: each conv's output grows by the stride
    accumulated up to it, in each direction (its MACs by its square); linear layers stay."""
    total = 0
    for n in tr.nodes:
        if not n.leaf or n.path is None:
            continue
        m = tr.modules[n.path]
        if isinstance(m, nn.Conv2d):
            rf = tr.rf.get(n.output)
            j = float(rf.jump) if rf is not None else 1.0
            total += n.macs * j * j
        elif isinstance(m, nn.Linear):
            total += n.macs
    return int(total)


def admit_none(plain: nn.Module, tr, sites, size: tuple[int, int]) -> None:
    """A one-line ModelError if ``none`` would cost more than the cap, if a pool hands its
    indices to an unpooling layer (there is nothing to undo without it), or if the head of
    ``plain`` takes only its own input size (no global pooling to end the maps in)."""
    unpooled = [s.path for s in sites if s.indices]
    if unpooled:
        raise ModelError(f"none: {unpooled[0]} hands its indices to an unpooling layer, which "
                         "would have nothing to undo without the pool (an encoder-decoder "
                         "such as SegNet)")
    macs = none_macs(tr)
    if macs > NONE_MAX_MACS:
        raise ModelError(f"none: without downsampling this network would need about "
                         f"{macs / 1e9:,.0f} GMAC per image at {size[0]}x{size[1]} (the cap is "
                         f"{NONE_MAX_MACS / 1e9:.0f}); choose a smaller --input-size")
    c = next(m for m in plain.modules() if isinstance(m, nn.Conv2d)).in_channels
    try:
        with torch.inference_mode():
            plain(torch.zeros(1, c, 2 * size[0], 2 * size[1]))
    except Exception:  # noqa: BLE001 - any failure means the head is fixed-size
        raise ModelError("none: the head takes only its own input size (no global pooling), "
                         "so the full-resolution maps of a network without downsampling "
                         "cannot end in it") from None
