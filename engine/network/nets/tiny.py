"""``tiny``: the default network, small enough to run four variants live on a laptop CPU."""

from __future__ import annotations

from torch import nn


class Tiny(nn.Module):
    """Four stages of conv3x3 (padding 1) + ReLU with 16, 32, 64, 128 channels, each ending in a
    ``MaxPool2d(2)`` site, then global average pooling and a linear classifier."""

    def __init__(self, num_classes: int = 10, in_channels: int = 3,
                 widths: tuple[int, ...] = (16, 32, 64, 128)):
        layers: list[nn.Module] = []
        c = in_channels
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c = w
        super().__init__()
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.features(x))))
