"""Built-in networks, each written once in its plain PyTorch form, and their registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from engine.errors import ModelError
from engine.network.nets.allcnn import AllCNNC
from engine.network.nets.resnet import ResNet18
from engine.network.nets.tiny import Tiny
from engine.network.nets.vgg import VGG16

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class NetworkSpec:
    """How to build a network and what input it expects."""

    name: str
    build: Callable[..., nn.Module]
    input_size: tuple[int, int]           # (height, width)
    mean: tuple[float, ...]
    std: tuple[float, ...]
    num_classes: int
    description: str
    labels: str | None = None             # file in resources/ with one class name per line


NETWORKS: dict[str, NetworkSpec] = {
    s.name: s for s in (
        NetworkSpec("tiny", Tiny, (224, 224), (0.5,) * 3, (0.5,) * 3, 10,
                    "4 x (conv3x3 + ReLU + max-pool 2x2), 16-128 channels, GAP, linear"),
        NetworkSpec("allcnn-c", AllCNNC, (32, 32), (0.5,) * 3, (0.5,) * 3, 10,
                    "Springenberg et al. Model C (pooled form), 32x32 CIFAR input"),
        NetworkSpec("vgg16", VGG16, (224, 224), IMAGENET_MEAN, IMAGENET_STD, 1000,
                    "VGG-16 (configuration D), torchvision layout", "imagenet_classes.txt"),
        NetworkSpec("resnet18", ResNet18, (224, 224), IMAGENET_MEAN, IMAGENET_STD, 1000,
                    "ResNet-18, torchvision layout", "imagenet_classes.txt"),
    )
}


def build_network(name: str, seed: int = 0, num_classes: int | None = None) -> nn.Module:
    """Build a built-in network in eval mode with seeded, reproducible random weights.

    Parameters
    ----------
    name : str
        A key of :data:`NETWORKS`.
    seed : int
        Seed of the weight initialisation; the global RNG state is left untouched.
    num_classes : int, optional
        Classifier width; defaults to the network's own.
    """
    spec = network_spec(name)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = spec.build(num_classes=num_classes or spec.num_classes)
    return model.eval()


def network_spec(name: str) -> NetworkSpec:
    """The :class:`NetworkSpec` called ``name``; a one-line ModelError if there is none."""
    try:
        return NETWORKS[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r} (built-in: {', '.join(NETWORKS)})") from None
