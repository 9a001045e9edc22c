"""PoolScope Qt widgets and the worker that drives the engine."""
