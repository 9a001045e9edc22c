"""The left panel: the input as the network sees it, the colour bar, the hover readout, and the
theoretical receptive field of the selected unit, one box per variant."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from gui.colors import dashed_pen, legend_html
from gui.lut_image import LutImage
from gui.plots import repaint_as_one

BACKGROUND = (24, 24, 28)


class InputPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = repaint_as_one(pg.GraphicsLayoutWidget())
        self.view.setBackground(BACKGROUND)
        self.box = self.view.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.box.setMouseEnabled(False, False)
        self.image = LutImage()
        self.box.addItem(self.image)
        self.colorbar = repaint_as_one(pg.GraphicsLayoutWidget())
        self.colorbar.setFixedHeight(36)
        self.colorbar.setBackground(BACKGROUND)
        self.colorbar_box = self.colorbar.addViewBox(enableMenu=False)
        self.colorbar_box.setMouseEnabled(False, False)
        self.colorbar_item = pg.ImageItem(axisOrder="row-major")
        self.colorbar_box.addItem(self.colorbar_item)
        self.colorbar_label = QLabel("colour: low … high of each row's range")
        self.readout = QLabel("")
        self.readout.setWordWrap(True)
        self.rf_label = QLabel("")
        self.rf_label.setWordWrap(True)
        self.rf_label.hide()
        self.rf_boxes: dict[str, QGraphicsRectItem] = {}  # variant -> box on the input
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(QLabel("Input (as the network sees it)"))
        lay.addWidget(self.view, 1)
        lay.addWidget(self.rf_label)
        lay.addWidget(self.colorbar_label)
        lay.addWidget(self.colorbar)
        lay.addWidget(self.readout)
        self._fitted = False

    def show_input(self, image: np.ndarray) -> None:
        """Show the frame the network saw (fits the view on the first frame)."""
        resized = self.image.image is None or self.image.image.shape != image.shape
        self.image.setImage(image)
        if not self._fitted or resized:
            self._fit()
            self._fitted = True

    def show_colours(self, lut: np.ndarray, gamma: float) -> None:
        """Draw the lookup table as the colour bar."""
        self.colorbar_item.setImage(lut[None, :, :], autoLevels=False)
        self.colorbar_box.autoRange(padding=0)
        self.colorbar_label.setText(f"colour: each row's range, low … high (gamma {gamma:g})")

    def show_rf_boxes(self, boxes: dict | None, title: str = "") -> None:
        """Outline each variant's receptive field on the input; None removes them.

        Parameters
        ----------
        boxes : dict or None
            variant -> (top, left, bottom, right) in input pixels, inclusive pixel centres
            (as :func:`engine.receptive_field` gives them), or None where unknown.
        title : str
            What the boxes belong to, shown under the input with the colour legend.
        """
        for item in self.rf_boxes.values():
            self.box.removeItem(item)
        self.rf_boxes.clear()
        known = {v: b for v, b in (boxes or {}).items() if b is not None}
        order = tuple(boxes or ())
        for i, (v, (top, left, bottom, right)) in enumerate(known.items()):
            item = QGraphicsRectItem(QRectF(left, top, right - left + 1, bottom - top + 1))
            item.setPen(dashed_pen(v, i, len(known), 2.5, order))
            item.setZValue(10)
            self.box.addItem(item)
            self.rf_boxes[v] = item
        self.rf_label.setVisible(bool(boxes))
        if boxes:
            missing = [v for v in boxes if boxes[v] is None]
            self.rf_label.setText(f"Receptive field of {title}: " + legend_html(known, order)
                                  + (f" (unknown for {', '.join(missing)})" if missing else ""))
        self._fit()

    def _fit(self) -> None:
        """Show the whole input, and every receptive-field box that reaches beyond it."""
        if self.image.image is None:
            return
        h, w = self.image.image.shape[:2]
        rect = QRectF(0, 0, w, h)
        for item in self.rf_boxes.values():
            rect = rect.united(item.rect())
        self.box.setRange(rect, padding=0.02 if self.rf_boxes else 0.0)
        self.box.disableAutoRange()
