"""The labelled side-by-side sheet: rows are layers, columns are variants, the input beside them.

Each row is scaled to one common height (nearest-neighbour when enlarging, so pixels stay
crisp; area-average when shrinking), so a VGG-16 sheet stays a sensible size. Colours come from
the same lookup tables as the screen.
"""

from __future__ import annotations

import os

import numpy as np

from engine.display.colormaps import Colormap

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402

BG = (32, 32, 36)
FG = (235, 235, 235)
DIM = (160, 160, 170)
FONT = cv2.FONT_HERSHEY_SIMPLEX
PAD = 8
LABEL_W = 230


def _text(img: np.ndarray, text: str, x: int, y: int, scale: float = 0.45,
          color=FG, thickness: int = 1) -> None:
    cv2.putText(img, text, (x, y), FONT, scale, color, thickness, cv2.LINE_AA)


def _fit_height(img: np.ndarray, height: int) -> np.ndarray:
    h, w = img.shape[:2]
    new_w = max(1, round(w * height / h))
    interp = cv2.INTER_NEAREST if height >= h else cv2.INTER_AREA
    return cv2.resize(img, (new_w, height), interpolation=interp)


def _fit_box(img: np.ndarray, box: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = box / max(h, w)
    interp = cv2.INTER_NEAREST if s >= 1 else cv2.INTER_AREA
    return cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=interp)


def shape_lines(shapes: dict[str, tuple[int, ...]]) -> list[str]:
    """A row's real map shapes: one line if every variant's is the same, else one line per
    shape naming its variants (``none`` keeps full resolution; every cell is drawn the same
    height whatever its shape)."""
    by: dict[tuple, list[str]] = {}
    for v, s in shapes.items():
        by.setdefault(tuple(s), []).append(v)
    if len(by) == 1:
        return ["x".join(str(n) for n in next(iter(by)))]
    return [f"{'x'.join(str(n) for n in s)}: {', '.join(vs)}" for s, vs in by.items()]


def make_sheet(result, cmap: Colormap, title: str = "", row_height: int = 160) -> np.ndarray:
    """Render a :class:`engine.engine.FrameResult` as one RGB uint8 image.

    Parameters
    ----------
    result : FrameResult
        The processed frame (mosaics, shapes, ranges, predictions).
    cmap : Colormap
        Colour map applied to every mosaic.
    title : str
        First line of the sheet (model, source, frame ...).
    row_height : int
        Height every row is scaled to.

    Rows without mosaics in ``result`` (off the window's screen) are left out.
    """
    variants = result.variants
    layers = [ly for ly in result.layers if all(ly in result.views[v] for v in variants)]
    cells = {(v, ly): _fit_height(cmap.apply(result.mosaic(v, ly)), row_height)
             for v in variants for ly in layers}
    col_w = {v: max(cells[(v, ly)].shape[1] for ly in layers) for v in variants}
    input_img = _fit_box(result.input_image if result.input_image.ndim == 3 else
                         np.repeat(result.input_image[..., None], 3, axis=2), row_height)
    input_w = input_img.shape[1]
    header_h, footer_h, title_h = 28, 22 * (1 + bool(result.predictions)), 30
    width = LABEL_W + PAD + input_w + PAD + sum(col_w[v] + PAD for v in variants) + PAD
    height = title_h + header_h + len(layers) * (row_height + PAD) + footer_h + 34
    sheet = np.empty((height, width, 3), np.uint8)
    sheet[:] = BG
    _text(sheet, title, PAD, 20, 0.55)

    x0 = LABEL_W + PAD
    xs, x = {}, x0 + input_w + PAD
    for v in variants:
        xs[v] = x
        x += col_w[v] + PAD
    y = title_h + header_h
    _text(sheet, "input", x0, y - 8, 0.5)
    for v in variants:
        _text(sheet, v, xs[v], y - 8, 0.55)
    sheet[y:y + input_img.shape[0], x0:x0 + input_w] = input_img

    for ly in layers:
        lines = shape_lines({v: result.views[v][ly].shape for v in variants})
        _text(sheet, ly, PAD, y + 18, 0.5)
        for i, line in enumerate(lines):
            _text(sheet, line, PAD, y + 38 + 18 * i, 0.42, DIM)
        lo, hi = min(result.views[v][ly].lo for v in variants), max(
            result.views[v][ly].hi for v in variants)
        _text(sheet, f"range {lo:.3g} .. {hi:.3g}", PAD, y + 38 + 18 * len(lines), 0.42, DIM)
        for v in variants:
            c = cells[(v, ly)]
            sheet[y:y + c.shape[0], xs[v]:xs[v] + c.shape[1]] = c
        y += row_height + PAD

    if result.predictions:
        _text(sheet, "top-1", PAD, y + 16, 0.45, DIM)
        for v in variants:
            preds = result.predictions.get(v)
            if preds:
                p = preds[0]
                room = max(4, col_w[v] // 8 - 5)      # never into the next column
                label = p.label if len(p.label) <= room else p.label[:room - 1] + "~"
                _text(sheet, f"{label} {p.prob:.2f}", xs[v], y + 16, 0.4)
        y += 22
    # colour bar: the lookup table with its ends labelled
    bar_w = min(256, width - 2 * PAD - 200)
    bar = np.repeat(cmap.lut[np.linspace(0, 255, bar_w).astype(np.uint8)][None], 12, axis=0)
    x0 = PAD + 200
    sheet[y + 8:y + 20, x0:x0 + bar_w] = bar
    _text(sheet, f"{cmap.name}, {result.norm}", PAD, y + 19, 0.4, DIM)
    _text(sheet, "low", x0 - 30, y + 19, 0.4, DIM)
    _text(sheet, "high", x0 + bar_w + 6, y + 19, 0.4, DIM)
    return sheet
