"""DenseNet (Huang et al. 2017) in miniature: a 7x7/2 stem and a 3x3/2 max-pool, dense blocks
where every layer's output is concatenated to its input, and transitions of BN, ReLU, a 1x1
conv and 2x2 average pooling. 64x64 input."""

import torch
import torch.nn.functional as F
from torch import nn


class DenseLayer(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.norm1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, 4 * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(4 * growth)
        self.conv2 = nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False)

    def forward(self, x):
        y = self.conv1(F.relu(self.norm1(x)))
        y = self.conv2(F.relu(self.norm2(y)))
        return torch.cat([x, y], 1)


class Transition(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.BatchNorm2d(cin), nn.ReLU(inplace=True),
                         nn.Conv2d(cin, cout, 1, bias=False), nn.AvgPool2d(2, 2))


class DenseNet(nn.Module):
    def __init__(self, classes=10, growth=8):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 7, 2, 3, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1))
        c = 16
        for i in range(3):
            self.features.add_module(f"dense{i}", nn.Sequential(
                *(DenseLayer(c + j * growth, growth) for j in range(3))))
            c += 3 * growth
            if i < 2:
                self.features.add_module(f"trans{i}", Transition(c, c // 2))
                c //= 2
        self.features.add_module("norm", nn.BatchNorm2d(c))
        self.classifier = nn.Linear(c, classes)

    def forward(self, x):
        x = F.relu(self.features(x))
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


def build():
    torch.manual_seed(0)
    return DenseNet().eval()
