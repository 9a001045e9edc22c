"""The "Phases" tab: for one downsampling site and channel, per variant, the map its stride
samples (max-pool as the dense max, avg-pool as the dense box, blur-pool as the blur, a
strided conv as the conv at stride 1) and beside it its ``s x s`` sampling phases
``dense[a::s, b::s]``, laid out as they sit in the map. The phase the variant keeps is framed
in its colour: nudge the frozen frame by 1 px and it keeps another one. Where the phases look
alike (blur), which one is kept hardly matters; where they differ (stride), it does.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QComboBox, QGraphicsRectItem, QHBoxLayout, QLabel, QSpinBox, QWidget

from gui.colors import TEXT, hex_color
from gui.lut_image import LutImage
from gui.plots import canvas_below
from gui.site_choice import SiteChannel
from gui.spectrum_panel import NO_SITES


class PhasesPanel(SiteChannel, QWidget):
    """``request_changed(object)``: the (site, channel) to follow, or None."""

    request_changed = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.site, self.channel = QComboBox(), QSpinBox()
        self.channel.setRange(0, 0)
        self.site.currentIndexChanged.connect(self._site_changed)
        self.channel.valueChanged.connect(lambda _: self.request_changed.emit(self.key()))
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        top = QHBoxLayout()
        for w in (QLabel("Site"), self.site, QLabel("Channel"), self.channel):
            top.addWidget(w)
        top.addWidget(self.caption, 1)
        self.canvas = canvas_below(self, top)
        self.variants: tuple[str, ...] = ()
        self.channels: dict[str, int] = {}
        self.lut: np.ndarray | None = None
        self.shown = None
        self.kept: dict[str, tuple | None] = {}   # variant -> the phase framed now

    def set_layout(self, variants, channels: dict[str, int]) -> None:
        """``channels``: site row -> its channel count (the sites among the rows shown)."""
        self.variants, self.channels = tuple(variants), dict(channels)
        self.site.blockSignals(True)
        self.site.clear()
        self.site.addItems(list(self.channels))
        self.site.blockSignals(False)
        self.canvas.clear()
        self.shown, self.kept = None, {}
        self._laid: tuple | None = None
        self.caption.setText(NO_SITES if not self.channels else "waiting for the first answer …")
        self._site_changed()

    def _lay_out(self, answer: dict) -> None:
        """One block per variant: its title, the dense map, and its s x s phases beside it."""
        self.canvas.clear()
        self.boxes, self.images, self.frames, self.titles, self.notes = {}, {}, {}, {}, {}
        col = 0
        for v in self.variants:
            if v not in answer:
                continue
            sy = max(a for a, _ in answer[v].phases) + 1
            sx = max(b for _, b in answer[v].phases) + 1
            self.titles[v] = self.canvas.addLabel("", row=0, col=col, colspan=1 + sx,
                                                  color=hex_color(v, self.variants),
                                                  size="11pt")
            cells = [("dense", 1, col, sy, 1)] + [((a, b), 1 + a, col + 1 + b, 1, 1)
                                                 for a in range(sy) for b in range(sx)]
            for key, row, c, rowspan, colspan in cells:
                box = self.canvas.addViewBox(row=row, col=c, rowspan=rowspan, colspan=colspan,
                                             lockAspect=True, invertY=True, enableMenu=False)
                box.setMouseEnabled(False, False)
                img = LutImage()
                box.addItem(img)
                self.boxes[(v, key)], self.images[(v, key)] = box, img
                if key != "dense":   # the frame around the kept phase
                    frame = QGraphicsRectItem()
                    pen = pg.mkPen(hex_color(v, self.variants), width=4)
                    pen.setCosmetic(True)
                    frame.setPen(pen)
                    frame.hide()
                    box.addItem(frame)
                    self.frames[(v, key)] = frame
            self.notes[v] = self.canvas.addLabel("", row=1 + sy, col=col, colspan=1 + sx,
                                                 color=TEXT, size="10pt")
            col += 2 + sx
        self._laid = tuple((v, tuple(p.phases)) for v, p in answer.items())

    def show_views(self, views, lut: np.ndarray | None = None) -> None:
        """Draw the phases of a :class:`engine.ProbeViews` if they are new (``lut``: the
        grid's colour map)."""
        if views is None or views.phases is None or views.phases is self.shown:
            return
        if views.phases_key != self.key():
            return
        answer = self.shown = views.phases
        if self._laid != tuple((v, tuple(p.phases)) for v, p in answer.items()):
            self._lay_out(answer)
        for v, p in answer.items():
            lo, hi = float(np.min(p.dense)), float(np.max(p.dense))
            k = 255.0 / (hi - lo) if hi > lo else 0.0
            for key, m in [("dense", p.dense), *p.phases.items()]:
                img = self.images[(v, key)]
                first = img.image is None or img.image.shape != m.shape
                img.setImage(np.rint(np.clip((m - lo) * k, 0, 255)).astype(np.uint8), lut)
                if first:
                    self.boxes[(v, key)].setRange(QRectF(0, 0, m.shape[1], m.shape[0]),
                                                  padding=0.04)
            self._frame(v, p)
            kept = (f"keeps phase {p.kept[0]},{p.kept[1]}" if p.kept is not None else
                    f"between phases (nudged {p.offset[1]:g}, {p.offset[0]:g} px here)")
            self.titles[v].setText(f"<b>{v}</b>: {kept}", color=hex_color(v, self.variants))
            self.notes[v].setText(p.how.replace(" then ", "<br>then ")
                                  + f"<br>phases differ {p.spread:.3f}")
        site, channel = views.phases_key
        self.caption.setText(
            f"{site}, channel {channel}: left, what the stride samples; right, its phases "
            f"[a::s, b::s] as in the map, the kept one framed (frozen frame before its nudge: "
            f"nudge 1 px and another is kept). Phases differ: 0 alike … 1 they cancel.")

    def _frame(self, v: str, p) -> None:
        self.kept[v] = p.kept
        for (fv, key), frame in self.frames.items():
            if fv != v:
                continue
            frame.setVisible(key == p.kept)
            if key == p.kept:
                h, w = p.phases[key].shape
                frame.setRect(QRectF(0, 0, w, h))
