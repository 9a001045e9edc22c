"""The help overlay (F1 or ?): every keyboard shortcut, drawn over the window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QWidget

SHORTCUTS = [
    ("Space", "freeze / unfreeze the current frame"),
    ("← → ↑ ↓", "while frozen: nudge the input by one pixel"),
    ("Shift + arrows", "while frozen: nudge by a quarter pixel (bilinear)"),
    ("Home", "undo the nudges"),
    (".", "step a video one frame"),
    ("M", "mirror the camera"),
    ("F", "fit the grid to the window (wheel zooms, drag pans)"),
    ("click a mosaic", "follow that channel in every variant in the zoom strip, and select "
                       "the unit: its receptive fields (Measures dock)"),
    ("Ctrl+O / Ctrl+Shift+O", "open a file / a folder (or drop one on the window)"),
    ("Ctrl+S", "save a screenshot of the window"),
    ("Ctrl+E", "export the frame on screen: mosaics, sheet, JSON (and .npz)"),
    ("Ctrl+Shift+C", "copy the labelled sheet to the clipboard"),
    ("Ctrl+R", "record the labelled sheet to a video (again to stop)"),
    ("F1 or ?", "show / hide this help"),
    ("Ctrl+Q", "quit"),
]


class HelpOverlay(QLabel):
    """A translucent panel over its parent; click or press F1 / ? / Esc to close."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        rows = "".join(f"<tr><td style='padding:3px 18px 3px 0'><b>{k}</b></td><td>{v}</td></tr>"
                       for k, v in SHORTCUTS)
        self.setText(f"<h2>PoolScope keys</h2><table>{rows}</table>"
                     "<p>Columns are downsampling variants of one network; rows are layers. "
                     "By default every column has the same trained weights (tiny's max "
                     "network), so only the operator differs and channel k is the same "
                     "feature in each; under Weights, \"trained separately\" gives each "
                     "variant its own training (then channels do not compare). Freeze, then "
                     "nudge: strided maps jitter, blur-pooled maps stay steady; the Aligned "
                     "error tab takes the motion out, the Phases tab shows which sampling "
                     "phase each variant keeps.</p>")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background: rgba(10, 10, 14, 225); color: #f0f0f0; "
                           "font-size: 12pt; padding: 30px; border-radius: 8px;")
        self.hide()
        parent.installEventFilter(self)

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self._fit()
            self.show()
            self.raise_()

    def _fit(self) -> None:
        p = self.parentWidget()
        w, h = min(760, p.width() - 40), min(620, p.height() - 40)
        self.setGeometry((p.width() - w) // 2, (p.height() - h) // 2, w, h)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._fit()
        return False

    def mousePressEvent(self, event):  # noqa: N802 - Qt API
        self.hide()

    def keyPressEvent(self, event):  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
        else:
            super().keyPressEvent(event)
