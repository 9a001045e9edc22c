"""The session a window drives, with no window: the source, the engine, the live view, exports
and probes, driven by frozen commands (``commands.py``) and run by one loop (``loop.py``) in a
thread or a child process (``child.py``, with the pipe's packing in ``wire.py``)."""
