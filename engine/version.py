"""PoolScope's version (one place; the export record and ``engine.__version__`` read it)."""

__version__ = "0.1.0"
