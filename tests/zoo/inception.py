"""An Inception network in miniature (Szegedy et al. 2015; the reduction of Inception-v4):
a block of parallel 1x1, 3x3, 5x5 and pooled branches concatenated, the pooled branch a
stride-1 3x3 average in ``forward()``; a reduction whose strided branches end in a functional
ReLU straight into the concatenation, beside a 3x3/2 max-pool. 32x32 input."""

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn(cin, cout, k, stride=1, padding=0):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class InceptionBlock(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.b1 = conv_bn(cin, 8, 1)
        self.b3 = nn.Sequential(conv_bn(cin, 8, 1), conv_bn(8, 12, 3, padding=1))
        self.b5 = nn.Sequential(conv_bn(cin, 4, 1), conv_bn(4, 6, 5, padding=2))
        self.bp = conv_bn(cin, 6, 1)

    def forward(self, x):
        pooled = F.avg_pool2d(x, 3, stride=1, padding=1)  # stride 1: not a downsampling site
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(pooled)], 1)


class Reduction(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.conv = nn.Conv2d(cin, 24, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(24)
        self.pool = nn.MaxPool2d(3, 2, padding=1)

    def forward(self, x):
        return torch.cat([F.relu(self.bn(self.conv(x))), self.pool(x)], 1)


class Inception(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = conv_bn(3, 16, 3, padding=1)
        self.block1 = InceptionBlock(16)
        self.reduce = Reduction(32)
        self.block2 = InceptionBlock(56)
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = self.block2(self.reduce(self.block1(self.stem(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def build():
    torch.manual_seed(0)
    return Inception().eval()
