"""The "Spectrum" tab: the log Fourier magnitude of one channel entering a downsampling site
and leaving it, per variant, updating live.

Zero frequency is at the centre. On "before", the dashed square is the new Nyquist band
(|f| = 1/(2 * stride) cycles per pixel): energy outside it folds back (aliases) when the map is
sampled at the site's stride, unless the operator removed it first (blur, avg).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from engine import colormap
from gui.colors import TEXT, hex_color
from gui.plots import canvas_below
from gui.site_choice import SiteChannel

NO_SITES = "No downsampling site among the rows shown: add one under Layers."


class SpectrumPanel(SiteChannel, QWidget):
    """``request_changed(object)``: the (layer, channel) to follow, or None."""

    request_changed = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.site = QComboBox()
        self.channel = QSpinBox()
        self.channel.setRange(0, 0)
        self.follow = QCheckBox("follow the zoomed channel")
        self.follow.setChecked(True)
        self.site.currentIndexChanged.connect(self._site_changed)
        self.channel.valueChanged.connect(lambda _: self.request_changed.emit(self.key()))
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Site"))
        top.addWidget(self.site)
        top.addWidget(QLabel("Channel"))
        top.addWidget(self.channel)
        top.addWidget(self.follow)
        top.addWidget(self.caption, 1)
        self.canvas = canvas_below(self, top)
        self._lut = colormap("magma").lut
        self.variants: tuple[str, ...] = ()
        self.channels: dict[str, int] = {}   # site -> channels
        self.images: dict[tuple[str, str], pg.ImageItem] = {}   # (variant, before|after)
        self.boxes: dict[tuple[str, str], pg.ViewBox] = {}
        self.nyquist: dict[str, QGraphicsRectItem] = {}          # variant -> square on before
        self.shown: dict | None = None

    def set_layout(self, variants, channels: dict[str, int]) -> None:
        """``channels``: site row -> its channel count (the sites among the rows shown)."""
        self.variants, self.channels = tuple(variants), dict(channels)
        self.shown = None
        self.site.blockSignals(True)
        self.site.clear()
        self.site.addItems(list(self.channels))
        self.site.blockSignals(False)
        self._site_changed()
        self.canvas.clear()
        self.images.clear()
        self.boxes.clear()
        self.nyquist.clear()
        self.caption.setText(NO_SITES if not self.channels else
                             "log |FFT| (zero frequency at the centre); dashed square: the new "
                             "Nyquist band of the site's stride")
        for i, v in enumerate(self.variants):
            self.canvas.addLabel(f"<b>{v}</b>", row=0, col=2 * i, colspan=2,
                                 color=hex_color(v, self.variants), size="12pt")
            for j, when in enumerate(("before", "after")):
                box = self.canvas.addViewBox(row=1, col=2 * i + j, lockAspect=True,
                                             invertY=True, enableMenu=False)
                box.setMouseEnabled(False, False)
                img = pg.ImageItem(axisOrder="row-major")
                img.setLookupTable(self._lut)
                box.addItem(img)
                self.images[(v, when)], self.boxes[(v, when)] = img, box
                self.canvas.addLabel(when, row=2, col=2 * i + j, color=TEXT, size="10pt")
            square = QGraphicsRectItem()
            p = pg.mkPen((255, 255, 255), width=1.5, style=Qt.PenStyle.DashLine)
            p.setCosmetic(True)
            square.setPen(p)
            square.hide()
            self.boxes[(v, "before")].addItem(square)
            self.nyquist[v] = square

    def follow_zoom(self, layer: str, channel: int) -> None:
        """The user zoomed a channel: follow it (its site, when it is one)."""
        if not self.follow.isChecked():
            return
        if layer in self.channels:
            self.site.blockSignals(True)
            self.site.setCurrentText(layer)
            self.site.blockSignals(False)
            self._site_changed()
        if channel <= self.channel.maximum():
            self.channel.setValue(channel)

    def show_views(self, views) -> None:
        """Draw the spectra of a :class:`gui.live_probes.ProbeViews` if they are new."""
        if views is None or views.spectrum is None or views.spectrum is self.shown:
            return
        if views.spectrum_key != self.key():
            return  # an answer to an earlier choice
        self.shown = views.spectrum
        for v, spec in views.spectrum.items():
            for when in ("before", "after"):
                img = self.images.get((v, when))
                if img is None:
                    continue
                s = np.asarray(spec[when], dtype=np.float32)
                lo, hi = float(np.nanmin(s)), float(np.nanmax(s))
                u = np.clip((s - lo) * (255.0 / (hi - lo) if hi > lo else 0.0), 0, 255)
                first = img.image is None or img.image.shape != s.shape
                img.setImage(np.rint(u).astype(np.uint8), autoLevels=False, levels=(0, 255))
                if first:
                    self.boxes[(v, when)].setRange(QRectF(0, 0, s.shape[1], s.shape[0]),
                                                   padding=0.02)
            h, w = np.shape(spec["before"])
            nyq = float(spec["nyquist"])
            # zero frequency is the centre of pixel (h // 2, w // 2); the band edge lies nyq
            # cycles/px from it, i.e. nyq * side pixels
            self.nyquist[v].setRect(QRectF(w // 2 + 0.5 - nyq * w, h // 2 + 0.5 - nyq * h,
                                           2 * nyq * w, 2 * nyq * h))
            self.nyquist[v].show()
