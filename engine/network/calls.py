"""Which module made a functional call, and what a functional pooling call asks for.

A torch function called in a module's ``forward()`` (``F.max_pool2d``, ``F.relu``) belongs to that
module: the innermost module whose ``forward`` frame is on the stack when it is called. A call
made by a module's hooks (PoolScope's own taps and captures among them) belongs to no module's
forward. The trace records calls so (:func:`owner`), and the lifted calls of
:mod:`engine.network.functional` are matched the same way at run time, so both count a module's
own calls alike.
"""

from __future__ import annotations

import sys

from torch import nn

from engine.network.places import pair

MAX_POOLS = {"max_pool2d", "max_pool2d_with_indices"}
AVG_POOLS = {"avg_pool2d"}
POOLS = MAX_POOLS | AVG_POOLS

_MAX_ARGS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
_AVG_ARGS = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
             "divisor_override")
_MAX_DEFAULTS = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False,
                 "return_indices": False}
_AVG_DEFAULTS = {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True,
                 "divisor_override": None}


def owner(depth: int = 2) -> nn.Module | None:
    """The module whose ``forward`` made the current call; None outside any module's forward,
    or in a module's hooks (met first: its ``_call_impl`` frame, not its ``forward``)."""
    frame = sys._getframe(depth)
    while frame is not None:
        code = frame.f_code
        if code.co_name in ("forward", "_call_impl") and code.co_argcount:
            me = frame.f_locals.get(code.co_varnames[0])  # ``self``, whatever it is called
            if isinstance(me, nn.Module):
                return me if code.co_name == "forward" else None
        frame = frame.f_back
    return None


def pool_params(name: str, args: tuple, kwargs: dict) -> dict | None:
    """The keyword form of a functional pooling call's arguments (None for other calls)."""
    if name not in POOLS:
        return None
    names, defaults = (_MAX_ARGS, _MAX_DEFAULTS) if name in MAX_POOLS else (_AVG_ARGS,
                                                                           _AVG_DEFAULTS)
    params = dict(defaults)
    params.update(zip(names, args[1:], strict=False))
    params.update({k: v for k, v in kwargs.items() if k in names})
    if name == "max_pool2d_with_indices":
        params["return_indices"] = True
    if params["stride"] is None or params["stride"] == []:
        params["stride"] = params["kernel_size"]
    return params


def pool_module(name: str, params: dict) -> nn.Module:
    """The pooling module that computes what the functional call computes."""
    if name in MAX_POOLS:
        return nn.MaxPool2d(**params)
    return nn.AvgPool2d(**params)


def downsamples(params: dict) -> bool:
    """True if the pooling call reduces resolution (a stride above 1 on either axis)."""
    return max(pair(params["stride"])) > 1
