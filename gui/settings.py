"""The window's settings: read at start (the command line first, then what was saved, then the
defaults) and saved when it closes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from engine import (
    DEFAULT_VARIANTS,
    RESOURCES,
    EngineConfig,
    config_from_args,
    default_weights,
    display_threads,
)

SHIPPED = str(RESOURCES / "checkpoints")

MEASURE_EVERY = 3  # live measures: a small job at most every 3rd frame (and within the
                   # engine's time budget, so the display rate holds)
DEFAULTS = {"model": "tiny", "variants": ",".join(DEFAULT_VARIANTS), "device": "auto",
            "norm": "shared", "colormap": "viridis"}


def make_config(args, settings) -> tuple[EngineConfig, str | None]:
    """Engine settings and source: the command line first, then saved settings, then defaults."""
    saved = {name: settings.value(name, DEFAULTS.get(name)) for name in ("model", "device")}
    saved["variants"] = tuple(v for v in str(settings.value("variants", DEFAULTS["variants"]))
                              .split(",") if v)
    same_model = getattr(args, "model", None) in (None, settings.value("model"))
    layers = settings.value("layers") if same_model and settings.value("layers") else None
    saved["layers"] = tuple(str(layers).split(",")) if layers else None
    config = config_from_args(
        args, saved, norm=str(settings.value("norm", "shared")),
        colormap=str(settings.value("colormap", "viridis")),
        fit=getattr(args, "fit", None) or str(settings.value("fit", "crop")),
        gamma=float(settings.value("gamma", 0.5)), max_side=384, measure_every=MEASURE_EVERY,
        circular=bool(getattr(args, "circular", False)),
        variants=tuple(getattr(args, "variants", None) or saved["variants"]),  # "" too: saved
        threads=getattr(args, "threads", None) or display_threads())
    if config.trained is None and config.weights is None and config.model == "tiny":
        choice = str(settings.value("weights_choice", "shared"))
        if choice == "trained" and Path(SHIPPED).is_dir():   # each variant trained its own way
            config = replace(config, trained=SHIPPED)
        elif choice == "shared":   # the default: trained max weights in every column
            config = replace(config, weights=default_weights("tiny"))
    source = getattr(args, "source", None) or settings.value("source") or None
    return config, source


def save_settings(window, s) -> None:
    """Save what :func:`make_config` reads back, and the window's geometry, to ``s``."""
    s.setValue("geometry", window.saveGeometry())
    s.setValue("windowState", window.saveState())
    s.setValue("export_folder", window.export_folder)
    s.setValue("npz", window.controls.npz.isChecked())
    if window.source_info is not None:
        s.setValue("source", window.source_info.name)
    if window.info is not None:
        s.setValue("model", window.info.model)
        s.setValue("variants", ",".join(window.info.variants))
        s.setValue("layers", ",".join(ly.name for ly in window.info.layers))
    s.setValue("norm", window.config.norm)
    s.setValue("fit", window.config.fit)
    s.setValue("colormap", window.config.colormap)
    s.setValue("gamma", window.config.gamma)
    s.setValue("device", window.config.device)
    s.setValue("trained", window.config.trained or "")
    s.setValue("weights_choice", "trained" if window.config.trained else "shared"
               if window.config.weights == default_weights("tiny") else "other")
    s.sync()
