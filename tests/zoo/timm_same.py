"""A timm-style ``Conv2dSame`` (Wightman's pytorch-image-models): "SAME" padding computed in
``forward()`` with ``F.pad`` from the input size, the stride and the dilation; then the plain
convolution. A small four-stage network of them, 64x64 input."""

import math

import torch
import torch.nn.functional as F
from torch import nn


def get_same_padding(x: int, k: int, s: int, d: int) -> int:
    return max((math.ceil(x / s) - 1) * s + (k - 1) * d + 1 - x, 0)


def pad_same(x, k, s, d=(1, 1), value=0.0):
    ih, iw = x.size()[-2:]
    pad_h = get_same_padding(ih, k[0], s[0], d[0])
    pad_w = get_same_padding(iw, k[1], s[1], d[1])
    if pad_h > 0 or pad_w > 0:
        x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2],
                  value=value)
    return x


class Conv2dSame(nn.Conv2d):
    """Tensorflow-like "SAME" convolution wrapper for 2-D convolutions (timm)."""

    def __init__(self, cin, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
        super().__init__(cin, cout, k, stride, 0, dilation, groups, bias)

    def forward(self, x):
        x = pad_same(x, self.weight.shape[-2:], self.stride, self.dilation)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class TimmSame(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        chans, layers, cin = (16, 24, 32, 48), [], 3
        for c in chans:
            layers += [Conv2dSame(cin, c, 3, stride=2, bias=False), nn.BatchNorm2d(c),
                       nn.SiLU(), Conv2dSame(c, c, 3), nn.SiLU()]
            cin = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        return self.head(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def build():
    torch.manual_seed(0)
    return TimmSame().eval()
