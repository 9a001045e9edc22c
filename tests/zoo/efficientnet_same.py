"""EfficientNet (Tan & Le 2019) as TF ports write it: "SAME" padding by a child ``ZeroPad2d``
sized for one input size and stride, the stride stored as a list, swish and squeeze-excite in
``forward()``. A B0-like miniature for 64x64 input; the layout of lukemelas/EfficientNet-PyTorch.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

SIZE = 64


class Conv2dStaticSamePadding(nn.Conv2d):
    """A conv padded like TensorFlow's "SAME" for ``image_size``, by a child module."""

    def __init__(self, cin, cout, k, stride=1, groups=1, bias=False, image_size=SIZE):
        super().__init__(cin, cout, k, stride, 0, 1, groups, bias)
        self.stride = self.stride if len(self.stride) == 2 else [self.stride[0]] * 2
        self.stride = list(self.stride)
        ih = iw = image_size
        kh, kw = self.weight.size()[-2:]
        sh, sw = self.stride
        oh, ow = math.ceil(ih / sh), math.ceil(iw / sw)
        pad_h = max((oh - 1) * sh + (kh - 1) + 1 - ih, 0)
        pad_w = max((ow - 1) * sw + (kw - 1) + 1 - iw, 0)
        if pad_h > 0 or pad_w > 0:
            self.static_padding = nn.ZeroPad2d((pad_w // 2, pad_w - pad_w // 2,
                                                pad_h // 2, pad_h - pad_h // 2))
        else:
            self.static_padding = nn.Identity()

    def forward(self, x):
        x = self.static_padding(x)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


def swish(x):
    return x * torch.sigmoid(x)


class MBConv(nn.Module):
    def __init__(self, cin, cout, k, stride, expand, size):
        super().__init__()
        mid = cin * expand
        self.expand = Conv2dStaticSamePadding(cin, mid, 1, image_size=size) if expand > 1 else None
        self.bn0 = nn.BatchNorm2d(mid) if expand > 1 else None
        self.depthwise = Conv2dStaticSamePadding(mid, mid, k, stride, groups=mid, image_size=size)
        self.bn1 = nn.BatchNorm2d(mid)
        squeezed = max(1, cin // 4)
        self.se_reduce = Conv2dStaticSamePadding(mid, squeezed, 1, bias=True, image_size=1)
        self.se_expand = Conv2dStaticSamePadding(squeezed, mid, 1, bias=True, image_size=1)
        self.project = Conv2dStaticSamePadding(mid, cout, 1, image_size=math.ceil(size / stride))
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        y = x
        if self.expand is not None:
            y = swish(self.bn0(self.expand(y)))
        y = swish(self.bn1(self.depthwise(y)))
        s = F.adaptive_avg_pool2d(y, 1)
        s = self.se_expand(swish(self.se_reduce(s)))
        y = torch.sigmoid(s) * y
        y = self.bn2(self.project(y))
        return y + x if self.skip else y


class EfficientNetSame(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv_stem = Conv2dStaticSamePadding(3, 16, 3, 2, image_size=SIZE)
        self.bn0 = nn.BatchNorm2d(16)
        size, blocks, cin = SIZE // 2, [], 16
        for cout, k, stride, expand in ((16, 3, 1, 1), (24, 3, 2, 6), (40, 5, 2, 6),
                                        (80, 3, 2, 6), (112, 5, 1, 6)):
            blocks.append(MBConv(cin, cout, k, stride, expand, size))
            size, cin = math.ceil(size / stride), cout
        self.blocks = nn.ModuleList(blocks)
        self.conv_head = Conv2dStaticSamePadding(cin, 128, 1, image_size=size)
        self.bn1 = nn.BatchNorm2d(128)
        self.fc = nn.Linear(128, classes)

    def forward(self, x):
        x = swish(self.bn0(self.conv_stem(x)))
        for block in self.blocks:
            x = block(x)
        x = swish(self.bn1(self.conv_head(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def build():
    torch.manual_seed(0)
    return EfficientNetSame().eval()
