"""The desktop explorer's entry point (a placeholder window until the GUI issue lands)."""

from __future__ import annotations

import sys


def run(args) -> int:
    """Open the main window and run the Qt event loop; returns the exit status."""
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("PoolScope")
    label = QLabel("PoolScope\n\nThe live explorer is on its way.\n"
                   "Meanwhile: python main.py export --source pattern:shapes --out exports/")
    label.setMargin(40)
    window.setCentralWidget(label)
    window.resize(640, 360)
    window.show()
    return app.exec()
