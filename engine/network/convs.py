"""What the analysis and the rewrite ask of a convolution, written once for torch's convs and
the learned operator's: its geometry, its stride-1 form, its MACs, its padding at stride 1 (TF
"SAME" ports pad through child modules), and circular padding."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.network.places import pair


def conv_geometry(conv: nn.Conv2d) -> tuple[int, int, int]:
    """(kernel with its dilation, stride, padding) of ``conv`` along the height axis."""
    k = conv.dilation[0] * (conv.kernel_size[0] - 1) + 1
    p = conv.padding
    pad = (k - 1) // 2 if p == "same" else 0 if p == "valid" else p[0]
    return k, conv.stride[0], pad


PADS = (nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d)


def pad_for_stride_1(conv: nn.Conv2d) -> list[tuple[nn.Module, tuple]]:
    """Give the pad modules a conv pads through (TF-"SAME" ports size them for one input and
    stride) the SAME padding of stride 1, the extra pixel right and below as TensorFlow puts
    it; returns (pad module, its padding before) for each, to put back."""
    th, tw = (d * (k - 1) for k, d in zip(conv.kernel_size, conv.dilation, strict=True))
    changed = []
    for child in conv.children():
        if isinstance(child, PADS):
            changed.append((child, child.padding))
            child.padding = (tw // 2, tw - tw // 2, th // 2, th - th // 2)
    return changed


def conv_dense(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``conv`` on ``x`` at stride 1 (no hooks run), padded as it pads itself: its own padding
    mode, its own ``forward()`` (a conv that pads there from its stride pads for stride 1), its
    pad modules set for stride 1 meanwhile."""
    saved = conv.stride
    conv.stride = (1, 1)
    pads = pad_for_stride_1(conv)
    try:
        return conv.forward(x)
    finally:
        conv.stride = saved
        for child, padding in pads:
            child.padding = padding


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


def keep_size(conv: nn.Conv2d) -> None:
    """Pad ``conv`` (now at stride 1) so its output keeps its input's size, as ``none`` needs
    (a 4x4/4 patchify stem has no padding: at stride 1 it would shrink every map by 3 px); an
    odd kernel gets ``d (k - 1) / 2`` on each side, an even one as many less one, and the extra
    pixel right and below (as PyTorch's "same" puts it). A conv that pads through pad modules
    was set by :func:`pad_for_stride_1`, and one that pads in its own ``forward()`` (timm's
    ``Conv2dSame``) pads for its stride."""
    if isinstance(conv.padding, str) or any(isinstance(c, PADS) for c in conv.children()) \
            or type(conv).forward is not nn.Conv2d.forward:
        return
    need = [d * (k - 1) for k, d in zip(conv.kernel_size, conv.dilation, strict=True)]
    if all(2 * p == n for p, n in zip(conv.padding, need, strict=True)):
        return
    conv.padding = tuple(n // 2 for n in need)
    extra = tuple(n - 2 * (n // 2) for n in need)   # an even kernel: one more right and below
    if any(extra):
        conv.register_forward_pre_hook(PadAfter(extra))


class PadAfter:
    """Forward pre-hook: zero-pad the input ``(extra_h, extra_w)`` px below and to the right."""

    def __init__(self, extra: tuple[int, int]):
        self.extra = extra

    def __call__(self, module, args):
        return (F.pad(args[0], (0, self.extra[1], 0, self.extra[0])), *args[1:])
