"""Training data with no download: a seeded synthetic shapes-and-textures set, or a folder.

Synthetic: each image shows one object of its class at a random position, scale, rotation and
colour, over a cluttered background (smooth noise, stray strokes and blobs) with pixel noise,
so that telling classes apart needs translation invariance. Image ``i`` of a given seed is
always the same. A folder: one sub-folder per class, images inside (``load_image`` rules).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch

from engine.errors import SourceError
from engine.sources.images import IMAGE_EXTENSIONS, load_image

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402

CLASSES = ("circle", "square", "triangle", "cross", "ring", "stripes")


def _polygon(cx, cy, r, sides, angle):
    pts = [(cx + r * math.cos(angle + 2 * math.pi * k / sides),
            cy + r * math.sin(angle + 2 * math.pi * k / sides)) for k in range(sides)]
    return np.array(pts, np.int32)


def render_sample(index: int, size: int = 64, seed: int = 0) -> tuple[np.ndarray, int]:
    """Synthetic image ``index`` (RGB uint8, ``size`` x ``size``) and its class."""
    rng = np.random.default_rng([seed, index])
    label = int(index % len(CLASSES))
    base = rng.uniform(40, 200, 3)
    small = rng.normal(0, 30, (max(2, size // 8), max(2, size // 8), 3))
    img = np.clip(base + cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC),
                  0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(2, 6))):  # clutter
        p1 = tuple(int(v) for v in rng.integers(0, size, 2))
        p2 = tuple(int(v) for v in rng.integers(0, size, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            cv2.line(img, p1, p2, colour, int(rng.integers(1, 3)), cv2.LINE_AA)
        else:
            cv2.circle(img, p1, int(rng.integers(1, max(2, size // 16))), colour, -1,
                       cv2.LINE_AA)
    r = float(rng.uniform(0.15, 0.3) * size)
    cx, cy = (float(v) for v in rng.uniform(r, size - r, 2))
    angle = float(rng.uniform(0, 2 * math.pi))
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    thick = max(2, int(r / 4))
    name = CLASSES[label]
    if name == "circle":
        cv2.circle(img, (int(cx), int(cy)), int(r), colour, -1, cv2.LINE_AA)
    elif name == "square":
        cv2.fillPoly(img, [_polygon(cx, cy, r, 4, angle)], colour, cv2.LINE_AA)
    elif name == "triangle":
        cv2.fillPoly(img, [_polygon(cx, cy, r, 3, angle)], colour, cv2.LINE_AA)
    elif name == "cross":
        for a in (angle, angle + math.pi / 2):
            d = (r * math.cos(a), r * math.sin(a))
            cv2.line(img, (int(cx - d[0]), int(cy - d[1])), (int(cx + d[0]), int(cy + d[1])),
                     colour, thick, cv2.LINE_AA)
    elif name == "ring":
        cv2.circle(img, (int(cx), int(cy)), int(r), colour, thick, cv2.LINE_AA)
    else:  # stripes: a patch of parallel bars
        for k in range(-2, 3):
            off = (k * r / 2.5 * math.cos(angle + math.pi / 2),
                   k * r / 2.5 * math.sin(angle + math.pi / 2))
            d = (r * math.cos(angle), r * math.sin(angle))
            cv2.line(img, (int(cx + off[0] - d[0]), int(cy + off[1] - d[1])),
                     (int(cx + off[0] + d[0]), int(cy + off[1] + d[1])), colour,
                     max(1, thick // 2), cv2.LINE_AA)
    noise = rng.normal(0, 8, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8), label


class SyntheticShapes(torch.utils.data.Dataset):
    """``n`` seeded synthetic samples as normalised (C, H, W) float tensors and labels."""

    def __init__(self, n: int, size: int = 64, seed: int = 0, mean=(0.5,) * 3,
                 std=(0.5,) * 3, offset: int = 0):
        self.n, self.size, self.seed, self.offset = n, size, seed, offset
        self.mean = torch.tensor(mean, dtype=torch.float32)[:, None, None]
        self.std = torch.tensor(std, dtype=torch.float32)[:, None, None]
        self.classes = list(CLASSES)

    def __len__(self) -> int:
        return self.n

    def image(self, i: int, size: int | None = None) -> tuple[np.ndarray, int]:
        return render_sample(self.offset + i, size or self.size, self.seed)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        img, label = self.image(i)
        return to_input(img, self.mean, self.std), label


class FolderDataset(torch.utils.data.Dataset):
    """Images in ``root/CLASS/*``, resized to ``size``; classes in sorted order.

    ``part`` picks a deterministic split: every fifth image (by name) is ``"test"``, the rest
    ``"train"``; None keeps them all.
    """

    def __init__(self, root: str | os.PathLike, size: int = 64, mean=(0.5,) * 3,
                 std=(0.5,) * 3, part: str | None = None):
        root = Path(root)
        if not root.is_dir():
            raise SourceError(f"{root}: no such folder")
        self.classes = sorted(p.name for p in root.iterdir() if p.is_dir())
        self.items = [(f, k) for k, c in enumerate(self.classes) for f in sorted(
            (root / c).iterdir()) if f.suffix.lower() in IMAGE_EXTENSIONS]
        if part is not None:
            keep = (lambda i: i % 5 == 4) if part == "test" else (lambda i: i % 5 != 4)
            self.items = [it for i, it in enumerate(self.items) if keep(i)]
        self.root = root
        if len(self.classes) < 2 or not self.items:
            raise SourceError(f"{root}: needs at least two class sub-folders with images")
        self.size = size
        self.mean = torch.tensor(mean, dtype=torch.float32)[:, None, None]
        self.std = torch.tensor(std, dtype=torch.float32)[:, None, None]

    def __len__(self) -> int:
        return len(self.items)

    def image(self, i: int, size: int | None = None) -> tuple[np.ndarray, int]:
        path, label = self.items[i]
        size = size or self.size
        return cv2.resize(load_image(path), (size, size), interpolation=cv2.INTER_AREA), label

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        img, label = self.image(i)
        return to_input(img, self.mean, self.std), label


def to_input(img: np.ndarray, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """(H, W, 3) uint8 -> normalised (C, H, W) float; grey when ``mean`` has one channel."""
    t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float() / 255.0
    if mean.shape[0] == 1:
        t = t.mean(dim=0, keepdim=True)
    return (t - mean) / std
