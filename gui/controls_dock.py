"""The Controls dock: the controls panel in a vertical scroll area, on the window's right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QScrollArea


def controls_dock(window, controls) -> QDockWidget:
    """The Controls dock on the right of ``window``: ``controls`` in a vertical scroll area."""
    scroll = QScrollArea()
    scroll.setWidget(controls)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    dock = QDockWidget("Controls", window)
    dock.setObjectName("controls")
    dock.setWidget(scroll)
    dock.setMinimumWidth(controls.minimumSizeHint().width() + 24)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    return dock
