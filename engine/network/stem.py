"""Rows that several variants compute alike, computed once (a shared stem).

Variants differ only from their first changed site on, so up to there their maps are the very
same (:meth:`engine.network.load.Network.identical_rows`). A variant whose maps up to a row are
those of a variant run before it can start its forward pass from that variant's map at the
row: the modules that run wholly before it are swapped, for that pass only, for stubs that
return the map (their hooks, and any change a variant hung on them, already ran in the source's
pass). At 224 px the tiny network's first conv is shared by max, avg and blur: about a tenth
of a frame's forward passes.

A cut is taken only where it is exact: at a row taken after a module called once, that is not
changed in place later, with nothing after it reading anything from before it but that map
(checked on the plain network's dataflow trace, :mod:`engine.network.trace`), and only if a
pass so started gives the very same maps and output as a whole pass on a random input while
leaving the source's map as it was. Variants trained separately share nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from engine.network.capture import Capture
from engine.network.rows import Layer
from engine.network.trace import Trace, tensors


@dataclass(frozen=True)
class Stem:
    """A variant's pass starts from ``source``'s map at ``row``; the maps of ``rows`` (every
    captured row up to it) are the source's."""

    source: str
    row: str
    rows: tuple[str, ...]
    stubs: tuple[str, ...]   # paths of the modules skipped (the top-most ones)

    @contextmanager
    def skipping(self, model: nn.Module, start: torch.Tensor) -> Iterator[None]:
        """While open, ``model``'s modules before the row return the (C, H, W) map ``start``
        as a batch of one without running."""
        # a batch's own strides: ``start[None]`` would give the batch dimension a stride that
        # makes channels-last maps look ambiguous, and pools then take a path 5-10x slower
        stub = _Stub(start.as_strided((1, *start.shape), (start.numel(), *start.stride())))
        swapped = []
        try:
            for path in self.stubs:
                parent, name = _parent(model, path)
                swapped.append((parent, name, parent._modules[name]))
                parent._modules[name] = stub
            yield
        finally:
            for parent, name, module in reversed(swapped):
                parent._modules[name] = module


class _Stub(nn.Module):
    def __init__(self, out: torch.Tensor):
        super().__init__()
        self.out = out

    def forward(self, *args, **kwargs) -> torch.Tensor:
        return self.out


def plan(tr: Trace, layers: list[Layer] | tuple[Layer, ...], groups: dict[str, list[list[str]]],
         order: tuple[str, ...]) -> dict[str, Stem]:
    """Per variant, the latest exact cut among ``layers`` (the rows captured, in forward order)
    from a variant earlier in ``order`` (see the module docstring; not yet checked by a pass)."""
    fixed = {id(t) for t in (*tr.model.parameters(), *tr.model.buffers())}
    stems: dict[str, Stem] = {}
    for v in order[1:]:
        best, first = None, None
        for i, layer in enumerate(layers):
            source = _source(groups, layer.name, v, order)
            first = first or source
            if source is None or source != first:
                break   # from here on this variant differs (or its source does)
            stubs = None if layer.clone else cut(tr, layer, fixed)
            if stubs is not None:
                best = Stem(source, layer.name, tuple(ly.name for ly in layers[: i + 1]), stubs)
        if best is not None:
            stems[v] = best
    return stems


def _source(groups, row: str, v: str, order: tuple[str, ...]) -> str | None:
    """The first variant in ``order`` with ``v``'s very maps at ``row``, if it runs before."""
    group = next((g for g in groups.get(row, []) if v in g), [v])
    first = min(group, key=order.index)
    return None if first == v else first


def cut(tr: Trace, layer: Layer, fixed: set[int] | None = None) -> tuple[str, ...] | None:
    """The top-most modules that run wholly before ``layer``'s map is taken, if skipping them
    leaves the rest of the pass exactly as it was; else None."""
    point = layer.point
    if point.when != "post" or tr.calls[point.path] != 1:
        return None
    if fixed is None:
        fixed = {id(t) for t in (*tr.model.parameters(), *tr.model.buffers())}
    node = tr.node(point.path)
    t, tid = node.final_end, node.final
    before = [n for n in tr.nodes if n.end <= t]
    # what the rest may read: the map, the weights, and what is made after the map
    ok = fixed | {tid} | {i for n in tr.nodes if n.end > t for i in (n.output, n.final)}
    for n in tr.nodes:
        if n.start > t and (not ok.issuperset(n.inputs) or (tid in n.inputs and n.inplace)):
            return None   # the rest reads something from before, or changes the map in place
    late = {n.path for n in tr.nodes if n.path and max(n.end, n.final_end) > t}
    done = {n.path for n in before if n.path} - late
    top = tuple(p for p in sorted(done) if not any(p.startswith(q + ".") for q in done))

    def inside(p: str | None) -> bool:
        return p is not None and any(p == q or p.startswith(q + ".") for q in top)
    if not top or not all(inside(n.path if n.path else n.owner) for n in before):
        return None   # something before the row runs outside the modules skipped
    return top


def checked(stems: dict[str, Stem], models: dict[str, nn.Module],
            layers: list[Layer] | tuple[Layer, ...], probe: torch.Tensor) -> dict[str, Stem]:
    """The stems whose pass, on ``probe``, gives the very maps and output of a whole pass and
    leaves the source's map unchanged."""
    kept = {}
    with torch.inference_mode():
        for v, stem in stems.items():
            try:
                if _exact(v, stem, models, layers, probe):
                    kept[v] = stem
            except Exception:  # noqa: BLE001, S112 - a pass so started fails: no stem
                continue
    return kept


def _exact(v: str, stem: Stem, models: dict[str, nn.Module], layers, probe) -> bool:
    row = next(ly for ly in layers if ly.name == stem.row)
    with Capture(models[stem.source], [row]) as cap:
        models[stem.source](probe)
    start = cap.maps[stem.row]
    before = start.clone()
    with Capture(models[v], layers) as whole:
        out = models[v](probe)
    tail = [ly for ly in layers if ly.name not in stem.rows]
    with Capture(models[v], tail) as part, stem.skipping(models[v], start):
        got = models[v](probe)
    return torch.equal(start, before) and _equal(out, got) and all(
        torch.equal(whole.maps[ly.name], part.maps[ly.name]) for ly in tail)


def _equal(a, b) -> bool:
    a, b = tensors(a), tensors(b)
    return len(a) == len(b) and all(x.shape == y.shape and torch.equal(x, y)
                                    for x, y in zip(a, b, strict=True))


def stems_for(net, models: dict[str, nn.Module], layers, groups, device: torch.device,
              memory_format=torch.contiguous_format) -> dict[str, Stem]:
    """The checked stems of ``models`` (the engine's variants, run in this order, on
    ``device``) for the captured ``layers``."""
    found = plan(net.trace, layers, groups, tuple(models))
    if not found:
        return {}
    g = torch.Generator().manual_seed(0)
    probe = torch.randn(tuple(net.probe().shape), generator=g)
    return checked(found, models, layers,
                   probe.to(device).contiguous(memory_format=memory_format))


def _parent(model: nn.Module, path: str) -> tuple[nn.Module, str]:
    head, _, name = path.rpartition(".")
    return (model.get_submodule(head) if head else model), name
