"""Measures over many images that several questions share: per-site shift error, flicker on a
sub-pixel pan, top-1 consistency, top-1 change rate and held-out accuracy.

Each takes a network, a variant and a batch of inputs (N, C, H, W) and returns plain numbers
per image (for means with intervals) or counts (for Wilson intervals). Definitions follow
``shared/reference/science.md`` and are the live meter's (:mod:`engine.measures.meter`), here
taken over a whole set of images rather than one frame.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.answers.inputs import HELD_OUT, to_batch
from engine.measures import metrics as ms
from engine.measures.meter import SHIFTS, Meter
from engine.network.capture import Capture
from engine.train.dataset import SyntheticShapes

CHUNK = 16                           # images per forward pass (times the shifted copies)
PAN = (0.0, 0.25, 0.5, 0.75, 1.0)    # px: the sub-pixel pan flicker is taken along
PAIRS = 4                            # crop pairs per image for consistency


def fourier_roll(x: torch.Tensor, dx: float) -> torch.Tensor:
    """``x`` shifted circularly right by ``dx`` px, a fraction too, by the Fourier shift
    theorem: the picture moves and keeps its spectrum (a linear interpolation between two
    whole-pixel shifts would blur it); whole shifts are exact rolls."""
    if float(dx).is_integer():
        return torch.roll(x, int(dx), -1)
    w = x.shape[-1]
    k = torch.fft.fftfreq(w, dtype=torch.float64)
    phase = torch.exp(-2j * torch.pi * k * dx)
    return torch.fft.ifft(torch.fft.fft(x.double(), dim=-1) * phase, dim=-1).real.to(x.dtype)


def site_rows(net) -> list:
    """The rows at the network's downsampling sites, in forward order."""
    paths = {s.path for s in net.sites}
    return [ly for ly in net.layers if ly.name in paths]


def geometry(net, variant: str) -> dict[str, dict]:
    """row -> {"size", "jump", "start"} of the variant's theoretical receptive field."""
    rf = Meter(net, {variant: net.variants[variant].model}, torch.device("cpu")).rf(variant)
    return {row: {"size": float(r.size), "jump": float(r.jump), "start": float(r.start)}
            for row, r in rf.items() if r is not None}


def jumps(net, variant: str) -> dict[str, int]:
    """site -> the accumulated stride of the variant's map there (sites with a whole one)."""
    geo = geometry(net, variant)
    return {ly.name: int(geo[ly.name]["jump"]) for ly in site_rows(net)
            if ly.name in geo and geo[ly.name]["jump"].is_integer()}


def shift_errors(net, variant: str, x: torch.Tensor) -> dict[str, dict[str, list[float]]]:
    """site -> {"1 px": [...], "half": [...]}: per image, the cosine distance between
    F(shift(x)) and shift(F(x)) (Zhang 2019), the mean over the three 1-px shifts (right, down,
    diagonal), and for the half-pixel diagonal shift."""
    model, circular = net.variants[variant].model, net.circular
    jump = jumps(net, variant)
    rows = [ly for ly in site_rows(net) if ly.name in jump]
    out = {ly.name: {"1 px": [], "half": []} for ly in rows}
    with torch.inference_mode():
        for xs in x.split(CHUNK):
            k = len(xs)
            batch = torch.cat([xs] + [ms.move(xs, dx, dy, circular) for dx, dy in SHIFTS])
            with Capture(model, rows, full=True) as cap:
                model(batch)
            for ly in rows:
                maps = cap.maps[ly.name].float()
                for i in range(k):
                    d = ms.shift_cosines(maps[i], maps[k + i::k], SHIFTS, jump[ly.name],
                                         circular)
                    out[ly.name]["1 px"].append(float(np.mean(d[:3])))
                    out[ly.name]["half"].append(float(d[3]))
    return out


def pan_flicker(net, variant: str, x: torch.Tensor) -> dict[str, list[float]]:
    """site -> per image, the mean flicker ``||F_t - F_(t-1)|| / ||F_(t-1)||`` along a
    sub-pixel pan of the image (0 to 1 px right in quarter-pixel steps)."""
    model, circular = net.variants[variant].model, net.circular
    rows = site_rows(net)
    out = {ly.name: [] for ly in rows}
    steps = len(PAN)
    with torch.inference_mode():
        for xs in x.split(CHUNK):
            k = len(xs)
            batch = torch.cat([ms.move(xs, d, 0.0, circular) for d in PAN])
            with Capture(model, rows, full=True) as cap:
                model(batch)
            for ly in rows:
                maps = cap.maps[ly.name].float()
                for i in range(k):
                    frames = maps[i::k][:steps]
                    out[ly.name].append(float(np.mean([ms.flicker(frames[t], frames[t - 1])
                                                       for t in range(1, steps)])))
    return out


def classifies(model, x: torch.Tensor) -> bool:
    """True if ``model`` gives class scores (N, classes) for ``x``, not a map."""
    with torch.inference_mode():
        return model(x[:1]).ndim == 2


def classify(model, x: torch.Tensor) -> torch.Tensor:
    """Class probabilities (N, classes) of ``x``, in chunks."""
    with torch.inference_mode():
        return torch.cat([model(xs).softmax(-1) for xs in x.split(4 * CHUNK)])


def consistency(model, x: torch.Tensor, seed: int) -> tuple[int, int] | None:
    """(agreeing, pairs): pairs of random crops of each image (Zhang 2019's protocol, margin
    1/8 of the side) whose top-1 classes agree; None for a model that takes no smaller input
    (a flattening head)."""
    h, w = x.shape[-2:]
    margin = max(1, round(min(h, w) / 8))
    rng = np.random.default_rng(seed)
    offs = rng.integers(0, margin + 1, (len(x), PAIRS, 2, 2))
    crops = [x[i:i + 1, :, oy:oy + h - margin, ox:ox + w - margin]
             for i in range(len(x)) for p in range(PAIRS) for oy, ox in offs[i, p]]
    try:
        top = classify(model, torch.cat(crops)).argmax(-1).view(-1, 2)
    except RuntimeError:  # the head's linear layer needs the full size
        return None
    return int((top[:, 0] == top[:, 1]).sum()), len(top)


def top1_changes(model, x: torch.Tensor, span: int, circular: bool) -> tuple[int, int]:
    """(changes, steps): along a diagonal path of 1-px shifts from 0 to ``span`` px, the steps
    that change the top-1 class (Azulay & Weiss 2019's jaggedness)."""
    batch = torch.cat([ms.move(x, d, d, circular) for d in range(span + 1)])
    top = classify(model, batch).argmax(-1).view(span + 1, len(x))
    return int((top[1:] != top[:-1]).sum()), span * len(x)


def labelled_set(net, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``n`` images of the synthetic held-out set with their labels, for a network trained on
    the synthetic set (its checkpoint says so), else None."""
    metas = [net.weights["meta"]] if net.weights else []
    metas += [t["meta"] for t in (net.trained or {}).values()]
    if not metas or any(m.get("dataset") != "synthetic" for m in metas):
        return None
    h, w = net.input_size
    data = SyntheticShapes(n, max(h, w), int(metas[0].get("dataset_seed", seed)),
                           offset=HELD_OUT)
    pics, labels = zip(*(data.image(i) for i in range(n)), strict=True)
    return to_batch(net, pics), torch.tensor(labels)


def accuracy(model, data: tuple[torch.Tensor, torch.Tensor]) -> tuple[int, int]:
    """(right, images) of ``model`` on a labelled set."""
    x, y = data
    return int((classify(model, x).argmax(-1) == y).sum()), len(y)
