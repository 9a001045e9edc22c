"""The desktop explorer's entry point: settings, the window and its session."""

from __future__ import annotations

import sys

from gui.settings import MEASURE_EVERY, SHIPPED, make_config  # noqa: F401 - main.py, tests


def fit_screen(window, screen, first: bool) -> None:
    """Keep the window on the screen: the first time it takes most of the screen, and a saved
    geometry larger than this screen is brought inside it."""
    from PySide6.QtCore import Qt

    from gui.measure_actions import DOCK_HEIGHT

    frame = window.frameGeometry().size() - window.size()  # the window manager's decorations
    w, h = screen.width() - frame.width(), screen.height() - frame.height()
    if first:
        window.resize(int(0.97 * w), int(0.95 * h))
        window.resizeDocks([window.measures_dock], [min(DOCK_HEIGHT, int(0.34 * h))],
                           Qt.Orientation.Vertical)   # on a small screen the maps keep room
    elif window.width() > w or window.height() > h:
        window.resize(min(window.width(), w), min(window.height(), h))
    if first or not screen.contains(window.frameGeometry().topLeft()):
        window.move(screen.topLeft())


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
    fit_screen(window, app.primaryScreen().availableGeometry(), geometry is None)
    state = settings.value("windowState")
    if state is not None:
        window.restoreState(state)
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    window.start()
    return app.exec()
