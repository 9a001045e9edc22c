"""LutImage: what Qt paints is the lookup table applied to the uint8 image, pixel for pixel."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF

from engine.display.colormaps import colormap
from gui.lut_image import LutImage, color_table


def _painted(qtbot, item: LutImage, size=(200, 100)) -> np.ndarray:
    """Paint ``item`` filling a view of ``size`` px and return the RGB pixels."""
    w = pg.GraphicsLayoutWidget()
    qtbot.addWidget(w)
    w.ci.layout.setContentsMargins(0, 0, 0, 0)
    box = w.addViewBox(invertY=True, enableMenu=False)
    box.addItem(item)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    box.setRange(QRectF(0, 0, item.width(), item.height()), padding=0)
    img = w.grab().toImage()
    return np.array([[img.pixelColor(x, y).getRgb()[:3] for x in range(img.width())]
                     for y in range(img.height())], dtype=np.uint8)


def test_color_table_packs_rgb_into_argb():
    table = color_table(np.array([[1, 2, 3]] * 256, np.uint8))
    assert len(table) == 256 and table[0] == 0xFF010203


def test_an_indexed_image_is_painted_through_the_lookup_table(qtbot):
    lut = colormap("magma").lut
    image = np.array([[0, 255], [60, 200]], np.uint8)
    item = LutImage(lut)
    item.setImage(image)
    px = _painted(qtbot, item)
    h, w = px.shape[:2]
    for (r, c), value in np.ndenumerate(image):   # the centre of each image pixel's square
        y, x = int((r + 0.5) * h / 2), int((c + 0.5) * w / 2)
        assert np.abs(px[y, x].astype(int) - lut[value]).max() <= 1
    assert np.array_equal(item.rendered(), lut[image])


def test_a_new_table_recolours_the_same_image_and_rgb_shows_as_it_is(qtbot):
    item = LutImage(colormap("magma").lut)
    item.setImage(np.full((4, 4), 128, np.uint8))
    gray = colormap("grey").lut
    item.setLookupTable(gray)
    px = _painted(qtbot, item)
    assert np.abs(px[50, 100].astype(int) - gray[128]).max() <= 1
    rgb = np.zeros((3, 3, 3), np.uint8)
    rgb[..., 1] = 200
    item = LutImage()
    item.setImage(rgb)
    assert np.abs(_painted(qtbot, item)[50, 100].astype(int) - [0, 200, 0]).max() <= 1
    assert item.image.shape == (3, 3, 3) and item.rendered()[0, 0].tolist() == [0, 200, 0]


def test_set_rect_stretches_the_image_and_bad_shapes_are_refused():
    item = LutImage()
    item.setImage(np.zeros((10, 20), np.uint8))
    item.setRect(QRectF(5, 5, 40, 20))
    assert item.mapRectToParent(item.boundingRect()) == QRectF(5, 5, 40, 20)
    item.setImage(np.zeros((5, 10), np.uint8))                   # a new resolution: same place
    assert item.mapRectToParent(item.boundingRect()) == QRectF(5, 5, 40, 20)
    with pytest.raises(ValueError):
        item.setImage(np.zeros((4, 4, 2), np.uint8))


def test_a_new_frame_is_painted_not_the_copy_of_the_last(qtbot):
    """The 32-bit copy made at a paint is dropped by a new frame and by a new table."""
    lut, gray = colormap("magma").lut, colormap("grey").lut
    item = LutImage(lut)
    item.setImage(np.full((4, 4), 10, np.uint8))
    w = pg.GraphicsLayoutWidget()
    qtbot.addWidget(w)
    box = w.addViewBox(invertY=True, enableMenu=False)
    box.addItem(item)
    w.resize(200, 100)
    w.show()
    qtbot.waitExposed(w)
    box.setRange(QRectF(0, 0, 4, 4), padding=0)

    def centre() -> list[int]:
        img = w.grab().toImage()
        return list(img.pixelColor(img.width() // 2, img.height() // 2).getRgb()[:3])

    assert np.abs(np.subtract(centre(), lut[10])).max() <= 1
    item.setImage(np.full((4, 4), 240, np.uint8))     # same size: same indexed QImage
    assert np.abs(np.subtract(centre(), lut[240])).max() <= 1
    item.setLookupTable(gray)
    assert np.abs(np.subtract(centre(), gray[240])).max() <= 1
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 2] = 150
    item.setImage(rgb)
    assert np.abs(np.subtract(centre(), [0, 0, 150])).max() <= 1
