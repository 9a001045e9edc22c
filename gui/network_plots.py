"""The "Network" tab: whole-network shift measures of each variant (needs a classifier).

* consistency: the share of pairs of random crops whose top-1 class agrees (Zhang 2019);
* top1_change: the share of 1-px steps along the diagonal that change the top-1 class;
* the diagonal test: the probability of the top class as the crop moves along the diagonal.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QWidget

from engine import METRICS, NETWORK_ROW, wilson
from gui.colors import TEXT, color, pen
from gui.plots import HoverReadout, canvas_below, style

# the catalogue's network-level measures, each titled with the way that is better
BARS = {name: f"{m.title} ({m.better} is better)<br><span style='font-size:9pt'>0 = {m.zero}; "
              f"1 = {m.one}; bars: 95% interval</span>"
        for name, m in METRICS.items() if m.where == "network"}
NO_CLASSIFIER = ("This network has no classifier (its output is not a vector of class scores): "
                 "consistency and the diagonal test need one. The per-row measures are under "
                 "Live.")


class NetworkPlots(QWidget):
    """Bars of ``consistency`` and ``top1_change`` per variant, and the diagonal curves."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.note = QLabel(NO_CLASSIFIER)
        self.note.setWordWrap(True)
        self.note.hide()
        self.readout = QLabel("hover a bar or a curve for its value")
        self.canvas = canvas_below(self, self.note, self.readout)
        self.hover = HoverReadout(self.canvas, self.readout.setText)
        self.variants: tuple[str, ...] = ()
        self.bars: dict[str, pg.BarGraphItem] = {}
        self.bar_points: dict[str, pg.PlotDataItem] = {}   # invisible, for the hover readout
        self.bar_labels: dict[tuple[str, str], pg.TextItem] = {}
        self.errors: dict[str, pg.ErrorBarItem] = {}      # metric -> the 95% intervals
        self.counts: dict[tuple[str, str], int | None] = {}  # (metric, variant) -> n shown
        self.values: dict[str, dict[str, float]] = {}     # metric -> variant -> value shown
        self.diagonal_curves: dict[str, pg.PlotDataItem] = {}

    def set_layout(self, variants) -> None:
        self.variants = tuple(variants)
        self.canvas.clear()
        self.hover.clear()
        self.bars.clear()
        self.bar_points.clear()
        self.bar_labels.clear()
        self.errors.clear()
        self.values.clear()
        self.diagonal_curves.clear()
        xs = np.arange(len(self.variants), dtype=float)
        brushes = [pg.mkBrush(*color(v, self.variants)) for v in self.variants]
        for col, (metric, title) in enumerate(BARS.items()):
            p = style(self.canvas.addPlot(row=0, col=col), title)
            p.getAxis("bottom").setTicks([[(i, v) for i, v in enumerate(self.variants)]])
            p.setYRange(0, 1.45, padding=0)   # room for the value, interval and n above
            p.setXRange(-0.6, len(self.variants) - 0.4, padding=0)
            bars = pg.BarGraphItem(x=xs, height=np.zeros(len(xs)), width=0.65, brushes=brushes)
            p.addItem(bars)
            self.errors[metric] = pg.ErrorBarItem(x=xs, y=np.zeros(len(xs)), beam=0.2,
                                                  pen=pg.mkPen(TEXT, width=1.5))
            p.addItem(self.errors[metric])
            points = p.plot(xs, np.zeros(len(xs)), pen=None, symbol="o", symbolSize=1,
                            symbolPen=None, symbolBrush=None)
            self.hover.add(p, points, metric, self._describe_bar)
            for i, v in enumerate(self.variants):
                label = pg.TextItem("", color=TEXT, anchor=(0.5, 1.0))
                label.setPos(i, 0)
                p.addItem(label)
                self.bar_labels[(metric, v)] = label
            self.bars[metric], self.bar_points[metric] = bars, points
        d = style(self.canvas.addPlot(row=0, col=2),
                  "diagonal test: p(top class) vs diagonal shift (px)<br><span "
                  "style='font-size:9pt'>live: 2 px a frame; frozen: one frame's path</span>")
        d.setYRange(0, 1.02, padding=0)
        for v in self.variants:
            c = d.plot([], [], pen=pen(v, 2, self.variants), symbol="o", symbolSize=5,
                       symbolBrush=pg.mkBrush(*color(v, self.variants)), symbolPen=None)
            self.diagonal_curves[v] = c
            self.hover.add(d, c, v, self._describe_diagonal)
        layout = self.canvas.ci.layout
        layout.setColumnStretchFactor(0, 2)
        layout.setColumnStretchFactor(1, 2)
        layout.setColumnStretchFactor(2, 3)

    def show_measures(self, measures, has_classifier: bool) -> None:
        """Show the network-level values of :class:`engine.Measures`."""
        self.note.setVisible(not has_classifier)
        self.canvas.setEnabled(has_classifier)
        self.canvas.setVisible(has_classifier)
        if not has_classifier or measures is None:
            return
        for metric, bars in self.bars.items():
            vals = [measures.get(metric, v, NETWORK_ROW) for v in self.variants]
            self.values[metric] = dict(zip(self.variants, vals, strict=True))
            heights = np.array([0.0 if math.isnan(x) else x for x in vals])
            bars.setOpts(height=heights)
            self.bar_points[metric].setData(np.arange(len(vals), dtype=float), heights)
            lo, hi = heights.copy(), heights.copy()
            for i, (v, x) in enumerate(zip(self.variants, vals, strict=True)):
                label = self.bar_labels[(metric, v)]
                n = measures.count(metric, v, NETWORK_ROW)
                self.counts[(metric, v)] = n
                if math.isnan(x) or not n:
                    label.setText("…")
                else:   # a share of n samples: its Wilson 95% interval, and n
                    e = wilson(round(x * n), n)
                    lo[i], hi[i] = e.lo, e.hi
                    label.setText(f"{x:.2f}\n{e.lo:.2f}–{e.hi:.2f}\nn={n}")
                label.setPos(i, hi[i] + 0.01)
            self.errors[metric].setData(x=np.arange(len(vals), dtype=float), y=heights,
                                        top=hi - heights, bottom=heights - lo)
        shifts = np.asarray(measures.diagonal_shifts, dtype=float)
        for v, curve in self.diagonal_curves.items():
            p = measures.diagonal.get(v)
            if p is not None and len(p) == len(shifts):
                curve.setData(shifts, np.asarray(p, dtype=float))

    def _describe_bar(self, metric, x: float, y: float) -> str:
        v = self.variants[int(round(x))]
        m = METRICS[metric]
        return (f"{v} · network · {metric} = {self.values.get(metric, {}).get(v, y):.4g} "
                f"({m.unit}; {m.scale()})")

    def _describe_diagonal(self, v, x: float, y: float) -> str:
        return f"{v} · diagonal shift {x:.0f} px · p(top class) = {y:.4g}"
