"""Colour maps as 256-entry RGB lookup tables, defined once: the screen (pyqtgraph's
``setLookupTable``) and the exported files both use these tables, so they agree."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402

# Anchor colours sampled at 9 evenly spaced points of the matplotlib maps of the same name
# (viridis, magma, inferno: van der Walt & Smith; coolwarm: Moreland 2009), interpolated in RGB.
_ANCHORS = {
    "viridis": [(68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
                (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37)],
    "magma": [(0, 0, 4), (28, 16, 68), (79, 18, 123), (129, 37, 129), (181, 54, 122),
              (229, 80, 100), (251, 135, 97), (254, 194, 135), (252, 253, 191)],
    "inferno": [(0, 0, 4), (31, 12, 72), (85, 15, 109), (136, 34, 106), (186, 54, 85),
                (227, 89, 51), (249, 140, 10), (249, 201, 50), (252, 255, 164)],
    "grey": [(0, 0, 0), (255, 255, 255)],
    "coolwarm": [(59, 76, 192), (98, 130, 234), (141, 176, 254), (184, 208, 249),
                 (221, 221, 221), (245, 196, 173), (244, 154, 123), (222, 96, 77), (180, 4, 38)],
}
_DIVERGING = {"coolwarm"}


@dataclass(frozen=True)
class Colormap:
    """A named 256 x 3 uint8 lookup table; ``diverging`` maps want ranges symmetric about 0."""

    name: str
    lut: np.ndarray
    diverging: bool = False
    gamma: float = 1.0

    def with_gamma(self, gamma: float) -> Colormap:
        """The same map with level u shown as the colour of 255 * (u / 255) ** gamma.

        gamma < 1 lifts small values (a monotone display transform, the same for every
        variant, so comparisons stay fair); diverging maps apply it to the distance from the
        middle, keeping zero in the middle.
        """
        if not 0.05 <= gamma <= 5.0:
            raise ValueError(f"gamma must be between 0.05 and 5, got {gamma}")
        base = COLORMAPS[self.name].lut
        u = np.arange(256) / 255.0
        if self.diverging:
            d = 2.0 * u - 1.0
            t = 0.5 + 0.5 * np.sign(d) * np.abs(d) ** gamma
        else:
            t = u ** gamma
        lut = base[np.clip(np.rint(t * 255), 0, 255).astype(np.intp)]
        lut.setflags(write=False)
        return Colormap(self.name, lut, self.diverging, gamma)

    def apply(self, mosaic: np.ndarray) -> np.ndarray:
        """Colour a single-channel uint8 image: (H, W) -> (H, W, 3) RGB uint8.

        Same as ``lut[mosaic]``; OpenCV's table lookup is about 4x faster.
        """
        m = np.ascontiguousarray(mosaic)
        return cv2.LUT(cv2.merge([m, m, m]), self.lut.reshape(1, 256, 3))


def _make(name: str) -> Colormap:
    anchors = np.asarray(_ANCHORS[name], dtype=np.float64)
    xs = np.linspace(0.0, 1.0, len(anchors))
    t = np.linspace(0.0, 1.0, 256)
    lut = np.stack([np.interp(t, xs, anchors[:, c]) for c in range(3)], axis=1)
    lut = np.clip(np.rint(lut), 0, 255).astype(np.uint8)
    lut.setflags(write=False)
    return Colormap(name, lut, name in _DIVERGING)


COLORMAPS: dict[str, Colormap] = {name: _make(name) for name in _ANCHORS}
DEFAULT_COLORMAP = "viridis"


def colormap(name: str, gamma: float = 1.0) -> Colormap:
    """The colour map called ``name`` (with a display ``gamma``); ValueError if unknown."""
    try:
        cmap = COLORMAPS[name]
    except KeyError:
        raise ValueError(f"unknown colour map {name!r} (known: {', '.join(COLORMAPS)})") from None
    return cmap if gamma == 1.0 else cmap.with_gamma(gamma)


# One colour per variant, the same in the window and in the figures of ``ask``: readable on
# dark and light backgrounds and apart for the common colour-vision deficiencies (Okabe-Ito
# hues, lightened).
VARIANT_COLORS = {
    "max": (230, 120, 60),      # orange
    "avg": (240, 228, 66),      # yellow
    "stride": (86, 180, 233),   # sky blue
    "blur": (60, 200, 150),     # bluish green
    "learned": (220, 130, 190),  # reddish purple
    "plain": (200, 200, 200),   # grey
}
SPARE_COLORS = ((160, 160, 255), (255, 160, 160), (160, 255, 160), (255, 200, 120))


def variant_color(variant: str, order: tuple[str, ...] = ()) -> tuple[int, int, int]:
    """The RGB colour of ``variant`` (an unknown name takes a spare by its place in ``order``)."""
    if variant in VARIANT_COLORS:
        return VARIANT_COLORS[variant]
    i = order.index(variant) if variant in order else sum(map(ord, variant))
    return SPARE_COLORS[i % len(SPARE_COLORS)]
