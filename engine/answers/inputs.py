"""What the questions run on: the network of a set-up, and its input images.

Statistics are taken over the seeded synthetic held-out set (the images the shipped networks
never trained on) unless the set-up names a source: a photo gives seeded random crops of
itself, a video or a pattern its first frames.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.answers.base import Setup
from engine.errors import SourceError
from engine.network.load import Network, load_network
from engine.sources.frames import EndOfStream
from engine.sources.openers import open_source
from engine.sources.preprocess import Normaliser, fit_frame
from engine.train.dataset import SyntheticShapes

HELD_OUT = 6000  # the held-out set starts where `train`'s training set ends


def network(setup: Setup, model: str | None = None, variants=None, circular: bool | None = None,
            input_size: int | None = None) -> Network:
    """The set-up's network (or ``model`` with random weights when it is another one)."""
    own = model is None or model == setup.model
    return load_network(setup.model if own else model, tuple(variants or setup.variants),
                        input_size or (setup.input_size if own else None), setup.seed,
                        weights=setup.shared_weights() if own else None,
                        trained=setup.trained if own else None,
                        circular=setup.circular if circular is None else circular)


def images(setup: Setup, net: Network, n: int | None = None) -> tuple[torch.Tensor, str]:
    """``n`` input tensors (n, C, H, W) for ``net``, and where they come from."""
    n = n or setup.samples
    h, w = net.input_size
    if setup.source:
        frames = _source_frames(setup.source, n, (h, w), setup.seed)
        where = f"{setup.source} ({len(frames)} {'crops' if len(frames) > 1 else 'frame'})"
    else:
        data = SyntheticShapes(n, max(h, w), setup.seed, offset=HELD_OUT)
        frames = [data.image(i)[0] for i in range(n)]
        where = f"the synthetic held-out set ({n} image{'s' * (n != 1)}, seed {setup.seed})"
    return to_batch(net, frames), where


def to_batch(net: Network, pictures) -> torch.Tensor:
    """RGB uint8 pictures as the network's normalised input batch (N, C, H, W), each fitted
    to its input size as the explorer fits frames."""
    norm = Normaliser(net.spec.mean, net.spec.std, torch.device("cpu"))
    return torch.cat([norm(fit_frame(np.asarray(p, np.uint8), net.input_size, net.in_channels))
                      for p in pictures])


def _source_frames(spec: str, n: int, size: tuple[int, int], seed: int) -> list[np.ndarray]:
    with open_source(spec, realtime=False) as src:
        frames = []
        for _ in range(n):
            try:
                frame = src.read()
            except EndOfStream:
                break
            if frames and (frame.index == 0 or np.array_equal(frame.image, frames[0])):
                break  # a still image (the same frame again), or a folder come round again
            frames.append(frame.image)
    if not frames:
        raise SourceError(f"{spec}: no frame to measure")
    if len(frames) > 1:
        return frames
    # one photo: seeded random crops of 7/8 of it, so the statistics have samples
    image, rng = frames[0], np.random.default_rng(seed)
    ih, iw = image.shape[:2]
    ch, cw = max(8, ih * 7 // 8), max(8, iw * 7 // 8)
    crops = []
    for _ in range(n):
        y, x = int(rng.integers(0, ih - ch + 1)), int(rng.integers(0, iw - cw + 1))
        crops.append(np.ascontiguousarray(image[y:y + ch, x:x + cw]))
    return crops


def with_none(setup: Setup, circular: bool | None = None) -> tuple[Network, str | None]:
    """The set-up's network with the ``none`` variant (no downsampling) added to the default
    variants (variants the user chose are kept as chosen), or, where the network cannot have
    it (too costly, or a fixed-size head), without it and the reason."""
    from engine.answers.base import VARIANTS
    from engine.errors import ModelError

    variants = [v for v in setup.variants if v != "plain"]
    if tuple(setup.variants) != VARIANTS:
        return network(setup, variants=variants, circular=circular), None
    try:
        return network(setup, variants=[*variants, "none"] if "none" not in variants
                       else variants, circular=circular), None
    except ModelError as e:
        if "none:" not in str(e):
            raise
        return network(setup, variants=[v for v in variants if v != "none"],
                       circular=circular), str(e)
