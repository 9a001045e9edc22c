"""The grid's labels are kept as pixmaps, and a label whose text changes is drawn anew."""

import numpy as np
from PySide6.QtWidgets import QGraphicsItem

from gui.grid import FeatureGrid


def _pixels(g: FeatureGrid, item) -> np.ndarray:
    """The grid's painted pixels under ``item`` (RGB), now."""
    rect = g.mapFromScene(item.sceneBoundingRect()).boundingRect()
    img = g.grab(rect).toImage()
    return np.array([[img.pixelColor(x, y).getRgb()[:3] for x in range(img.width())]
                     for y in range(img.height())], np.uint8)


def test_a_cached_label_shows_its_new_text(window):
    """(No event is handled between the two texts and grabs: no new frame comes between.)"""
    g = window.grid
    label = g.range_labels[g.rows_on_screen[0]]
    assert label.cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache
    label.setText("shared range\n0 … 1")
    before = _pixels(g, label)
    assert before.max() > 100                      # the text is drawn, light on the dark
    label.setText("shared range\n-7.25 … 3.5e+04")
    after = _pixels(g, label)
    assert after.shape[:2] != before.shape[:2] or np.abs(
        after.astype(int) - before.astype(int)).max() > 100
