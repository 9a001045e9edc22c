"""MobileNetV2 (Sandler et al. 2018) in miniature: inverted residuals (1x1 expand, 3x3
depthwise, 1x1 linear projection), ReLU6, stride 2 on the depthwise convs. 64x64 input."""

import torch
from torch import nn


def conv_bn_relu(cin, cout, k, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        mid = cin * expand
        layers = [conv_bn_relu(cin, mid, 1)] if expand != 1 else []
        layers += [conv_bn_relu(mid, mid, 3, stride, groups=mid),
                   nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        layers, cin = [conv_bn_relu(3, 16, 3, 2)], 16
        for expand, cout, n, stride in ((1, 8, 1, 1), (6, 12, 2, 2), (6, 16, 2, 2),
                                        (6, 24, 1, 2)):
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers.append(conv_bn_relu(cin, 64, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(64, classes)

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


def build():
    torch.manual_seed(0)
    return MobileNetV2().eval()
