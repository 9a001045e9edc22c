"""The zoom strip: one channel, large, in every variant side by side, updating live.

The session sends the float channel (one small array per variant); the strip shows it with one
range over all variants (so they compare) and reports the exact value under the cursor.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.lut_image import LutImage
from gui.plots import repaint_as_one


class ZoomImage(LutImage):
    def __init__(self, strip: ZoomStrip, variant: str):
        super().__init__()
        self.strip, self.variant = strip, variant
        self.values: np.ndarray | None = None
        self.setAcceptHoverEvents(True)

    def hoverEvent(self, ev):  # noqa: N802 - Qt API
        if ev.isExit() or self.values is None:
            self.strip.hovered.emit("")
            return
        x, y = int(ev.pos().x()), int(ev.pos().y())
        h, w = self.values.shape
        if 0 <= x < w and 0 <= y < h:
            self.strip.hovered.emit(f"{self.variant} · y {y} x {x} · value "
                                    f"{float(self.values[y, x]):.6g}")


class ZoomStrip(QWidget):
    """Shows ``Shown.zoom`` (variant -> float map). ``hovered(text)`` gives exact values."""

    hovered = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("Click a channel in any mosaic to follow it here in every variant.")
        self.title.setWordWrap(True)   # a long caption (trained weights) never widens the window
        self.canvas = repaint_as_one(pg.GraphicsLayoutWidget())
        self.canvas.setBackground((24, 24, 28))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addWidget(self.title)
        lay.addWidget(self.canvas, 1)
        self.images: dict[str, ZoomImage] = {}
        self.boxes: dict[str, pg.ViewBox] = {}
        self._lut: np.ndarray | None = None
        self.key = None
        self.separately_trained = False  # then channel k is a different feature per variant

    def set_lut(self, lut: np.ndarray) -> None:
        self._lut = lut
        for img in self.images.values():
            img.setLookupTable(lut)

    def set_variants(self, variants) -> None:
        self.canvas.clear()
        self.images.clear()
        self.boxes.clear()
        for i, v in enumerate(variants):
            self.canvas.addLabel(v, row=0, col=i, color=(235, 235, 235), size="11pt")
            box = self.canvas.addViewBox(row=1, col=i, lockAspect=True, invertY=True,
                                         enableMenu=False)
            box.setMouseEnabled(True, True)   # the wheel zooms, a drag pans
            img = ZoomImage(self, v)
            if self._lut is not None:
                img.setLookupTable(self._lut)
            box.addItem(img)
            self.images[v], self.boxes[v] = img, box

    def show_zoom(self, zoom: dict[str, np.ndarray] | None, key) -> None:
        if not zoom:
            return
        finite = [z[np.isfinite(z)] for z in zoom.values()]
        lo = min((float(f.min()) for f in finite if f.size), default=0.0)
        hi = max((float(f.max()) for f in finite if f.size), default=1.0)
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        for v, z in zoom.items():
            img = self.images.get(v)
            if img is None:
                continue
            u = np.clip(np.nan_to_num((z - lo) * scale), 0, 255).astype(np.uint8)
            first = img.image is None or img.image.shape != u.shape
            img.values = z
            img.setImage(u)
            if first:
                self.boxes[v].autoRange(padding=0.02)
        if key != self.key:
            self.key = key
            layer, ch = key
            caveat = (" — trained separately: channel {ch} is not the same feature in each "
                      "variant, compare them with care" if self.separately_trained else "")
            self.title.setText(f"Channel {ch} of {layer}, every variant (one range "
                               f"{lo:.3g} … {hi:.3g}; hover for values)"
                               + caveat.format(ch=ch))
