"""From a source frame to the network's input: resize (not crop), then normalise on the device."""

from __future__ import annotations

import os

import numpy as np
import torch

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402


def fit_frame(image: np.ndarray, size: tuple[int, int], channels: int = 3) -> np.ndarray:
    """Resize an RGB uint8 frame to ``size`` (H, W); one channel (grey) if ``channels == 1``.

    Returns the frame as the network sees it: (H, W, 3) RGB or (H, W) grey, uint8.
    """
    h, w = size
    while image.shape[0] >= 2 * h and image.shape[1] >= 2 * w:
        image = cv2.pyrDown(image)  # Gaussian 2x reduction: fast and anti-aliased
    if image.shape[:2] != (h, w):
        shrink = image.shape[0] > h or image.shape[1] > w
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink
                           else cv2.INTER_LINEAR)
    if channels == 1 and image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(image)


class Normaliser:
    """uint8 (H, W[, C]) host image -> normalised float (1, C, H, W) tensor on ``device``."""

    def __init__(self, mean, std, device: torch.device):
        self.device = device
        mean = torch.as_tensor(mean, dtype=torch.float32, device=device)
        std = torch.as_tensor(std, dtype=torch.float32, device=device)
        self.scale = (1.0 / (255.0 * std))[:, None, None]
        self.offset = (-mean / std)[:, None, None]

    def __call__(self, image: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(image).to(self.device, non_blocking=True)
        t = t[None] if t.ndim == 2 else t.permute(2, 0, 1)
        c = self.scale.shape[0]
        if t.shape[0] != c:
            t = t[:1].expand(c, -1, -1) if t.shape[0] == 1 else t[:c]
        return torch.addcmul(self.offset, t.float(), self.scale)[None]
