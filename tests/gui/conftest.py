"""pytest-qt fixtures: a real PoolScope window (offscreen) on a built-in pattern."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from engine.engine import EngineConfig  # noqa: E402
from gui.main_window import DISPLAY_MAX_SIDE, MainWindow  # noqa: E402
from gui.transport import TransportSignals  # noqa: E402

pg.setConfigOptions(imageAxisOrder="row-major")


@pytest.fixture(autouse=True)
def no_thread_left_running():
    yield
    running = [t for t in list(TransportSignals.instances) if t.running()]
    for t in running:
        t.stop()
    assert not running, "a test left the session running (its thread or process)"


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, settings, tmp_path):
    made = []

    def make(source="pattern:shapes", engine_process=True, **config):
        cfg = EngineConfig(max_side=DISPLAY_MAX_SIDE, device="cpu", **config)
        w = MainWindow(cfg, source, settings, cameras=[], export_folder=str(tmp_path / "exp"),
                       engine_process=engine_process)
        qtbot.addWidget(w)
        w.resize(1400, 900)
        w.show()
        w.start()
        made.append(w)
        return w

    yield make
    for w in made:
        w.shutdown()


@pytest.fixture
def window(make_window, qtbot):
    w = make_window()
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=30_000)
    return w
