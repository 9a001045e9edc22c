"""Lift functional calls in ``forward()`` out into layers, so the rewrite can treat them as such.

Many networks pool with ``F.max_pool2d`` in ``forward()`` (VGG-like code, tutorials), or end a
strided conv's pointwise ops with a functional ReLU straight into ``torch.cat``. Neither is a
module, so neither can be replaced, hooked or captured. Lifting gives each one a child module
of the module whose ``forward`` makes the call:

* a downsampling pool call (stride > 1) is *replaced* by the equivalent ``nn.MaxPool2d`` /
  ``nn.AvgPool2d`` (``F_max_pool2d_0``: the module's first max-pool call), which is then a site
  like any other, with a row, a line in ``info`` and ``record.json``;
* a functional op that ends a strided conv's chain is *followed* by a :class:`Point` (an
  identity), where that conv's row is taken and the variants put their op.

A forward hook on the calling module runs its ``forward`` under a ``TorchFunctionMode`` that
counts the module's own calls of each lifted function (:func:`engine.network.calls.owner`, the
same rule the trace counts by) and routes the chosen ones through the children. Nothing is
lifted unless the network computes exactly the same with the lift as without it.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from engine.network import calls
from engine.network.trace import Node, Trace, tensors


class Point(nn.Identity):
    """Where a functional call's output is taken (a row), and where a variant puts its op."""


@dataclass(frozen=True)
class Lift:
    """One functional call to route through a child of the module that makes it."""

    owner: str         # module path whose forward makes the call ("" for the whole model)
    name: str          # the function's name as torch reports it (max_pool2d, relu, ...)
    index: int         # its count among that module's calls of the function
    child: str         # the name of the child standing for it
    action: str        # "replace": the child computes the call; "after": the child follows it
    module: nn.Module


class _Route(TorchFunctionMode):
    """Inside one ``forward`` of ``host``: its lifted calls go through its children."""

    def __init__(self, host: nn.Module, plan: dict):
        super().__init__()
        self.host, self.plan = host, plan
        self.names = {name for name, _ in plan}
        self.count: dict[str, int] = defaultdict(int)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name not in self.names or calls.owner() is not self.host:
            return func(*args, **kwargs)
        k = self.count[name]
        self.count[name] += 1
        target = self.plan.get((name, k))
        if target is None:
            return func(*args, **kwargs)
        child, action = target
        module = getattr(self.host, child)
        if action == "replace":
            return module(args[0] if args else kwargs["input"])
        return module(func(*args, **kwargs))


class RouteHooks:
    """The pair of forward hooks (before and, always, after) that route a module's calls."""

    def __init__(self, plan: dict):
        self.plan = plan  # (function name, index) -> (child, action)
        self.active: list[_Route] = []

    def pre(self, module, args) -> None:
        route = _Route(module, self.plan)
        route.__enter__()
        self.active.append(route)

    def post(self, module, args, out) -> None:
        if self.active:  # a hook before ours may have failed before ours ran
            self.active.pop().__exit__(None, None, None)


def plan(tr: Trace, points: list[Node]) -> tuple[list[Lift], list[str]]:
    """What to lift in the traced network: its downsampling pool calls (in any module's
    forward, or inside a childless module's) and ``points``; and a line for each call that
    cannot be lifted."""
    lifts, refused = [], []
    modules = tr.modules
    pools = [n for n in (*tr.nodes, *tr.hidden)
             if n.path is None and n.params is not None and calls.downsamples(n.params)]
    for n, action in [*((n, "replace") for n in pools), *((n, "after") for n in points)]:
        host = modules.get(n.owner) if n.owner is not None else None
        where = n.owner or "the model"
        if isinstance(host, nn.MaxPool2d | nn.AvgPool2d):
            continue  # a pool layer's own call: the layer is the site
        why = ("it is called outside any module's forward" if host is None else
               f"{where} is itself a conv" if isinstance(host, nn.Conv2d) else
               f"{where} runs every child in turn (a Sequential)"
               if isinstance(host, nn.Sequential) else
               f"{where} runs more than once per forward pass" if tr.calls[n.owner] > 1
               else "")
        if why:
            refused.append(f"functional {n.name} #{n.index} in {where} cannot be rewritten: "
                           f"{why}")
            continue
        module = calls.pool_module(n.name, n.params) if action == "replace" else Point()
        lifts.append(Lift(n.owner, n.name, n.index, f"F_{n.name}_{n.index}", action, module))
    return lifts, refused


def apply(model: nn.Module, lifts: list[Lift]) -> None:
    """Add the lifts' children and routing hooks to ``model`` (in place)."""
    by_owner: dict[str, list[Lift]] = defaultdict(list)
    for lift in lifts:
        by_owner[lift.owner].append(lift)
    for path, group in by_owner.items():
        host = model.get_submodule(path) if path else model
        for lift in group:
            host.add_module(lift.child, copy.deepcopy(lift.module))
        hooks = RouteHooks({(x.name, x.index): (x.child, x.action) for x in group})
        host.register_forward_pre_hook(hooks.pre)
        host.register_forward_hook(hooks.post, always_call=True)


def lift(model: nn.Module, lifts: list[Lift],
         check: torch.Tensor) -> tuple[nn.Module, list[str]]:
    """A copy of ``model`` with those ``lifts`` applied that keep it computing exactly what
    it computes on ``check`` and whose children really run (module by module); and a line for
    each module whose lifts were refused."""
    if not lifts:
        return model, []
    with torch.no_grad():
        want = tensors(model(check))
    hosts = list(dict.fromkeys(x.owner for x in lifts))
    kept, refused = [], []
    for host in ([hosts] if _works(model, lifts, check, want) is None else [[h] for h in hosts]):
        group = [x for x in lifts if x.owner in host]
        why = _works(model, group, check, want) if len(host) == 1 else None
        if why:
            names = ", ".join(f"{x.name} #{x.index}" for x in group)
            refused.append(f"functional {names} in {host[0] or 'the model'} cannot be "
                           f"rewritten: {why}")
        else:
            kept += group
    if not kept:
        return model, refused
    lifted = copy.deepcopy(model)
    apply(lifted, kept)
    return lifted, refused


def _works(model: nn.Module, lifts: list[Lift], check: torch.Tensor, want) -> str | None:
    """None if ``lifts`` keep ``model`` computing ``want`` and each lifted child runs once;
    else why not."""
    lifted = copy.deepcopy(model)
    apply(lifted, lifts)
    ran: dict[str, int] = defaultdict(int)
    handles = []
    for x in lifts:
        host = lifted.get_submodule(x.owner) if x.owner else lifted
        child = getattr(host, x.child)
        handles.append(child.register_forward_hook(
            lambda *_, key=(x.owner, x.child): ran.__setitem__(key, ran[key] + 1)))
    try:
        with torch.no_grad():
            got = tensors(lifted(check))
    except Exception as e:  # noqa: BLE001 - the lift broke the forward pass
        return f"with them as layers the forward pass fails ({type(e).__name__}: {e})"
    finally:
        for h in handles:
            h.remove()
    if any(ran[(x.owner, x.child)] != 1 for x in lifts):
        return "their calls do not pass through the module's call (its forward run directly?)"
    if len(want) != len(got) or not all(torch.equal(a, b) for a, b in zip(want, got,
                                                                           strict=True)):
        return "the network computes otherwise with them as layers"
    return None
