"""The "Shift probe" tab: sweep a horizontal shift over the frozen frame, in sub-pixel steps,
and plot each variant's shift error of one row against the shift.

Dashed vertical lines mark multiples of the row's jump (its stride to the input): there a
strided layer's grid lines up again. "Animate" replays the sweep in the grid by nudging the
frozen frame through the same shifts (a QTimer; the GUI thread never sleeps).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from gui.colors import pen
from gui.plots import HoverReadout, canvas_below, style

ANIMATE_MS = 400  # one sweep step per this many ms


class ProbePanel(QWidget):
    """``run_requested()``: freeze and probe; ``nudge_requested(dx, dy)`` and
    ``reset_nudge_requested()`` drive the animation (the window sends them to the session)."""

    run_requested = Signal()
    nudge_requested = Signal(float, float)
    reset_nudge_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.run = QPushButton("Run shift probe")
        self.run.setToolTip("Freeze the frame and sweep a shift to the right over it, every "
                            "half pixel, up to twice the deepest row's jump")
        self.run.clicked.connect(self.run_requested)
        self.layer = QComboBox()
        self.layer.currentIndexChanged.connect(lambda _: self._plot())
        self.animate = QCheckBox("Animate in the grid")
        self.animate.setEnabled(False)
        self.animate.toggled.connect(self._animate_toggled)
        self.status = QLabel("Runs on the frozen frame (it freezes it first); takes a few "
                             "seconds.")
        self.readout = QLabel("")
        top = QHBoxLayout()
        top.addWidget(self.run)
        top.addWidget(QLabel("Row"))
        top.addWidget(self.layer)
        top.addWidget(self.animate)
        top.addWidget(self.status, 1)
        top.addWidget(self.readout)
        self.canvas = canvas_below(self, top)
        self.plot = style(self.canvas.addPlot(), "")
        self.hover = HoverReadout(self.canvas, self.readout.setText)
        self.marker = pg.InfiniteLine(0, angle=90, pen=pg.mkPen((255, 255, 255), width=2))
        self.marker.hide()
        self.plot.addItem(self.marker)
        self.variants: tuple[str, ...] = ()
        self.result = None
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.jump_lines: list[pg.InfiniteLine] = []
        self.frame = 0  # the sweep step the animation shows
        self._timer = QTimer(self)
        self._timer.setInterval(ANIMATE_MS)
        self._timer.timeout.connect(self._advance)

    def set_layout(self, variants, layers) -> None:
        self.stop_animation()
        self.variants = tuple(variants)
        self.result = None
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems(list(layers))
        self.layer.blockSignals(False)
        self.animate.setEnabled(False)
        self._plot()

    def set_running(self) -> None:
        self.stop_animation()
        self.run.setEnabled(False)
        self.status.setText("sweeping the shift over the frozen frame …")

    def show_result(self, result) -> None:
        """An :class:`engine.ProbeResult`, or None when the probe failed."""
        self.run.setEnabled(True)
        if result is None:
            self.status.setText("the probe failed (see the status bar)")
            return
        self.result = result
        self.animate.setEnabled(True)
        self._plot()   # says how far this row was swept

    def _plot(self) -> None:
        for item in [*self.curves.values(), *self.jump_lines]:
            self.plot.removeItem(item)
        self.curves.clear()
        self.jump_lines.clear()
        self.hover.clear()
        r, layer = self.result, self.layer.currentText()
        if r is None or layer not in r.jumps:
            self.plot.setTitle("run the probe to see the shift error of each row",
                               color=(200, 200, 200), size="11pt")
            return
        jump = r.jumps[layer]
        self.plot.setTitle(f"{layer}: shift error (cosine distance) vs shift of the input to "
                           f"the right (px); dashed: multiples of its jump, {jump} px",
                           color=(225, 225, 230), size="11pt")
        for k in range(1, int(r.shifts[-1] // max(jump, 1)) + 1):
            line = pg.InfiniteLine(k * jump, angle=90,
                                   pen=pg.mkPen((170, 170, 180), width=1,
                                                style=Qt.PenStyle.DashLine))
            self.plot.addItem(line)
            self.jump_lines.append(line)
        for v in self.variants:
            err = r.error.get(v, {}).get(layer)
            if err is None:
                continue
            c = self.plot.plot(r.shifts, err, pen=pen(v, 2, self.variants), connect="finite",
                               symbol="o", symbolSize=4, symbolPen=None,
                               symbolBrush=pen(v, 2, self.variants).color())
            self.curves[v] = c
            self.hover.add(self.plot, c, v, self._describe)
        finite = r.shifts[np.isfinite(r.error[self.variants[0]][layer])] \
            if self.variants and layer in r.error.get(self.variants[0], {}) else r.shifts
        upto = float(finite.max()) if len(finite) else 1.0
        self.plot.setXRange(0, upto)
        self.plot.enableAutoRange(axis="y")
        step = float(r.shifts[1] - r.shifts[0]) if len(r.shifts) > 1 else 1.0
        self.status.setText(f"{layer}: swept 0 … {upto:g} px (twice its jump) in {step:g}-px "
                            f"steps; the deepest row to {r.shifts[-1]:g} px")

    def _describe(self, v, x: float, y: float) -> str:
        return f"{v} · {self.layer.currentText()} · shift {x:g} px · error {y:.4g}"

    # -- animation --------------------------------------------------------------------------
    def _animate_toggled(self, on: bool) -> None:
        if on and self.result is not None:
            self.frame = 0
            self.reset_nudge_requested.emit()
            self.marker.setValue(0)
            self.marker.show()
            self._timer.start()
        else:
            self.stop_animation()

    def _advance(self) -> None:
        s = self.result.shifts
        nxt = (self.frame + 1) % len(s)
        if nxt == 0:
            self.reset_nudge_requested.emit()
        else:  # the probe moves the content right by s; a nudge moves the view window
            self.nudge_requested.emit(-float(s[nxt] - s[self.frame]), 0.0)
        self.frame = nxt
        self.marker.setValue(float(s[nxt]))

    def stop_animation(self) -> None:
        """Stop replaying the sweep and undo its nudges."""
        was = self._timer.isActive()
        self._timer.stop()
        self.marker.hide()
        self.animate.blockSignals(True)
        self.animate.setChecked(False)
        self.animate.blockSignals(False)
        if was:
            self.reset_nudge_requested.emit()
