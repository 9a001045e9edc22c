"""PoolScope's Qt widgets, and the transports (a thread or a child process) to the session."""
