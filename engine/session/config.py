"""Engine settings from command-line options, written once for every command and the window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

from engine.engine import EngineConfig

OPTION = {"colormap": "cmap"}  # EngineConfig field -> its command-line option, where they differ


def config_from_args(args, fallback: Mapping[str, object] | None = None,
                     **fixed) -> EngineConfig:
    """The :class:`EngineConfig` the options in ``args`` give.

    Parameters
    ----------
    args : argparse.Namespace (or any object)
        The parsed options; an option that is absent or None is not given.
    fallback : mapping, optional
        Field -> value for fields the options leave open (the window's saved settings).
    **fixed
        Fields set whatever the options say.
    """
    fallback = fallback or {}
    values = {}
    for f in fields(EngineConfig):
        given = getattr(args, OPTION.get(f.name, f.name), None)
        if given is None:
            given = fallback.get(f.name)
        if given is not None:
            values[f.name] = given
    values.update(fixed)
    for name in ("variants", "layers"):
        if values.get(name) is not None:
            values[name] = tuple(values[name])
    return EngineConfig(**values)
