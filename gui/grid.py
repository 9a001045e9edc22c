"""The feature-map grid: rows are layers, columns are variants, all in one zoomable canvas.

One :class:`gui.lut_image.LutImage` per (layer, variant), given the engine's uint8 mosaics and
its 256-entry lookup table (the same table the exported files use), which Qt applies while it
paints, so only the cells on screen are ever coloured; each row is scaled
to a common height so a deep network stays legible, and the whole grid pans and zooms (wheel,
drag) instead of shrinking to nothing.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSimpleTextItem

from engine import GAP, grid_for
from gui.lut_image import LutImage
from gui.plots import repaint_as_one

ROW_H = 160.0
COL_GAP = 12.0
ROW_GAP = 16.0
LABEL_W = 190.0
HEADER_H = 50.0
MIN_ROW_PX = 60.0    # rows are never fitted smaller than this on screen; the grid scrolls
BAND_GAP = 40.0      # between bands of rows laid side by side
PRED_CHAR = 7.5      # scene units per character of a 13-px prediction label


class MosaicItem(LutImage):
    """A mosaic image that knows which layer and variant it shows, for clicks and hover."""

    def __init__(self, grid: FeatureGrid, variant: str, layer: str):
        super().__init__()
        self.grid, self.variant, self.layer = grid, variant, layer
        self.view_info = None  # engine LayerView of the image shown
        self.cell = QRectF()   # where the mosaic goes in the canvas, whatever its resolution
        self.setAcceptHoverEvents(True)

    def channel_at(self, x: float, y: float) -> tuple[int, int, int] | None:
        """(channel, row, col) in the map under image pixel (x, y), or None on a gutter."""
        v = self.view_info
        if v is None:
            return None
        c, h, w = v.shape
        th, tw = max(1, h // v.shrink), max(1, w // v.shrink)
        rows, cols = grid_for(c)
        gx, gy = int(x // (tw + GAP)), int(y // (th + GAP))
        px, py = int(x - gx * (tw + GAP)), int(y - gy * (th + GAP))
        k = gy * cols + gx
        if not (0 <= gx < cols and 0 <= gy < rows and k < c and 0 <= px < tw and 0 <= py < th):
            return None
        return k, py * v.shrink, px * v.shrink

    def mouseClickEvent(self, ev):  # noqa: N802 - Qt API
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        hit = self.channel_at(ev.pos().x(), ev.pos().y())
        if hit is not None:
            ev.accept()
            self.grid.channel_clicked.emit(self.layer, self.variant, hit[0])
            self.grid.unit_clicked.emit(self.layer, self.variant, *hit)

    def hoverEvent(self, ev):  # noqa: N802 - Qt API
        if ev.isExit() or self.image is None:
            self.grid.hovered.emit("")
            return
        x, y = ev.pos().x(), ev.pos().y()
        hit = self.channel_at(x, y)
        if hit is None:
            self.grid.hovered.emit("")
            return
        v = self.view_info
        u = int(v.mosaic[int(y), int(x)])
        value = v.lo + (v.hi - v.lo) * u / 255.0
        self.grid.hovered.emit(f"{self.layer} · {self.variant} · channel {hit[0]} · "
                               f"y {hit[1]} x {hit[2]} · ≈ {value:.4g} "
                               "(click: zoom, and its receptive field)")


class FeatureGrid(pg.GraphicsLayoutWidget):
    """The grid of mosaics. ``channel_clicked(layer, variant, channel)``, ``hovered(text)``,
    ``unit_clicked(layer, variant, channel, y, x)`` (the unit under a click, in map pixels)."""

    channel_clicked = Signal(str, str, int)
    unit_clicked = Signal(str, str, int, int, int)
    hovered = Signal(str)
    # the mosaic side (px) worth computing at the current zoom, and the rows on screen
    viewport_changed = Signal(int, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        repaint_as_one(self)   # a new frame changes every cell
        self.setBackground((24, 24, 28))
        self.view = self.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.view.setMouseEnabled(True, True)
        self.view.disableAutoRange()
        self.cells: dict[tuple[str, str], MosaicItem] = {}
        self.range_labels: dict[str, QGraphicsSimpleTextItem] = {}
        self.prediction_labels: dict[str, QGraphicsSimpleTextItem] = {}
        self.captions: dict[tuple[str, str], QGraphicsSimpleTextItem] = {}
        self._static: list = []
        self.variants: tuple[str, ...] = ()
        self.layers: tuple[str, ...] = ()
        self._extent = QRectF(0, 0, 1, 1)
        self.resolution = 0
        self.rows_on_screen: tuple[str, ...] = ()
        self.lut = None  # the lookup table the shown mosaics were made for
        self._result = None  # the newest result shown (for cells scrolled onto the screen)
        self._layout: tuple = ({}, {}, {}, {})  # what set_layout was given, to lay out again
        self.bands = 0       # rows are laid out in this many bands side by side
        self._col_w: dict[str, float] = {}  # scene width of each column, for its labels
        self.view.sigRangeChanged.connect(self._range_changed)

    def _range_changed(self, *_):
        """Fill the cells that came on screen; ask for mosaics of the rows on screen, as large
        as they are drawn (the longest side of a cell on screen, in steps of 32 px, 64-1024)."""
        if self._result is not None:
            self.show_result(self._result, self.lut)
        rect = self.view.mapViewToDevice(QRectF(0, 0, ROW_H, ROW_H))
        if rect is None:
            return
        px = rect.boundingRect().height() * self.devicePixelRatioF()
        seen = self.view.viewRect()
        on = [(ly, item) for (_, ly), item in self.cells.items() if item.cell.intersects(seen)]
        aspect = max((max(1.0, it.cell.width() / it.cell.height()) for _, it in on), default=1)
        side = int(min(1024, max(64, 32 * -(-px * aspect // 32))))
        names = {ly for ly, _ in on}
        rows = tuple(ly for ly in self.layers if ly in names)
        if (side, rows) != (self.resolution, self.rows_on_screen):
            self.resolution, self.rows_on_screen = side, rows
            self.viewport_changed.emit(side, rows)

    def set_layout(self, variants, layers, shapes: dict, mosaic_shapes: dict,
                   titles: dict | None = None, captions: dict | None = None) -> None:
        """Lay out rows and columns. ``mosaic_shapes[(variant, layer)]`` is (H, W) shown.

        Every map of a row is drawn at the same height, whatever its resolution, so its tiles
        line up by input position across the columns; ``captions[(variant, layer)]`` is said
        under that map (a stride folded into its conv, which made it smaller). When the grid
        is wider than tall the rows flow into bands side by side (:meth:`fit` picks how many),
        so every row is on screen at once and the cells use the width.
        """
        self.variants, self.layers = tuple(variants), tuple(layers)
        self._layout = (shapes, mosaic_shapes, titles or {}, captions or {})
        self._result = None  # made for the layout before
        self.bands = 0
        self._place(1)
        self.fit()

    def _place(self, bands: int) -> None:
        """Build the items with the rows in ``bands`` groups side by side."""
        shapes, mosaic_shapes, titles, captions = self._layout
        variants, layers = self.variants, self.layers
        for item in list(self.cells.values()) + self._static:
            self.view.removeItem(item)
        self.cells.clear()
        self.range_labels.clear()
        self.prediction_labels.clear()
        self.captions.clear()
        self._static = []
        self.bands = bands
        widths = {v: max((ROW_H * mosaic_shapes[(v, ly)][1] / mosaic_shapes[(v, ly)][0])
                         for ly in layers) for v in variants} if layers else {}
        self._col_w = {v: w + COL_GAP for v, w in widths.items()}
        band_w = LABEL_W + sum(widths[v] + COL_GAP for v in variants) + BAND_GAP
        per_band = -(-len(layers) // bands) if layers else 0
        x_end = LABEL_W + 10
        y_end = HEADER_H + 10
        for b in range(bands):
            x0 = b * band_w
            x = x0 + LABEL_W
            xs = {}
            for v in variants:
                xs[v] = x
                title = titles.get(v, v)
                self._text(title, x, 2, size=24 if title == v else 16, bold=True)
                if b == 0:
                    self.prediction_labels[v] = self._text("", x, 30, size=13,
                                                           color=(200, 220, 160))
                x += widths[v] + COL_GAP
            x_end = max(x_end, x)
            y = HEADER_H
            for ly in layers[b * per_band:(b + 1) * per_band]:
                self._row_labels(ly, x0, y, shapes)
                for v in variants:
                    mh, mw = mosaic_shapes[(v, ly)]
                    item = MosaicItem(self, v, ly)
                    item.setImage(np.zeros((mh, mw), np.uint8), self.lut)
                    item.cell = QRectF(xs[v], y, ROW_H * mw / mh, ROW_H)
                    item.setRect(item.cell)
                    self.view.addItem(item)
                    self.cells[(v, ly)] = item
                    caption = captions.get((v, ly))
                    if caption:
                        self.captions[(v, ly)] = self._text(caption, xs[v], y + ROW_H, size=12,
                                                            color=(230, 200, 120))
                y += ROW_H + ROW_GAP
            y_end = max(y_end, y)
        self._extent = QRectF(0, 0, x_end, y_end)
        if self._result is not None:
            self.show_result(self._result, self.lut)

    def _row_labels(self, ly: str, x0: float, y: float, shapes: dict) -> None:
        dims = {v: "x".join(str(s) for s in shapes.get((v, ly), ())) for v in self.variants}
        first = dims[self.variants[0]]
        others = [f"{v}: {d}" for v, d in dims.items() if d != first]
        self._text(ly, x0, y + 2, size=22, bold=True)
        self._text(first, x0, y + 34, size=17, color=(185, 185, 195))
        if others:
            self._text(", ".join(others), x0, y + 58, size=14, color=(150, 150, 160))
        self.range_labels[ly] = self._text("", x0, y + 84, size=14, color=(150, 150, 160))

    def _text(self, text, x, y, size=14, bold=False, color=(235, 235, 235)):
        """A label in scene units, so it scales with the mosaics when zooming.

        Each label is kept as a pixmap at the view's zoom (redrawn when its text or the zoom
        changes): drawing its glyphs again on every repaint cost 40% of the grid's time a
        frame (a new frame shown and painted: 2.1 ms, 1.2 with the pixmaps, for tiny at 64x64
        with 44 labels, offscreen at 1920x1080)."""
        item = QGraphicsSimpleTextItem(text)
        font = QFont()
        font.setPixelSize(int(size))
        font.setBold(bold)
        item.setFont(font)
        item.setBrush(QBrush(QColor(*color)))
        item.setPos(x, y)
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.view.addItem(item)
        self._static.append(item)
        return item

    def fit(self) -> None:
        """Show every row and column, in as many bands as make the cells largest; only when
        rows would get too small to read does the grid scroll instead."""
        if not self.layers:
            return
        vb = self.view.geometry()
        vw, vh = max(1.0, vb.width()), max(1.0, vb.height())
        best = max(range(1, len(self.layers) + 1), key=lambda k: (self._scale(k, vw, vh), -k))
        if best != self.bands:
            self._place(best)
        r = self._extent
        scale = min(vw / r.width(), vh / r.height())
        min_scale = MIN_ROW_PX / (ROW_H + ROW_GAP)
        if scale < min_scale:
            scale = min(vw / r.width(), min_scale)
        self.view.setRange(QRectF(r.x(), r.y(), vw / scale, vh / scale), padding=0)

    def _scale(self, bands: int, vw: float, vh: float) -> float:
        """How large the grid can be drawn (view px per scene unit) in ``bands`` bands."""
        _, mosaic_shapes, _, _ = self._layout
        widths = sum(max(ROW_H * mosaic_shapes[(v, ly)][1] / mosaic_shapes[(v, ly)][0]
                         for ly in self.layers) + COL_GAP for v in self.variants)
        w = bands * (LABEL_W + widths + BAND_GAP) - BAND_GAP
        h = HEADER_H + -(-len(self.layers) // bands) * (ROW_H + ROW_GAP)
        return min(vw / w, vh / h)

    def resizeEvent(self, ev):  # noqa: N802 - Qt API
        super().resizeEvent(ev)
        if getattr(self, "cells", None):
            self.fit()

    def show_result(self, result, lut: np.ndarray) -> None:
        """Hand each finished uint8 mosaic to its cell (the only per-frame GUI work).

        ``lut`` is the (256, 3) lookup table the engine made the mosaics for.
        """
        self.lut, self._result = lut, result
        seen = self.view.viewRect()
        for (v, ly), item in self.cells.items():
            view = result.views.get(v, {}).get(ly)
            if view is None:
                continue
            item.view_info = view
            if item.cell.intersects(seen):  # off screen: filled when scrolled to (_range_changed)
                item.setImage(view.mosaic, lut)  # keeps the cell's place at any resolution
        for v, label in self.prediction_labels.items():
            preds = result.predictions.get(v)
            text = f"top-1: {preds[0].label} {preds[0].prob:.2f}" if preds else ""
            room = int(self._col_w.get(v, ROW_H) / PRED_CHAR)   # never into the next column
            label.setText(text if len(text) <= room else text[:room - 1] + "…")
            label.setToolTip(text)
        for ly, label in self.range_labels.items():
            views = [result.views[v][ly] for v in result.variants if ly in result.views[v]]
            if views:
                lo, hi = min(w.lo for w in views), max(w.hi for w in views)
                label.setText(f"{result.norm} range\n{lo:.3g} … {hi:.3g}")
