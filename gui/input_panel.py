"""The left panel: the input as the network sees it, the colour bar, and the hover readout."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

BACKGROUND = (24, 24, 28)


class InputPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(BACKGROUND)
        self.box = self.view.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.box.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.colorbar = pg.GraphicsLayoutWidget()
        self.colorbar.setFixedHeight(36)
        self.colorbar.setBackground(BACKGROUND)
        self.colorbar_box = self.colorbar.addViewBox(enableMenu=False)
        self.colorbar_box.setMouseEnabled(False, False)
        self.colorbar_item = pg.ImageItem(axisOrder="row-major")
        self.colorbar_box.addItem(self.colorbar_item)
        self.colorbar_label = QLabel("colour: low … high of each row's range")
        self.readout = QLabel("")
        self.readout.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(QLabel("Input (as the network sees it)"))
        lay.addWidget(self.view, 1)
        lay.addWidget(self.colorbar_label)
        lay.addWidget(self.colorbar)
        lay.addWidget(self.readout)
        self._fitted = False

    def show_input(self, image: np.ndarray) -> None:
        """Show the frame the network saw (fits the view on the first frame)."""
        self.image.setImage(image, autoLevels=False, levels=(0, 255))
        if not self._fitted:
            self.box.autoRange(padding=0)
            self.box.disableAutoRange()
            self._fitted = True

    def show_colours(self, lut: np.ndarray, gamma: float) -> None:
        """Draw the lookup table as the colour bar."""
        self.colorbar_item.setImage(lut[None, :, :], autoLevels=False)
        self.colorbar_box.autoRange(padding=0)
        self.colorbar_label.setText(f"colour: each row's range, low … high (gamma {gamma:g})")
