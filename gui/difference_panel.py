"""The "Difference" tab: the mosaic of |A - B| for two variants at one row, updating live,
beside the two mosaics it compares.

Every channel of the row is tiled as in the grid and coloured with the same colour map; A and B
are shown as the grid shows them, |A - B| over its own range 0 … the largest difference
(given in the caption).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.colors import TEXT
from gui.lut_image import LutImage
from gui.plots import canvas

PANES = ("a", "b", "difference")


class DifferencePanel(QWidget):
    """``request_changed(object)``: (layer, a, b) to follow, or None (A and B the same)."""

    request_changed = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.separately_trained = False  # then a difference mixes features with operators
        self.a, self.b, self.layer = QComboBox(), QComboBox(), QComboBox()
        for combo in (self.a, self.b, self.layer):
            combo.currentIndexChanged.connect(lambda _: self.request_changed.emit(self.key()))
        self.caption = QLabel("")
        top = QHBoxLayout()
        top.addWidget(QLabel("|"))
        top.addWidget(self.a)
        top.addWidget(QLabel("−"))
        top.addWidget(self.b)
        top.addWidget(QLabel("|  at row"))
        top.addWidget(self.layer)
        top.addWidget(self.caption, 1)
        self.canvas = canvas()
        self.views: dict[str, pg.ViewBox] = {}
        self.images: dict[str, LutImage] = {}
        self.labels: dict[str, pg.LabelItem] = {}
        for col, pane in enumerate(PANES):
            self.labels[pane] = self.canvas.addLabel("", row=0, col=col, color=TEXT,
                                                     size="11pt")
            box = self.canvas.addViewBox(row=1, col=col, lockAspect=True, invertY=True,
                                         enableMenu=False)
            img = LutImage()
            box.addItem(img)
            self.views[pane], self.images[pane] = box, img
        self.image = self.images["difference"]
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.canvas, 1)
        self.shown = None

    def set_layout(self, variants, layers) -> None:
        variants = list(variants)
        for combo, items, pick in ((self.a, variants, 0), (self.b, variants, len(variants) - 1),
                                   (self.layer, list(layers), 0)):
            combo.blockSignals(True)
            keep = combo.currentText()
            combo.clear()
            combo.addItems(items)
            combo.setCurrentIndex(items.index(keep) if keep in items else min(pick,
                                                                              len(items) - 1))
            combo.blockSignals(False)
        for img in self.images.values():
            img.clear()
        self.shown = None
        self.request_changed.emit(self.key())

    def set_layer(self, layer: str) -> None:
        """Show this row (e.g. the one the user zoomed)."""
        if self.layer.findText(layer) >= 0:
            self.layer.setCurrentText(layer)

    def key(self) -> tuple[str, str, str] | None:
        a, b, layer = self.a.currentText(), self.b.currentText(), self.layer.currentText()
        if not (a and b and layer) or a == b:
            self.caption.setText("choose two different variants" if a and a == b else "")
            return None
        return layer, a, b

    def show_views(self, views, result=None, lut: np.ndarray | None = None) -> None:
        """Show the difference of a :class:`gui.live_probes.ProbeViews` if it is new, beside
        A and B as the grid shows them (their mosaics in ``result`` through ``lut``)."""
        if views is None or views.difference is None or views.difference is self.shown:
            return
        if views.difference_key != self.key():
            return
        self.shown = views.difference
        diff, view, how = views.difference
        layer, a, b = views.difference_key
        grid = result.views if result is not None else {}
        panes = {"difference": diff,
                 "a": grid[a][layer].mosaic if layer in grid.get(a, {}) else None,
                 "b": grid[b][layer].mosaic if layer in grid.get(b, {}) else None}
        for pane, image in panes.items():
            if image is None:
                continue
            img = self.images[pane]
            first = img.image is None or img.image.shape != image.shape
            img.setImage(image, lut)
            if first:
                self.views[pane].setRange(QRectF(0, 0, image.shape[1], image.shape[0]),
                                          padding=0.02)
        self.labels["a"].setText(f"{a} (as in the grid)")
        self.labels["b"].setText(f"{b} (as in the grid)")
        self.labels["difference"].setText(f"|{a} − {b}|")
        c, h, w = view.shape
        caveat = (" — trained separately: the channels are different features in each variant, "
                  "so this difference mixes features, not only operators"
                  if self.separately_trained else "")
        self.caption.setText(f"|{a} − {b}| of {layer} ({c}x{h}x{w}, compared {how}): colour "
                             f"{view.lo:.3g} … {view.hi:.3g} (the same colour map as the grid)"
                             + caveat)
