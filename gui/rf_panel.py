"""The "Receptive field" tab: the effective receptive field of the selected unit, per variant.

A click on a mosaic selects the unit under it (its row, channel and position). The input view
outlines its theoretical receptive field for every variant; here each variant's effective
receptive field (the running mean of |d unit / d input| over the frames since the click,
Luo et al. 2016) is shown as a heat map, each scaled to its own peak, with the theoretical box
on top (framed with a margin of half its size). A unit whose ReLU is off has no gradient:
it says so instead of showing a blank.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from engine import colormap
from gui.colors import TEXT, hex_color, pen
from gui.plots import canvas_below

HINT = ("Click a unit in any mosaic: its theoretical receptive field is outlined on the input "
        "for every variant, and its effective receptive field (mean |∂unit/∂input| over the "
        "frames since the click, each map scaled to its own peak) appears here.")
INACTIVE = "inactive unit (no gradient)"


class RFPanel(QWidget):
    """ERF heat maps of the selected unit; ``clear_requested()`` deselects it."""

    clear_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel(HINT)
        self.title.setWordWrap(True)
        self.clear = QPushButton("Clear selection")
        self.clear.clicked.connect(self.clear_requested)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.clear)
        self.canvas = canvas_below(self, top)
        self._lut = colormap("inferno").lut
        self.variants: tuple[str, ...] = ()
        self.images: dict[str, pg.ImageItem] = {}
        self.boxes: dict[str, pg.ViewBox] = {}
        self.rf_items: dict[str, QGraphicsRectItem] = {}
        self.captions: dict[str, pg.LabelItem] = {}
        self.erf: dict[str, np.ndarray] = {}   # variant -> the float map shown
        self._shown_erf = None
        self._shown_unit = None
        self._shown_boxes = None
        self.separately_trained = False

    def set_layout(self, variants) -> None:
        self.variants = tuple(variants)
        self.canvas.clear()
        self.images.clear()
        self.boxes.clear()
        self.rf_items.clear()
        self.captions.clear()
        self.erf.clear()
        self._shown_erf = self._shown_unit = self._shown_boxes = None
        for i, v in enumerate(self.variants):
            self.canvas.addLabel(f"<b>{v}</b>", row=0, col=i, color=hex_color(v, self.variants),
                                 size="12pt")
            box = self.canvas.addViewBox(row=1, col=i, lockAspect=True, invertY=True,
                                         enableMenu=False)
            box.setMouseEnabled(False, False)
            img = pg.ImageItem(axisOrder="row-major")
            img.setLookupTable(self._lut)
            box.addItem(img)
            rect = QGraphicsRectItem()
            rect.setPen(pen(v, 2, self.variants))
            rect.hide()
            box.addItem(rect)
            self.captions[v] = self.canvas.addLabel("", row=2, col=i, color=TEXT, size="10pt")
            self.images[v], self.boxes[v], self.rf_items[v] = img, box, rect
        self.title.setText(HINT)

    def show_views(self, views) -> None:
        """Show a :class:`gui.live_probes.ProbeViews` (only what changed is redrawn)."""
        unit = views.unit if views is not None else None
        if unit != self._shown_unit:
            self._shown_unit = unit
            self._shown_erf = self._shown_boxes = None
            if unit is None:
                self.title.setText(HINT)
                for v in self.variants:
                    self.images[v].clear()
                    self.rf_items[v].hide()
                    self.captions[v].setText("")
                self.erf.clear()
                return
            variant, layer, ch, y, x = unit
            caveat = (" Trained separately: channel {ch} is a different feature in each "
                      "variant." if self.separately_trained else "")
            self.title.setText(f"Effective receptive field of {layer} channel {ch} at "
                               f"(y {y}, x {x}), clicked in {variant}; boxes: the theoretical "
                               "receptive field." + caveat.format(ch=ch))
        if unit is None:
            return
        if views.rf_boxes is not None and views.rf_boxes is not self._shown_boxes:
            self._shown_boxes = views.rf_boxes
            for v, b in views.rf_boxes.items():
                item = self.rf_items.get(v)
                if item is not None and b is not None:
                    top, left, bottom, right = b
                    item.setRect(QRectF(left, top, right - left + 1, bottom - top + 1))
                    item.show()
                    self._fit(v)
        if views.erf is None or views.erf is self._shown_erf:
            return
        self._shown_erf = views.erf
        for v, g in views.erf.items():
            img = self.images.get(v)
            if img is None:
                continue
            self.erf[v] = g
            peak = float(np.nanmax(g)) if g.size else 0.0
            first = img.image is None or img.image.shape != g.shape
            if peak > 0:
                u = np.clip(np.rint(g * (255.0 / peak)), 0, 255).astype(np.uint8)
                img.setImage(u, autoLevels=False, levels=(0, 255))
                self.captions[v].setText(f"peak {peak:.3g} · {views.erf_frames} frame"
                                         f"{'s' if views.erf_frames != 1 else ''}")
            else:
                img.setImage(np.zeros(g.shape, np.uint8), autoLevels=False, levels=(0, 255))
                self.captions[v].setText(INACTIVE)
            if first:
                self._fit(v)

    def _fit(self, v: str) -> None:
        """Frame the theoretical box with a margin of half its size (the whole map before the
        box is known): the effective field lies inside it, mostly near the centre."""
        img, item = self.images[v], self.rf_items[v]
        if item.isVisible():
            r = item.rect()
            m = max(4.0, 0.5 * max(r.width(), r.height()))
            rect = r.adjusted(-m, -m, m, m)
        elif img.image is not None:
            rect = QRectF(0, 0, img.image.shape[1], img.image.shape[0])
        else:
            return
        self.boxes[v].setRange(rect, padding=0)
