"""A model that fails while it is built, traced or run: one line that names the module where it
failed, and the whole traceback in a log file that the line names.

The log folder is ``$POOLSCOPE_LOG_DIR`` if set, else ``~/.cache/poolscope/logs``; each failure
gets a file of its own, never overwritten.
"""

from __future__ import annotations

import os
import traceback
from datetime import datetime
from pathlib import Path

from torch import nn

from engine.errors import ModelError, PoolScopeError


def log_dir() -> Path:
    return Path(os.environ.get("POOLSCOPE_LOG_DIR") or Path.home() / ".cache/poolscope/logs")


def failure(e: BaseException, model: nn.Module | None, what: str) -> ModelError:
    """The one-line :class:`ModelError` for ``e``, raised while doing ``what`` with ``model``.

    The line says what was being done, the path of the innermost module of ``model`` whose
    code was running, the error, and where its traceback was written.
    """
    path = module_path(e, model)
    where = f" in {path or 'the model itself'}" if path is not None else ""
    text = str(e).strip().splitlines()
    line = f"{what}{where}: {type(e).__name__}" + (f": {text[0]}" if text else "")
    log = write_log(e, line)
    return ModelError(line + (f" (traceback in {log})" if log else ""))


def one_line(e: BaseException) -> str:
    """A PoolScopeError's own line; any other error with its type, on one line."""
    text = str(e) if isinstance(e, PoolScopeError) else f"{type(e).__name__}: {e}"
    return text.splitlines()[0] if text.strip() else type(e).__name__


def module_path(e: BaseException, model: nn.Module | None) -> str | None:
    """The path in ``model`` of the innermost module on ``e``'s traceback ("" for the root),
    or None if none of its modules was running."""
    if model is None:
        return None
    paths = {id(m): p for p, m in model.named_modules()}
    found = None
    tb = e.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        me = tb.tb_frame.f_locals.get(code.co_varnames[0]) if code.co_argcount else None
        if isinstance(me, nn.Module) and id(me) in paths:
            found = paths[id(me)]
        tb = tb.tb_next
    return found


_LOGGED: dict[str, Path] = {}  # line -> its log: a model failing on every frame logs once


def write_log(e: BaseException, line: str) -> Path | None:
    """Write ``line`` and ``e``'s whole traceback to a new file; its path (None if it could
    not be written: the line is still the error). The same line again gets the same file."""
    if line in _LOGGED and _LOGGED[line].is_file():
        return _LOGGED[line]
    folder = log_dir()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"error-{stamp}.log"
        with open(path, "x", encoding="utf-8") as f:
            f.write(line + "\n\n")
            f.write("".join(traceback.format_exception(type(e), e, e.__traceback__)))
    except OSError:
        return None
    _LOGGED[line] = path
    return path
