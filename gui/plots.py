"""Small pyqtgraph plots styled alike for the measures dock, and a hover readout that names
the nearest point (variant, layer, metric, value)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsView

from gui.colors import BACKGROUND, TEXT

TICK_FONT_PX = 12
HOVER_PX = 14  # a point this close to the cursor (screen px) is read out


def repaint_as_one(view: pg.GraphicsView) -> pg.GraphicsView:
    """Repaint the one rectangle around everything that changed, not each changed item's own.

    pyqtgraph's default (Qt's minimal update) paints a region of one rectangle per changed
    item, and the raster engine clips every item against that many-rectangle region: a new
    frame in the 32 cells of the grid then cost 7.4 ms to paint, against 1.4 ms in one
    rectangle (tiny at 224x224, offscreen at 1920x1080)."""
    view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
    return view


def canvas() -> pg.GraphicsLayoutWidget:
    """A dark plotting canvas with small margins."""
    w = repaint_as_one(pg.GraphicsLayoutWidget())
    w.setBackground(BACKGROUND)
    w.ci.layout.setContentsMargins(2, 2, 2, 2)
    w.ci.layout.setSpacing(4)
    return w


def canvas_below(owner, *above) -> pg.GraphicsLayoutWidget:
    """Lay out ``owner`` (a QWidget) as ``above`` (widgets or layouts), then a canvas that
    takes the rest of the height; returns the canvas."""
    from PySide6.QtWidgets import QLayout, QVBoxLayout

    c = canvas()
    lay = QVBoxLayout(owner)
    lay.setContentsMargins(2, 2, 2, 2)
    for item in above:
        (lay.addLayout if isinstance(item, QLayout) else lay.addWidget)(item)
    lay.addWidget(c, 1)
    return c


def style(plot: pg.PlotItem, title: str = "", left: str = "", bottom: str = "") -> pg.PlotItem:
    """Legible ticks and labels, no mouse interaction, no context menu."""
    font = QFont()
    font.setPixelSize(TICK_FONT_PX)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setTickFont(font)
        axis.setTextPen(pg.mkPen(TEXT))
        axis.setPen(pg.mkPen((120, 120, 130)))
    if title:
        plot.setTitle(title, color=TEXT, size="11pt")
    if left:
        plot.setLabel("left", left, color=TEXT, **{"font-size": "10pt"})
    if bottom:
        plot.setLabel("bottom", bottom, color=TEXT, **{"font-size": "10pt"})
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    plot.getAxis("left").setWidth(44)
    plot.getAxis("left").enableAutoSIPrefix(False)  # no "(x0.001)": the ticks say it
    return plot


class HoverReadout:
    """Reads out the data point nearest the cursor on any registered curve of a canvas.

    ``describe(key, x, y)`` turns a curve's key and the point into text; ``show(text)``
    displays it (a label's ``setText``; "" when no point is near).
    """

    def __init__(self, widget: pg.GraphicsLayoutWidget, show: Callable[[str], None]):
        self.show = show
        self.curves: dict[pg.PlotDataItem, tuple[pg.PlotItem, object, Callable]] = {}
        widget.scene().sigMouseMoved.connect(self._moved)

    def add(self, plot: pg.PlotItem, curve: pg.PlotDataItem, key,
            describe: Callable[[object, float, float], str]) -> None:
        self.curves[curve] = (plot, key, describe)

    def clear(self) -> None:
        self.curves.clear()

    def _moved(self, pos) -> None:
        best, text = HOVER_PX, ""
        for curve, (plot, key, describe) in list(self.curves.items()):
            if not plot.isVisible() or not plot.sceneBoundingRect().contains(pos):
                continue
            xs, ys = curve.getData()
            if xs is None or not len(xs):
                continue
            vb = plot.getViewBox()
            m = vb.mapSceneToView(pos)
            pw, ph = vb.viewPixelSize()
            with np.errstate(invalid="ignore"):
                d = np.hypot((xs - m.x()) / (pw or 1), (ys - m.y()) / (ph or 1))
            if not np.isfinite(d).any():
                continue
            i = int(np.nanargmin(d))
            if d[i] < best:
                best, text = d[i], describe(key, float(xs[i]), float(ys[i]))
        self.show(text)
