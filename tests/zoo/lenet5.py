"""LeNet-5 (LeCun et al. 1998): 5x5 convs, tanh, 2x2 average-pool "subsampling" layers, then
fully connected layers, on a 32x32 grey image."""

import torch
from torch import nn


class LeNet5(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = nn.AvgPool2d(2, 2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.s4 = nn.AvgPool2d(2, 2)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, classes)
        self.act = nn.Tanh()

    def forward(self, x):
        x = self.s2(self.act(self.c1(x)))
        x = self.s4(self.act(self.c3(x)))
        x = self.act(self.c5(x)).flatten(1)
        return self.out(self.act(self.f6(x)))


def build():
    torch.manual_seed(0)
    return LeNet5().eval()
