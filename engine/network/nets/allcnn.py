"""``allcnn-c``: Springenberg et al. 2014 (Striving for Simplicity), Model C in its pooled form.

conv3x3 96, conv3x3 96, max-pool 3x3/2, conv3x3 192, conv3x3 192, max-pool 3x3/2,
conv3x3 192 (valid), conv1x1 192, conv1x1 ``num_classes``, global average. Designed for 32x32
CIFAR images: the last maps are 6x6. Its All-CNN-C form replaces each pool with a learned
3x3/2 conv; Strided-CNN-C is what the ``stride`` variant makes of it.
"""

from __future__ import annotations

from torch import nn


class AllCNNC(nn.Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 3):
        def conv(cin: int, cout: int, k: int, pad: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, k, padding=pad), nn.ReLU(inplace=True)]

        super().__init__()
        self.features = nn.Sequential(
            *conv(in_channels, 96, 3, 1), *conv(96, 96, 3, 1),
            nn.MaxPool2d(3, 2, padding=1), nn.Dropout(0.5),
            *conv(96, 192, 3, 1), *conv(192, 192, 3, 1),
            nn.MaxPool2d(3, 2, padding=1), nn.Dropout(0.5),
            *conv(192, 192, 3, 0), *conv(192, 192, 1, 0), *conv(192, num_classes, 1, 0),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.flatten(self.pool(self.features(x)))
