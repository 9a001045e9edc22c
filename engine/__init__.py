"""PoolScope's engine: everything that is not a widget. It never imports Qt or pyqtgraph.

This module is the engine's public face: the names below are what the window (``gui/``) may
use, and the only way it reaches the engine (an import contract in ``pyproject.toml`` says so).
The command line and the tests may also import the rooms themselves:

==================  ==========================================================================
``engine.sources``  the frame contract, camera, video, images, patterns, the opener registry
``engine.network``  trace, sites, rows, downsampling modules, operators, rewrite, loading, cost
``engine.display``  mosaics, colour maps, the labelled sheet
``engine.measures`` metric functions, the metric catalogue, the meter, site taps, probes
``engine.output``   exports, CSV/JSON records, tables
``engine.train``    training each variant separately, datasets
``engine.engine``   :class:`Engine`: one synchronous ``step(frame) -> FrameResult``
==================  ==========================================================================

Names are loaded on first use (PEP 562), so importing ``engine`` for one of them does not load
torch for the others. :data:`_FACE` is the list: name -> the module that defines it.
"""

from __future__ import annotations

import importlib

from engine.version import __version__

_FACE = {
    # the engine and its results
    "Engine": "engine.engine", "EngineConfig": "engine.engine", "FrameResult": "engine.engine",
    "Prediction": "engine.engine", "LayerView": "engine.display.views",
    "Measures": "engine.measures.meter",
    # errors: one family, one line each
    "PoolScopeError": "engine.errors", "SourceError": "engine.errors",
    "ModelError": "engine.errors", "ExportError": "engine.errors",
    # colour tables and the mosaic layout
    "COLORMAPS": "engine.display.colormaps", "DEFAULT_COLORMAP": "engine.display.colormaps",
    "colormap": "engine.display.colormaps", "NORM_MODES": "engine.display.mosaic",
    "GAP": "engine.display.mosaic", "grid_for": "engine.display.mosaic",
    "mosaic_size": "engine.display.mosaic", "shrink_for": "engine.display.mosaic",
    "make_sheet": "engine.display.sheet",
    # the metric catalogue
    "METRICS": "engine.measures.catalogue", "Metric": "engine.measures.catalogue",
    "NETWORK_ROW": "engine.measures.catalogue",
    # the variant catalogue and the built-in networks
    "OPERATORS": "engine.network.operators", "DEFAULT_VARIANTS": "engine.network.load",
    "NETWORKS": "engine.network.nets", "RESOURCES": "engine.network.load",
    # sources
    "open_source": "engine.sources.openers", "open_default": "engine.sources.openers",
    "list_cameras": "engine.sources.camera", "PATTERNS": "engine.sources.patterns",
    "Frame": "engine.sources.frames", "FrameSource": "engine.sources.frames",
    "fit_frame": "engine.sources.preprocess", "shift_image": "engine.sources.preprocess",
    # what the window's worker asks for besides frames (until the session moves here)
    "export_frame": "engine.output.export", "new_export_dir": "engine.output.export",
    "shift_probe": "engine.measures.probes", "ProbeResult": "engine.measures.probes",
    "receptive_field": "engine.measures.probes", "spectrum": "engine.measures.probes",
    "difference": "engine.measures.probes", "ERF": "engine.measures.probes",
    "Throttle": "engine.measures.throttle", "display_threads": "engine.device",
}

__all__ = ["__version__", *_FACE]


def __getattr__(name: str):
    module = _FACE.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

