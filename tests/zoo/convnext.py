"""ConvNeXt (Liu et al. 2022) in miniature: a 4x4/4 "patchify" stem, blocks of a 7x7 depthwise
conv, LayerNorm over channels (channels-last), an inverted MLP with GELU and layer scale, and
downsampling layers of LayerNorm then a 2x2/2 conv. 64x64 input."""

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an (N, C, H, W) map."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(1e-1 * torch.ones(dim))

    def forward(self, x):
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.pwconv2(self.act(self.pwconv1(self.norm(y))))
        return x + (self.gamma * y).permute(0, 3, 1, 2)


class ConvNeXt(nn.Module):
    def __init__(self, classes=10, dims=(16, 32, 48)):
        super().__init__()
        self.downsample = nn.ModuleList([nn.Sequential(nn.Conv2d(3, dims[0], 4, stride=4),
                                                       LayerNorm2d(dims[0], eps=1e-6))])
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            self.downsample.append(nn.Sequential(LayerNorm2d(a, eps=1e-6),
                                                 nn.Conv2d(a, b, 2, stride=2)))
        self.stages = nn.ModuleList(nn.Sequential(Block(d), Block(d)) for d in dims)
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], classes)

    def forward(self, x):
        for down, stage in zip(self.downsample, self.stages, strict=True):
            x = stage(down(x))
        return self.head(self.norm(x.mean((-2, -1))))


def build():
    torch.manual_seed(0)
    return ConvNeXt().eval()
