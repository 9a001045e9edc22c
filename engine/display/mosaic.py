"""Turn one layer's (C, H, W) maps, one per variant, into single-channel uint8 mosaics.

All channels of a map are tiled into one near-square image (1-pixel gaps). Normalisation:

* ``shared``: one range per layer across all variants, so brightness compares fairly;
* ``layer``: one range per layer per variant;
* ``channel``: each channel of each variant stretched to its own min-max.

With a diverging colour map ranges are symmetric about zero. Constant channels map to 0 (the
middle for symmetric ranges); NaN and inf become 0, never anything outside 0..255.

Ranges are found first (per channel, per variant, then combined as the mode says); then each
map is converted once with its final range, so every variant's pixels are exact. On the CPU the
maps already live in host memory and OpenCV's vectorised reductions and conversions work on a
2-D view of them (no float copies; several times faster than the same torch ops on
channels-last maps, measured); on a GPU the same steps are torch ops on the device and only the
uint8 tiles leave it. ``max_side`` shrinks each map by a whole factor (area average) so its
mosaic fits that many pixels: for the live display, where a mosaic is never shown larger than a
screen cell. On the CPU a channels-last map is shrunk before the conversion (one OpenCV resize
of a many-channel image, 30% cheaper than converting all of it first), a channels-first one
after it; the ranges are always the map's own, at native resolution. (A NaN or inf in a
channels-last map spreads to its block there: the block shows 0, or 255 for inf.)
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402

NORM_MODES = ("shared", "layer", "channel")
GAP = 1  # pixels between tiles
CV_CHANNELS = 128  # the most channels an OpenCV image has (CV_CN_MAX: 128 in OpenCV 5, was 512)


@dataclass(frozen=True)
class Tiled:
    """One variant's finished mosaic of one layer, on the host."""

    image: np.ndarray   # (H, W) uint8
    lo: float           # the value shown as 0 (smallest over channels)
    hi: float           # the value shown as 255 (largest over channels)
    shrink: int = 1     # each tile is the map shrunk by this factor


@dataclass
class _Prepared:
    """A map in the backend's working form, and its own range (scalar or per channel)."""

    data: object
    shape: tuple[int, int, int]
    lo: np.ndarray
    hi: np.ndarray
    shrink: int


@functools.lru_cache(maxsize=1024)
def grid_for(channels: int) -> tuple[int, int]:
    """(rows, cols) of the near-square grid that holds ``channels`` tiles."""
    cols = max(1, math.ceil(math.sqrt(channels)))
    return math.ceil(channels / cols), cols


def mosaic_size(shape: tuple[int, ...], shrink: int = 1, gap: int = GAP) -> tuple[int, int]:
    """(height, width) of the mosaic of a (C, H, W) map whose tiles are shrunk by ``shrink``."""
    c, h, w = shape
    rows, cols = grid_for(c)
    h, w = max(1, h // shrink), max(1, w // shrink)
    return rows * (h + gap) - gap, cols * (w + gap) - gap


@functools.lru_cache(maxsize=1024)
def shrink_for(shape: tuple[int, ...], max_side: int | None) -> int:
    """The smallest whole factor that makes the mosaic of ``shape`` fit in ``max_side``."""
    f = 1
    while max_side and max(mosaic_size(shape, f)) > max_side and min(shape[1:]) >= f + 1:
        f += 1
    return f


def shrink(x: torch.Tensor, f: int) -> torch.Tensor:
    """Area-average a (C, H, W) map by the whole factor ``f`` (edges cropped to a multiple)."""
    if f == 1:
        return x
    return F.avg_pool2d(x[None], f)[0]  # fast on channels-last maps (measured)


def layer_mosaics(maps: dict[str, torch.Tensor], mode: str = "shared", symmetric: bool = False,
                  max_side: int | None = None, backend: str = "auto") -> dict[str, Tiled]:
    """Mosaics of one layer in every variant.

    Parameters
    ----------
    maps : dict
        Variant name -> (C, H, W) float map (all on one device).
    mode : {"shared", "layer", "channel"}
        Normalisation (see the module docstring).
    symmetric : bool
        Ranges symmetric about zero (for diverging colour maps).
    max_side : int, optional
        Shrink maps so no mosaic side exceeds this; None keeps native resolution.
    backend : {"auto", "cpu", "torch"}
        ``auto`` takes OpenCV for CPU tensors and torch ops on other devices.
    """
    if mode not in NORM_MODES:
        raise ValueError(f"unknown normalisation {mode!r} (known: {', '.join(NORM_MODES)})")
    prepared = {}
    for v, x in maps.items():
        f = shrink_for(tuple(x.shape), max_side)
        x = x.float() if x.dtype != torch.float32 else x
        impl = _Torch if backend == "torch" or not x.is_cpu else _Cpu
        prepared[v] = impl.prepare(x, mode == "channel", f)
    if mode == "shared":   # (ranges are scalars unless per channel)
        ends = [_ends(p.lo, p.hi) for p in prepared.values()]
        lo, hi = np.float64(min(e[0] for e in ends)), np.float64(max(e[1] for e in ends))
        for p in prepared.values():
            p.lo, p.hi = lo, hi
    out = {}
    for v, p in prepared.items():
        lo, hi = (p.lo, p.hi) if not symmetric else _symmetric(p.lo, p.hi)
        scale, offset = _affine(lo, hi, symmetric)
        impl = _Cpu if isinstance(p.data, tuple) else _Torch
        tiles = impl.convert(p, scale, offset)
        out[v] = Tiled(tile(tiles), *_ends(lo, hi), p.shrink)
    return out


def _ends(lo, hi) -> tuple[float, float]:
    """The smallest ``lo`` and the largest ``hi`` of a range (scalars, or one per channel)."""
    if np.ndim(lo) == 0:
        return float(lo), float(hi)
    return float(lo.min()), float(hi.max())


def tile(tiles: np.ndarray, gap: int = GAP, fill: int = 0) -> np.ndarray:
    """Lay (C, h, w) uint8 tiles out on a near-square grid with ``gap``-pixel gutters."""
    c, h, w = tiles.shape
    if c == 0:
        return np.zeros((0, 0), np.uint8)
    rows, cols = grid_for(c)
    # the mosaic itself, contiguous (it crosses to the window as one buffer:
    # engine.session.shared), and a (rows, h, cols, w) view of its tiles' pixels in it
    out = np.zeros((rows * (h + gap) - gap, cols * (w + gap) - gap), dtype=np.uint8)
    if fill:
        out.fill(fill)
    width = out.shape[1]
    grid = np.ndarray((rows, h, cols, w), np.uint8, out, 0,
                      ((h + gap) * width, width, w + gap, 1))
    full = c // cols
    if full:
        grid[:full] = tiles[: full * cols].reshape(full, cols, h, w).transpose(0, 2, 1, 3)
    rest = c - full * cols
    if rest:
        grid[full, :, :rest] = tiles[full * cols:].transpose(1, 0, 2)
    return out


def _affine(lo, hi, symmetric: bool):
    """Scale and offset (scalar or per channel) mapping lo -> 0 and hi -> 255."""
    if np.ndim(lo) == 0:
        lo, hi = float(lo), float(hi)
        if hi - lo > 1e-12:
            scale = 255.0 / (hi - lo)
            return np.float64(scale), np.float64(-lo * scale)
        return np.float64(0.0), np.float64(128.0 if symmetric else 0.0)
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    width = hi - lo
    ok = width > 1e-12
    scale = np.where(ok, 255.0 / np.where(ok, width, 1.0), 0.0)
    return scale, np.where(ok, -lo * scale, 128.0 if symmetric else 0.0)


def _symmetric(lo, hi):
    m = np.maximum(np.abs(lo), np.abs(hi))
    return -m, m


class _Cpu:
    """Maps in host memory: OpenCV on a 2-D view of the map's own memory."""

    @staticmethod
    def prepare(x: torch.Tensor, per_channel: bool, f: int) -> _Prepared:
        c, h, w = x.shape
        hwc = x.permute(1, 2, 0)
        if hwc.is_contiguous():  # channels-last: rows are pixels, columns are channels
            layout, a = "hwc", hwc.numpy().reshape(h * w, c)
        else:
            layout, a = "chw", x.contiguous().numpy().reshape(c, h * w)
        axis = 0 if layout == "hwc" else 1
        if per_channel:
            lo = cv2.reduce(a, axis, cv2.REDUCE_MIN).ravel().astype(np.float64)
            hi = cv2.reduce(a, axis, cv2.REDUCE_MAX).ravel().astype(np.float64)
        else:
            lo, hi, _, _ = cv2.minMaxLoc(a)
            if math.isfinite(lo) and math.isfinite(hi):
                return _Prepared((layout, a), (c, h, w), np.float64(lo), np.float64(hi), f)
            lo, hi = np.float64(lo), np.float64(hi)
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            lo, hi = _finite_ranges(a, axis, per_channel)
        return _Prepared((layout, a), (c, h, w), lo, hi, f)

    @staticmethod
    def convert(p: _Prepared, scale: np.ndarray, offset: np.ndarray) -> np.ndarray:
        (layout, a), (c, h, w) = p.data, p.shape
        f = p.shrink
        if f > 1 and layout == "hwc" and c <= CV_CHANNELS:
            # channels-last: shrink the float map first, as one image of c channels (each
            # pixel block-averaged within its own channel), then convert only what is left
            h, w = h // f, w // f
            a = cv2.resize(a.reshape(p.shape[1], p.shape[2], c)[: h * f, : w * f], (w, h),
                           interpolation=cv2.INTER_AREA).reshape(h * w, c)
            p = _Prepared((layout, a), (c, h, w), p.lo, p.hi, 1)
        if scale.ndim == 0:  # one pass: saturate(round(|a * scale + offset|)), NaN -> 0
            u = cv2.convertScaleAbs(a, alpha=float(scale), beta=float(offset))
        else:
            s, o = (scale[None], offset[None]) if layout == "hwc" else (scale[:, None],
                                                                       offset[:, None])
            with np.errstate(invalid="ignore", over="ignore"):
                y = np.rint(a * s + o)
            u = np.clip(np.where(np.isfinite(y), y, 0.0), 0, 255).astype(np.uint8)
        t = cv2.transpose(u) if layout == "hwc" else u
        f = p.shrink
        if f > 1:  # channels-first (or too many channels): block-average the uint8 tiles
            h2, w2 = h // f, w // f
            t = np.ascontiguousarray(t.reshape(c, h, w)[:, : h2 * f, : w2 * f])
            t = cv2.resize(t.reshape(c * h2 * f, w2 * f), (w2, c * h2),
                           interpolation=cv2.INTER_AREA)
            h, w = h2, w2
        return t.reshape(c, h, w)


class _Torch:
    """Maps on a GPU (or any non-CPU device): torch ops on the device."""

    @staticmethod
    def prepare(x: torch.Tensor, per_channel: bool, f: int) -> _Prepared:
        x = shrink(x, f)
        lo, hi = x.amin(dim=(1, 2)), x.amax(dim=(1, 2))
        if not bool(torch.isfinite(lo).all() & torch.isfinite(hi).all()):
            finite = torch.isfinite(x)
            lo = torch.where(finite, x, torch.inf).amin(dim=(1, 2))
            hi = torch.where(finite, x, -torch.inf).amax(dim=(1, 2))
            empty = lo > hi
            lo, hi = lo.masked_fill(empty, 0.0), hi.masked_fill(empty, 0.0)
        lo, hi = lo.double().cpu().numpy(), hi.double().cpu().numpy()
        if not per_channel:
            lo, hi = np.float64(lo.min()), np.float64(hi.max())
        return _Prepared(x, tuple(x.shape), lo, hi, f)

    @staticmethod
    def convert(p: _Prepared, scale: np.ndarray, offset: np.ndarray) -> np.ndarray:
        x = p.data
        c = x.shape[0]
        s = torch.as_tensor(np.broadcast_to(scale, (c,)).copy(), dtype=x.dtype, device=x.device)
        o = torch.as_tensor(np.broadcast_to(offset, (c,)).copy(), dtype=x.dtype, device=x.device)
        y = torch.round(x * s[:, None, None] + o[:, None, None])
        y = torch.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0).clamp_(0.0, 255.0)
        return y.to(torch.uint8).cpu().numpy()


def _finite_ranges(a: np.ndarray, axis: int, per_channel: bool):
    finite = np.isfinite(a)
    lo = np.where(finite, a, np.inf).min(axis=axis if per_channel else None)
    hi = np.where(finite, a, -np.inf).max(axis=axis if per_channel else None)
    empty = lo > hi
    return (np.where(empty, 0.0, lo).astype(np.float64),
            np.where(empty, 0.0, hi).astype(np.float64))
