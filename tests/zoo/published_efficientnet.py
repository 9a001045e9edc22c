"""The published EfficientNet-B0 port (lukemelas/EfficientNet-PyTorch, on PyPI as
efficientnet-pytorch; it needs nothing but torch), built for 64x64 input, no weights."""


def build():
    import torch
    from efficientnet_pytorch import EfficientNet

    torch.manual_seed(0)
    return EfficientNet.from_name("efficientnet-b0", image_size=64, num_classes=10).eval()
