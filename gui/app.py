"""The desktop explorer's entry point: settings, the window and the worker thread."""

from __future__ import annotations

import sys
from pathlib import Path

from engine import DEFAULT_VARIANTS, RESOURCES, EngineConfig, display_threads

SHIPPED = str(RESOURCES / "checkpoints")

MEASURE_EVERY = 3  # live measures: a small job at most every 3rd frame (and within the
                   # engine's time budget, so the display rate holds)
DEFAULTS = {"model": "tiny", "variants": ",".join(DEFAULT_VARIANTS), "device": "auto",
            "norm": "shared", "colormap": "viridis"}


def make_config(args, settings) -> tuple[EngineConfig, str | None]:
    """Engine settings and source: the command line first, then saved settings, then defaults."""
    def pick(name, cli_value):
        if cli_value is not None:
            return cli_value
        return settings.value(name, DEFAULTS.get(name))

    model = pick("model", getattr(args, "model", None))
    variants = getattr(args, "variants", None) or str(pick("variants", None)).split(",")
    same_model = getattr(args, "model", None) in (None, settings.value("model"))
    layers = settings.value("layers") if same_model and settings.value("layers") else None
    config = EngineConfig(
        model=model, variants=tuple(v for v in variants if v),
        layers=tuple(str(layers).split(",")) if layers else None,
        device=pick("device", getattr(args, "device", None)),
        input_size=getattr(args, "input_size", None),
        norm=str(settings.value("norm", "shared")),
        colormap=str(settings.value("colormap", "viridis")),
        gamma=float(settings.value("gamma", 0.5)),
        seed=getattr(args, "seed", None) or 0,
        weights=getattr(args, "weights", None),
        trained=getattr(args, "trained", None),
        mean=getattr(args, "mean", None),
        std=getattr(args, "std", None),
        max_side=384,
        measure_every=MEASURE_EVERY,
        circular=bool(getattr(args, "circular", False)),
        threads=getattr(args, "threads", None) or display_threads(),
    )
    if (config.trained is None and config.weights is None and config.model == "tiny"
            and settings.value("trained", SHIPPED) == SHIPPED and Path(SHIPPED).is_dir()):
        config.trained = SHIPPED  # open on the shipped, really trained variants
    source = getattr(args, "source", None) or settings.value("source") or None
    return config, source


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
