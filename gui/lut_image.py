"""A light image item for per-frame display: one QImage over the array, coloured by Qt.

``pg.ImageItem`` converts every new image in Python (levels, a colour table rebuilt from its
lookup table, a QImage) and that was most of the GUI thread's time per frame. ``LutImage``
shows a uint8 array as a QImage: a single-channel image is an indexed image
whose colour table is the engine's 256-entry lookup table, so Qt colours it in C++, and only
the cells on screen are ever coloured. A new frame of the same size is copied into the same
QImage (its table is set once). RGB images are shown as they are.

Qt draws an indexed (or 24-bit) image by converting all of it on every paint, which cost
about five times a blit of the same pixels (7.2 against 1.5 ms a paint for fifteen 300-px
cells in a 1920x1080 offscreen view on these machines; converting one costs 0.05 ms). So the
first paint after a new frame or table converts the image once to 32-bit RGB, and later
paints (a pan, a hover, an overlay) blit that copy.

Item coordinates are image pixels (x right, y down), as with ``pg.ImageItem``; ``setRect``
places the image in its view, so hover and click positions stay in pixels.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QTransform

GREY = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)


def color_table(lut: np.ndarray) -> list[int]:
    """A Qt colour table (0xAARRGGBB ints) from a (256, 3) uint8 RGB lookup table."""
    c = np.asarray(lut, np.uint32)
    return (0xFF000000 | (c[:, 0] << 16) | (c[:, 1] << 8) | c[:, 2]).tolist()


class LutImage(pg.GraphicsObject):
    """Shows a (H, W) uint8 image through a lookup table, or a (H, W, 3) uint8 RGB image.

    ``image`` is the array shown (kept alive: the QImage shares its memory); ``lut`` the
    (256, 3) table; ``rendered()`` the RGB pixels as painted.
    """

    def __init__(self, lut: np.ndarray | None = None):
        super().__init__()
        self.image: np.ndarray | None = None
        self.lut = GREY
        self._table = color_table(GREY)
        self._qimage: QImage | None = None
        self._buf: np.ndarray | None = None  # the indexed QImage's own pixels, as an array
        self._rect: QRectF | None = None
        self._shown: QImage | None = None  # ``_qimage`` in 32-bit RGB, made at the first paint
        if lut is not None:
            self.setLookupTable(lut)

    def setLookupTable(self, lut: np.ndarray) -> None:  # noqa: N802 - pyqtgraph naming
        if lut is self.lut:
            return
        self.lut = lut
        self._table = color_table(lut)
        if self._qimage is not None and self._qimage.format() == QImage.Format.Format_Indexed8:
            self._qimage.setColorTable(self._table)
            self._shown = None
            self.update()

    def setImage(self, image: np.ndarray, lut: np.ndarray | None = None) -> None:  # noqa: N802
        """Show ``image`` (uint8, (H, W) or (H, W, 3)); ``lut`` replaces the table if given."""
        if lut is not None:
            self.setLookupTable(lut)
        image = np.ascontiguousarray(image, dtype=np.uint8)
        if image.ndim == 3 and image.shape[2] == 1:
            image = image[:, :, 0]
        if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
            raise ValueError(f"LutImage takes (H, W) or (H, W, 3) uint8, got {image.shape}")
        resized = self.image is None or self.image.shape[:2] != image.shape[:2]
        h, w = image.shape[:2]
        q = self._qimage
        if image.ndim == 2 and not resized and q is not None and self._buf is not None:
            self._buf[:, :w] = image  # same size: new pixels into the same QImage and table
        elif image.ndim == 2:
            q = QImage(w, h, QImage.Format.Format_Indexed8)
            q.setColorTable(self._table)
            self._buf = np.ndarray((h, q.bytesPerLine()), np.uint8, buffer=q.bits())
            self._buf[:, :w] = image
        else:  # RGB: a QImage over the array itself (kept alive in ``image``)
            q = QImage(image.data, w, h, image.strides[0], QImage.Format.Format_RGB888)
            self._buf = None
        if resized:
            self.prepareGeometryChange()
        self.image, self._qimage, self._shown = image, q, None
        if resized and self._rect is not None:
            self.setRect(self._rect)
        self.update()

    def clear(self) -> None:
        self.prepareGeometryChange()
        self.image, self._qimage, self._buf, self._shown = None, None, None, None
        self.update()

    def setRect(self, rect: QRectF) -> None:  # noqa: N802 - pyqtgraph naming
        """Stretch the image over ``rect`` of the parent's coordinates."""
        self._rect = QRectF(rect)
        h, w = self.image.shape[:2] if self.image is not None else (1, 1)
        tr = QTransform()
        tr.translate(rect.left(), rect.top())
        tr.scale(rect.width() / w, rect.height() / h)
        self.setTransform(tr)

    def width(self) -> int:
        return 0 if self.image is None else self.image.shape[1]

    def height(self) -> int:
        return 0 if self.image is None else self.image.shape[0]

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(0, 0, self.width(), self.height())

    def paint(self, painter, *args) -> None:
        if self._qimage is None:
            return
        if self._shown is None:
            self._shown = self._qimage.convertToFormat(QImage.Format.Format_RGB32)
        painter.drawImage(QRectF(0, 0, self.width(), self.height()), self._shown)

    def rendered(self) -> np.ndarray | None:
        """The RGB pixels this item paints (the lookup table applied), for tests and copies."""
        if self.image is None:
            return None
        return self.image.copy() if self.image.ndim == 3 else self.lut[self.image]
