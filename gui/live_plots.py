"""The "Live" tab: one measure at a time, every variant in its colour.

Left, the newest value along the rows (layers on x); right, small multiples: one plot per row
with the recent history of the measure (x = measure updates ago, 0 the newest). Each plot's y
range follows its data, changing only when they leave it or fill less than a third of it.
Hovering reads out the nearest point. New measures are only collected on arrival; the plots
are redrawn at most once a second, and only while the tab is on screen.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine import METRICS
from gui.colors import color, pen
from gui.plots import HoverReadout, canvas, style

# the chooser's measures: the catalogue's per-row and per-site ones of how maps respond to
# moving input (name -> engine.Metric, which carries the scale)
LIVE = {name: m for name, m in METRICS.items()
        if m.family == "invariance" and m.where in ("row", "site")}
HISTORY = 120       # measure updates kept per curve
REDRAW_MS = 1000    # at most one redraw a second (a redraw of all rows costs 8-16 ms)
TICK_CHAR_PX = 7    # about one character of a tick label, for spacing the row names


class LivePlots(QWidget):
    """Plots of :class:`engine.Measures` as they arrive (see the module docstring)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.metric = QComboBox()
        for name, m in LIVE.items():
            where = " at each site" if m.where == "site" else ""
            self.metric.addItem(f"{name}: {m.title}{where} ({m.unit}; 0 = {m.zero})", name)
            self.metric.setItemData(self.metric.count() - 1, f"{m.description}. {m.scale()}.",
                                    Qt.ItemDataRole.ToolTipRole)
        self.metric.currentIndexChanged.connect(lambda _: self.redraw(force=True))
        self.metric.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.metric.setMinimumContentsLength(30)   # fits a 1280-px screen; the tooltip says all
        self.readout = QLabel("hover a curve for its values")
        self.readout.setMinimumWidth(80)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.canvas = canvas()
        top = QHBoxLayout()
        top.addWidget(QLabel("Measure"))
        top.addWidget(self.metric)
        top.addWidget(self.readout, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.canvas, 1)
        self.hover = HoverReadout(self.canvas, self.readout.setText)
        self.variants: tuple[str, ...] = ()
        self.layers: tuple[str, ...] = ()
        self.history: dict[str, dict[tuple[str, str], deque]] = {}  # metric -> (v, layer) -> ..
        self.count = 0               # measure updates received
        self._seen: dict[str, object] = {}  # metric -> the values last added
        self._layout_key = None
        self.profile: pg.PlotItem | None = None
        self.profile_curves: dict[str, pg.PlotDataItem] = {}
        self._tick_rows: tuple[str, ...] = ()
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}  # (layer, variant) -> curve
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.redraw)

    @property
    def chosen(self) -> str:
        return self.metric.currentData()

    def set_layout(self, variants, layers) -> None:
        """A new network, variants or rows: forget the history."""
        self.variants, self.layers = tuple(variants), tuple(layers)
        self.history.clear()
        self._seen.clear()
        self.count = 0
        self._layout_key = None
        self.redraw(force=True)

    def add(self, measures) -> None:
        """Collect a new :class:`engine.Measures` (cheap); a redraw follows soon."""
        self.count += 1
        for metric in LIVE:
            per = measures.values.get(metric)
            if per is None or self._seen.get(metric) == per:
                continue  # this job did not touch it
            self._seen[metric] = per
            hist = self.history.setdefault(metric, {})
            for v, layers in per.items():
                for layer, value in layers.items():
                    hist.setdefault((v, layer), deque(maxlen=HISTORY)).append(
                        (self.count, float(value)))
        if not self._timer.isActive():
            self._timer.start(REDRAW_MS)

    def showEvent(self, event):  # noqa: N802 - Qt API
        super().showEvent(event)
        self.redraw(force=True)

    def _rows(self, metric: str) -> tuple[str, ...]:
        have = {layer for _, layer in self.history.get(metric, {})}
        return tuple(ly for ly in self.layers if ly in have)

    def _build(self, metric: str, rows: tuple[str, ...]) -> None:
        self.canvas.clear()
        self.hover.clear()
        self.plots.clear()
        self.curves.clear()
        self.profile_curves.clear()
        self.profile = None
        if not rows:
            self.canvas.addLabel("waiting for the first measures …", color=(200, 200, 200),
                                 size="12pt")
            return
        short = metric.replace("_", " ")
        self.profile = style(self.canvas.addPlot(row=0, col=0, rowspan=2),
                             f"newest {short} by row", bottom="")
        self._tick_rows = rows
        self.profile.getViewBox().sigResized.connect(self._thin_ticks)
        self._thin_ticks()
        self.profile.setXRange(-0.5, len(rows) - 0.5, padding=0)
        _keep_axes(self.profile)
        for v in self.variants:
            c = self.profile.plot([], [], pen=pen(v, 2, self.variants), symbol="o", symbolSize=7,
                                  symbolBrush=pg.mkBrush(color(v, self.variants)),
                                  symbolPen=None, connect="finite")
            self.profile_curves[v] = c
            self.hover.add(self.profile, c, (v, None), self._describe_profile)
        per_row = math.ceil(len(rows) / 2) if len(rows) > 3 else len(rows)
        for i, layer in enumerate(rows):
            p = style(self.canvas.addPlot(row=i // per_row, col=1 + i % per_row), layer)
            p.getAxis("bottom").setHeight(22)
            for side in ("left", "bottom"):   # few ticks: small plots stay legible
                p.getAxis(side).setTickDensity(0.5)
            p.setXRange(1 - HISTORY, 0, padding=0.02)   # updates ago: the axis never moves
            _keep_axes(p)
            for v in self.variants:
                c = p.plot([], [], pen=pen(v, 2, self.variants), connect="finite")
                self.curves[(layer, v)] = c
                self.hover.add(p, c, (v, layer), self._describe_history)
            self.plots[layer] = p
        self.canvas.ci.layout.setColumnStretchFactor(0, max(2, per_row // 2 + 1))
        for col in range(1, per_row + 1):
            self.canvas.ci.layout.setColumnStretchFactor(col, 1)

    def redraw(self, force: bool = False) -> None:
        """Hand the collected history to the curves (only while the tab is on screen)."""
        if not self.isVisible() and not force:
            return
        metric = self.chosen
        rows = self._rows(metric)
        key = (metric, rows, self.variants)
        if key != self._layout_key:
            self._layout_key = key
            self._build(metric, rows)
        hist = self.history.get(metric, {})
        if self.profile is not None and LIVE[metric].where == "site":
            absent = [v for v in self.variants if not any((v, r) in hist for r in rows)]
            self.profile.setTitle(f"newest {metric.replace('_', ' ')} by site" + (
                f" · {', '.join(absent)}: no site (it does not downsample)" if absent else ""),
                color=(200, 200, 200), size="10pt")
        for layer, p in self.plots.items():
            ranges = []
            for v in self.variants:
                points = hist.get((v, layer))
                if points:
                    xs, ys = np.array(points, dtype=float).T
                    ok = np.isfinite(ys)
                    self.curves[(layer, v)].setData(xs[ok] - self.count, ys[ok])
                    ranges.append(ys[ok])
            _follow(p, ranges)
        ranges = []
        for v, curve in self.profile_curves.items():
            ys = np.array([hist[(v, r)][-1][1] if (v, r) in hist else np.nan for r in rows])
            xs = np.arange(len(rows), dtype=float)
            ok = np.isfinite(ys)  # NaN: not measurable there (e.g. a 1x1 map)
            curve.setData(xs[ok], ys[ok])
            ranges.append(ys[ok])
        if self.profile is not None:
            _follow(self.profile, ranges)

    def _thin_ticks(self, *_) -> None:
        """Row names under the profile, as many as fit without touching (every k-th)."""
        if self.profile is None:
            return
        rows = self._tick_rows
        labels = [_short(r) for r in rows]
        width = max(1.0, self.profile.getViewBox().width())
        need = TICK_CHAR_PX * max((len(s) for s in labels), default=1) + 10
        k = max(1, -(-int(need * len(rows)) // int(width)))
        self.profile.getAxis("bottom").setTicks(
            [[(i, s) for i, s in enumerate(labels) if i % k == 0]])

    def _describe_history(self, key, x: float, y: float) -> str:
        v, layer = key
        ago = -round(x)
        return (f"{v} · {layer} · {self.chosen} = {y:.4g} {self._scale()}  "
                f"({'newest' if ago == 0 else f'{ago} measure updates ago'})")

    def _describe_profile(self, key, x: float, y: float) -> str:
        rows = self._rows(self.chosen)
        layer = rows[int(round(x))] if 0 <= int(round(x)) < len(rows) else "?"
        return f"{key[0]} · {layer} · {self.chosen} = {y:.4g} {self._scale()}  (newest)"

    def _scale(self) -> str:
        return f"({LIVE[self.chosen].scale()})"


def _keep_axes(plot: pg.PlotItem) -> None:
    """Draw the plot's axes once into pixmaps, again only when its range changes: replaying
    their labels on every repaint was most of a redraw (18 axes, 33-38 ms a second)."""
    plot.disableAutoRange()
    for side in ("left", "bottom"):
        plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def _follow(plot: pg.PlotItem, values: list[np.ndarray]) -> None:
    """A y range that holds ``values``: kept while it does and they fill a third of it, so
    the axis (and its pixmap) changes only when the data moved."""
    values = [v for v in values if v.size]
    if not values:
        return
    lo, hi = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
    (y0, y1) = plot.getViewBox().viewRange()[1]
    span = max(hi - lo, 1e-9 * max(1.0, abs(hi)))
    if lo < y0 or hi > y1 or span < (y1 - y0) / 3:
        pad = 0.1 * span
        plot.setYRange(lo - pad, hi + pad, padding=0)


def _short(layer: str) -> str:
    """A row name short enough for a tick label (the last two dotted parts)."""
    parts = layer.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else layer
