"""SegNet (Badrinarayanan et al. 2015): an encoder whose max-pools return their indices, and a
decoder that unpools with them. Two stages, 64x64 input, a per-pixel class map out."""

import torch
from torch import nn


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


class SegNet(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.enc1, self.enc2 = block(3, 16), block(16, 32)
        self.pool1 = nn.MaxPool2d(2, 2, return_indices=True)
        self.pool2 = nn.MaxPool2d(2, 2, return_indices=True)
        self.unpool2, self.unpool1 = nn.MaxUnpool2d(2, 2), nn.MaxUnpool2d(2, 2)
        self.dec2, self.dec1 = block(32, 16), block(16, 16)
        self.classify = nn.Conv2d(16, classes, 1)

    def forward(self, x):
        x, i1 = self.pool1(self.enc1(x))
        x, i2 = self.pool2(self.enc2(x))
        x = self.dec2(self.unpool2(x, i2))
        x = self.dec1(self.unpool1(x, i1))
        return self.classify(x)


def build():
    torch.manual_seed(0)
    return SegNet().eval()
