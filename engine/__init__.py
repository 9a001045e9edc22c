"""PoolScope engine: everything that is not a widget. Never imports Qt or pyqtgraph."""

__version__ = "0.1.0"
