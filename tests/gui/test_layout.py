"""The window on the screens people have: it fits 1280x720 with nothing overlapping, and at
1920x1080 every row of the default network is on screen at once with the measures open."""

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QDockWidget

from gui.app import SHIPPED, fit_screen


def _shown(w, qtbot):
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=30_000)


def _panes(w):
    """The window's top-level panes: the central widget and each dock on screen (of docks
    tabbed together, the one whose tab is up)."""
    panes = {"central": w.centralWidget().geometry()}
    for d in w.findChildren(QDockWidget):
        if d.isVisible() and not d.isFloating() and not d.visibleRegion().isEmpty():
            panes[d.objectName()] = d.geometry()
    return panes


@pytest.mark.parametrize("screen", [(1280, 720), (1920, 1080)])
def test_the_window_fits_the_screen_and_no_two_panes_overlap(make_window, qtbot, screen):
    w = make_window(weights=f"{SHIPPED}/tiny-max.pt")
    fit_screen(w, QRect(0, 0, *screen), first=True)
    _shown(w, qtbot)
    qtbot.waitUntil(lambda: w.width() <= screen[0] and w.height() <= screen[1], timeout=5000)
    assert w.minimumSizeHint().width() <= screen[0] and w.minimumSizeHint().height() <= screen[1]
    panes = _panes(w)
    assert {"central", "guide", "measures"} <= set(panes)      # the guide first, over Controls
    w.controls_dock.raise_()
    qtbot.waitUntil(lambda: "controls" in _panes(w), timeout=5000)
    panes = _panes(w)
    assert "guide" not in panes
    names = sorted(panes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not panes[a].intersects(panes[b]), (a, b, panes[a], panes[b])
    for r in panes.values():
        assert QRect(0, 0, w.width(), w.height()).contains(r)
    controls = w.controls
    view_box = controls.norm.parentWidget()              # the "View" group is not covered
    assert not view_box.geometry().isEmpty()


def test_every_row_is_on_screen_at_1920x1080_with_the_measures_open(make_window, qtbot):
    w = make_window(weights=f"{SHIPPED}/tiny-max.pt")
    fit_screen(w, QRect(0, 0, 1920, 1080), first=True)
    _shown(w, qtbot)
    qtbot.waitUntil(lambda: w.grid.bands == 2, timeout=5000)
    assert w.measures_dock.isVisible()
    seen = w.grid.view.viewRect()
    assert len(w.grid.cells) == 4 * 8
    for key, item in w.grid.cells.items():
        assert seen.contains(item.cell), key           # all 8 rows, every column
    cell = next(iter(w.grid.cells.values())).cell
    on_screen = w.grid.view.mapViewToDevice(cell).boundingRect()
    assert on_screen.height() >= 90                   # and large enough to read


def test_the_live_tab_row_names_never_touch(make_window, qtbot):
    w = make_window(weights=f"{SHIPPED}/tiny-max.pt", measure_every=1, measure_budget=0.5)
    fit_screen(w, QRect(0, 0, 1280, 720), first=True)
    _shown(w, qtbot)
    live = w.measures_panel.live
    qtbot.waitUntil(lambda: live.profile is not None, timeout=30_000)
    live.redraw(force=True)
    axis = live.profile.getAxis("bottom")
    shown = [s for _, s in axis._tickLevels[0]]
    width = live.profile.getViewBox().width()
    assert 0 < len(shown) <= len(live._tick_rows)
    assert len(shown) * (7 * max(len(s) for s in shown) + 10) <= width + 7 * 12
