"""PoolScope's engine: everything that is not a widget. It never imports Qt or pyqtgraph.

This module is the engine's public face: the names below are what the window (``gui/``) may
use, and the only way it reaches the engine (an import contract in ``pyproject.toml`` says so):
the session and its commands and messages, the engine's results, colour tables, the metric
catalogue and the variant catalogue.
The command line and the tests may also import the rooms themselves:

==================  ==========================================================================
``engine.sources``  the frame contract, camera, video, images, patterns, the opener registry
``engine.network``  trace, sites, rows, downsampling modules, operators, rewrite, loading, cost
``engine.display``  mosaics, colour maps, the labelled sheet
``engine.measures`` metric functions, the metric catalogue, the meter, site taps, probes
``engine.output``   exports, CSV/JSON records, tables
``engine.train``    training each variant separately, datasets
``engine.engine``   :class:`Engine`: one synchronous ``step(frame) -> FrameResult``
``engine.session``  :class:`Session`: what a window drives, by commands, in a thread or process
==================  ==========================================================================

Names are loaded on first use (PEP 562), so importing ``engine`` for one of them does not load
torch for the others. :data:`_FACE` is the list: name -> the module that defines it.
"""

from __future__ import annotations

import importlib

from engine.version import __version__

_COMMANDS = ("SetSource", "Freeze", "Nudge", "ResetNudge", "StepFrame", "Seek", "Mirror",
             "Rebuild", "SetView", "Viewport", "Zoom", "SelectUnit", "ShowSpectrum",
             "ShowDifference", "ShowAligned", "ShowPhases", "ShiftProbe", "Export", "EngineRate",
             "Ask", "KEEP")
_MESSAGES = ("Shown", "EngineInfo", "SourceInfo", "Failed", "Exported", "ProbeDone",
             "EngineRated", "Answered")

_FACE = {
    # the engine and its results
    "Engine": "engine.engine", "EngineConfig": "engine.config", "FrameResult": "engine.result",
    "Prediction": "engine.result", "LayerView": "engine.display.views",
    "Measures": "engine.measures.tally", "ProbeResult": "engine.measures.probes",
    "config_from_args": "engine.session.config",
    # the session: the commands it takes, what it answers, and how it runs
    **{name: "engine.session.commands" for name in _COMMANDS},
    **{name: "engine.session.messages" for name in _MESSAGES},
    "Session": "engine.session.session", "run_session": "engine.session.loop",
    "STOP": "engine.session.loop", "serve_session": "engine.session.child",
    "unpack_shown": "engine.session.wire", "ShownReceiver": "engine.session.shared",
    # errors: one family, one line each
    "PoolScopeError": "engine.errors", "SourceError": "engine.errors",
    "ModelError": "engine.errors", "ExportError": "engine.errors",
    # colour tables and the mosaic layout
    "COLORMAPS": "engine.display.colormaps", "DEFAULT_COLORMAP": "engine.display.colormaps",
    "colormap": "engine.display.colormaps", "NORM_MODES": "engine.display.mosaic",
    "VARIANT_COLORS": "engine.display.colormaps", "variant_color": "engine.display.colormaps",
    "GAP": "engine.display.mosaic", "grid_for": "engine.display.mosaic",
    "mosaic_size": "engine.display.mosaic", "shrink_for": "engine.display.mosaic",
    "make_sheet": "engine.display.sheet", "VideoWriter": "engine.output.video",
    # the metric catalogue
    "METRICS": "engine.measures.catalogue", "Metric": "engine.measures.catalogue",
    "NETWORK_ROW": "engine.measures.catalogue",
    # the variant catalogue, the built-in networks, what ships, and the machine
    "OPERATORS": "engine.network.operators", "DEFAULT_VARIANTS": "engine.network.load",
    "NETWORKS": "engine.network.nets", "RESOURCES": "engine.network.load",
    "default_weights": "engine.network.load", "PUBLISHED": "engine.network.hub",
    "wilson": "engine.answers.stats",
    # the questions of ``ask``, for the window's guide
    "questions": "engine.answers.asking", "ask": "engine.answers.asking",
    "ask_into": "engine.answers.asking",
    "Setup": "engine.answers.base", "calculate": "engine.answers.calculator",
    "parse_matrix": "engine.answers.calculator", "answer_text": "engine.answers.report",
    "PATTERNS": "engine.sources.patterns", "list_cameras": "engine.sources.camera",
    "display_threads": "engine.device", "spare_core": "engine.busy_core",
}
_ALIASES = {"run_session": "run", "serve_session": "serve", "unpack_shown": "unpack",
            "parse_matrix": "parse", "answer_text": "text"}

__all__ = ["__version__", *_FACE]


def __getattr__(name: str):
    module = _FACE.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _ALIASES.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

