"""VGG (Simonyan & Zisserman 2014) as tutorials write it: convs as modules, ReLU and 2x2/2
max-pooling as functions in ``forward()``. Configuration "A" narrowed, 32x32 input."""

import torch
import torch.nn.functional as F
from torch import nn

CFG = ((3, 8), (8, 16), (16, 32), (32, 32), (32, 64), (64, 64))
POOL_AFTER = (0, 1, 3, 5)  # max-pool after these convs


class VGGFunctional(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in CFG)
        self.fc1 = nn.Linear(64 * 2 * 2, 64)
        self.fc2 = nn.Linear(64, classes)

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(x))
            if i in POOL_AFTER:
                x = F.max_pool2d(x, kernel_size=2, stride=2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def build():
    torch.manual_seed(0)
    return VGGFunctional().eval()
