"""The desktop explorer's entry point: settings, the window and its session."""

from __future__ import annotations

import sys

from gui.settings import MEASURE_EVERY, SHIPPED, make_config  # noqa: F401 - main.py, tests


def run(args, settings=None) -> int:
    """Open the main window and run the Qt event loop; returns the exit status."""
    import pyqtgraph as pg
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from engine import list_cameras
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("PoolScope")
    app.setOrganizationName("PoolScope")
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
    settings = settings or QSettings()
    config, source = make_config(args, settings)
    window = MainWindow(config, source, settings, cameras=list_cameras(),
                        export_folder=settings.value("export_folder"))
    geometry = settings.value("geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(1600, 980)
    state = settings.value("windowState")
    if state is not None:
        window.restoreState(state)
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    window.start()
    return app.exec()
