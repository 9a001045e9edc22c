"""A new frame repaints each view as one rectangle (a region of one rectangle per changed cell
made the raster engine clip every cell against all of them: 5x the paint time)."""

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication


class PaintRegions(QObject):
    """Records the number of rectangles in each paint event of a widget."""

    def __init__(self, widget):
        super().__init__()
        self.rects: list[int] = []
        widget.installEventFilter(self)

    def eventFilter(self, obj, ev):  # noqa: N802 - Qt API
        if ev.type() == QEvent.Type.Paint:
            self.rects.append(ev.region().rectCount())
        return False


def test_a_new_frame_paints_the_grid_in_one_rectangle(window, qtbot):
    g = window.grid
    shown = window.last
    QApplication.processEvents()
    seen = PaintRegions(g.viewport())
    g.show_result(shown.result, shown.lut)       # every cell on screen gets an image
    qtbot.waitUntil(lambda: bool(seen.rects), timeout=5_000)
    assert len([c for c in g.cells.values() if c.cell.intersects(g.view.viewRect())]) > 4
    assert seen.rects[0] == 1


def test_every_view_of_the_window_repaints_as_one(window):
    views = window.findChildren(pg.GraphicsView)
    assert len(views) >= 4       # the grid, the input, its colour bar, the zoom, the plots
    modes = {v.viewportUpdateMode() for v in views}
    assert modes == {pg.QtWidgets.QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate}
