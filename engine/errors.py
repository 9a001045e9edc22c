"""The one family of user-facing errors: each carries a one-line message naming what failed."""


class PoolScopeError(Exception):
    """Base of every error the user should see as one line (exit status 2 on the CLI)."""


class SourceError(PoolScopeError):
    """A frame source could not be opened or stopped delivering frames."""


class ModelError(PoolScopeError):
    """A network, variant or checkpoint could not be built or loaded."""


class ExportError(PoolScopeError):
    """An export folder or file could not be written."""
