"""The "Aligned error" tab: per variant, large, ``F(shift x) - shift(F x)`` of one row, each
unit drawn on its receptive-field centre and the whole shifted back onto the frame, so that
what only *moved* with the input is dark and what *changed* (jitter) lights up.

The shift is the frozen frame's nudge (arrow keys), else 1 px right on every frame. Every
variant shares one colour scale, ``|error| / mean |F(x)|``: 0 (black) where the map moved
exactly with the input; 1 where the error is as large as the map itself.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from engine import colormap
from gui.colors import hex_color
from gui.lut_image import LutImage
from gui.plots import canvas_below


class AlignedPanel(QWidget):
    """``request_changed(object)``: the (layer,) to follow, or None."""

    request_changed = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layer = QComboBox()
        self.layer.currentIndexChanged.connect(lambda _: self.request_changed.emit(self.key()))
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Row"))
        top.addWidget(self.layer)
        top.addWidget(self.caption, 1)
        self.canvas = canvas_below(self, top)
        self._lut = colormap("magma").lut
        self.variants: tuple[str, ...] = ()
        self.images: dict[str, LutImage] = {}
        self.boxes: dict[str, pg.ViewBox] = {}
        self.titles: dict[str, pg.LabelItem] = {}
        self.shown = None
        self.scale = 0.0   # the top of the shared colour scale last drawn

    def set_layout(self, variants, layers) -> None:
        self.variants = tuple(variants)
        self.layer.blockSignals(True)
        keep = self.layer.currentText()
        self.layer.clear()
        self.layer.addItems(list(layers))
        if keep in layers:
            self.layer.setCurrentText(keep)
        elif len(layers) > 2:
            self.layer.setCurrentIndex(2)   # a row after the first site, where stride shows
        self.layer.blockSignals(False)
        self.canvas.clear()
        self.images.clear()
        self.boxes.clear()
        self.titles.clear()
        self.shown = None
        for i, v in enumerate(self.variants):
            self.titles[v] = self.canvas.addLabel(f"<b>{v}</b>", row=0, col=i,
                                                  color=hex_color(v, self.variants),
                                                  size="12pt")
            box = self.canvas.addViewBox(row=1, col=i, lockAspect=True, invertY=True,
                                         enableMenu=False)
            box.setMouseEnabled(False, False)
            img = LutImage(self._lut)
            box.addItem(img)
            self.images[v], self.boxes[v] = img, box
        self.caption.setText("waiting for the first answer …")
        self.request_changed.emit(self.key())

    def set_layer(self, layer: str) -> None:
        """Show this row (the one the user zoomed)."""
        if self.layer.findText(layer) >= 0:
            self.layer.setCurrentText(layer)

    def key(self) -> tuple[str] | None:
        layer = self.layer.currentText()
        return (layer,) if layer else None

    def show_views(self, views) -> None:
        """Draw the aligned error of a :class:`engine.ProbeViews` if it is new."""
        if views is None or views.aligned is None or views.aligned is self.shown:
            return
        if views.aligned_key != self.key():
            return   # the answer to an earlier choice
        a = self.shown = views.aligned
        values = [m[m > 0] for m in a.maps.values()]
        values = np.concatenate(values) if values else np.zeros(1)
        top = float(np.percentile(values, 99)) if values.size else 0.0  # the brightest 1% clip
        self.scale = top
        for v, img in self.images.items():
            m = a.maps.get(v)
            if m is None:
                self.titles[v].setText(f"<b>{v}</b>: no receptive field here",
                                       color=hex_color(v, self.variants))
                img.clear()
                continue
            u = np.clip(m * (255.0 / top if top > 0 else 0.0), 0, 255)
            first = img.image is None or img.image.shape != m.shape
            img.setImage(np.rint(u).astype(np.uint8))
            if first:
                self.boxes[v].setRange(QRectF(0, 0, m.shape[1], m.shape[0]), padding=0.02)
            self.titles[v].setText(f"<b>{v}</b><br>error {a.rel[v]:.3f} (jump {a.jumps[v]})",
                                   color=hex_color(v, self.variants))
        dx, dy = a.shift
        nudged = "the nudge" if a.nudged else "1 px; freeze (Space) and nudge (arrows) to choose"
        edge = (f"; the outer {a.border} px (padding, repeated edge) left out" if a.border
                else "; circular padding: nothing left out")
        self.caption.setText(
            f"|F(shift x) − shift(F x)| of {a.layer} on receptive-field centres, shifted back. "
            f"Shift: content {dx:+g}, {dy:+g} px ({nudged}). Colour: 0 (black: moved exactly) "
            f"… {top:.3g}+ in units of mean |F(x)|, shared. Error: relative RMS (0: exact; "
            f"1: as large as the map){edge}.")
