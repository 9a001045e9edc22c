"""Find the downsampling sites of any plain network from its forward trace.

Matching is by type (``nn.Conv2d`` and its subclasses, ``nn.MaxPool2d``, ``nn.AvgPool2d``) and
stride, never by our own classes, so the same analysis serves users' models. The value types
(:class:`Site`, :class:`Point`, :class:`Geometry`) are in :mod:`engine.network.places`.
"""

from __future__ import annotations

from torch import nn

from engine.network.places import Geometry, Point, Site, pair
from engine.network.trace import Node, Trace


def find_sites(tr: Trace, wanted: list[Node] | None = None) -> tuple[list[Site], list[str]]:
    """All downsampling sites of the traced network, in forward order, and warnings.

    Returns
    -------
    sites : list of Site
    warnings : list of str
        Downsampling that cannot be rewritten (a strided conv called more than once).

    ``wanted``, if given, gets the functional ops that end a strided conv's pointwise chain
    with no module after them: where :mod:`engine.network.functional` should put a point.
    Functional pooling is lifted into modules before this runs (see ``functional.plan``).
    """
    modules = tr.modules
    sites: list[Site] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for n in tr.nodes:
        if n.path is None:
            continue
        if not n.leaf or n.path in seen:
            continue
        m = modules[n.path]
        if isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
            g = Geometry(pair(m.kernel_size), pair(m.stride or m.kernel_size),
                         pair(m.padding), bool(m.ceil_mode))
            if max(g.stride) > 1:
                seen.add(n.path)
                sites.append(_pool_site(tr, n, m, g, modules))
        elif isinstance(m, nn.Conv2d) and max(pair(m.stride)) > 1:
            seen.add(n.path)
            if tr.calls[n.path] > 1:
                warnings.append(f"{n.path}: strided conv called {tr.calls[n.path]} times per "
                                "forward pass; left as it is")
                continue
            site, last = _conv_site(tr, n, m, modules)
            sites.append(site)
            if wanted is not None and site.note and last is not None and last.path is None:
                wanted.append(last)
    return sites, warnings


def _pool_site(tr: Trace, n: Node, m: nn.Module, g: Geometry, modules) -> Site:
    kind = "max" if isinstance(m, nn.MaxPool2d) else "avg"
    indices = bool(getattr(m, "return_indices", False))
    fold, note = ((None, "returns indices for an unpooling layer: subsampled") if indices
                  else _fold_target(tr, n, g, modules))
    return Site(n.path, "pool", g, n.in_shape[1:], n.out_shape[1:], Point(n.path), kind,
                fold=fold, note=note, indices=indices)


def _conv_site(tr: Trace, n: Node, m: nn.Conv2d, modules) -> tuple[Site, Node | None]:
    k = pair(m.kernel_size)
    kind = "shortcut" if k == (1, 1) and pair(m.padding) == (0, 0) else "conv"
    g = Geometry(k, pair(m.stride), pair(m.padding) if not isinstance(m.padding, str)
                 else (0, 0))
    chain, point, note = chain_end(tr, n, modules)
    out = tr.node(point.path)
    shape = out.out_shape if point.when == "post" else out.in_shape
    site = Site(n.path, kind, g, n.in_shape[1:], shape[1:], point,
                chain=tuple(c.path or c.name for c in chain), note=note)
    return site, (chain[-1] if chain else None)


def chain_end(tr: Trace, start: Node, modules) -> tuple[list[Node], Point, str]:
    """Follow ``start``'s output through pointwise ops (BN, ReLU, ...) used by nothing else.

    Returns the pointwise nodes, the :class:`Point` just after them, and a note when that point
    could only be approximated (the ops are shared or functional).
    """
    t, last, chain = start.output, start, []
    while True:
        users = tr.users(t, last.end)
        if not users:
            break
        first = users[0]
        if first.pointwise(modules) and (first.inplace or len(users) == 1):
            chain.append(first)
            last, t = first, first.output
            continue
        break
    end = chain[-1] if chain else start
    if end.path is not None and tr.calls[end.path] == 1:
        return chain, Point(end.path, "post"), ""
    users = tr.users(t, last.end)
    if len(users) == 1 and users[0].path is not None and tr.calls[users[0].path] == 1:
        return chain, Point(users[0].path, "pre"), ""
    usable = [c for c in [start, *chain] if c.path is not None and tr.calls[c.path] == 1]
    if not usable:  # a conv in a block that runs more than once: its first call
        return chain, Point(start.path, "post"), f"{start.path} runs more than once"
    host = usable[-1]
    skipped = [c.path or c.name for c in chain[chain.index(host) + 1:]] if host in chain \
        else [c.path or c.name for c in chain]
    note = f"taken after {host.path}, before {', '.join(skipped)}" if skipped else ""
    return chain, Point(host.path, "post"), note


def _fold_target(tr: Trace, pool: Node, g: Geometry, modules) -> tuple[str | None, str]:
    """The conv whose stride a pool site can absorb, or None with the reason."""
    t = pool.inputs[0] if pool.inputs else None
    n = tr.producer(t, pool.start)
    chain: list[Node] = []
    while n is not None and n.pointwise(modules):
        chain.insert(0, n)
        n = tr.producer(n.inputs[0], n.start) if n.inputs else None
    if n is None or n.path is None or not isinstance(modules[n.path], nn.Conv2d):
        return None, "no conv right before it: subsampled"
    conv = modules[n.path]
    if tr.calls[n.path] > 1 or tr.calls[pool.path] > 1:
        return None, f"{n.path} or the pool is called more than once: subsampled"
    if max(pair(conv.stride)) > 1:  # folding would change that site's own row
        return None, f"{n.path} is itself a strided-conv site: subsampled"
    if isinstance(conv.padding, str):
        return None, f"{n.path} uses padding={conv.padding!r}: subsampled"
    ids = {n.output, *(c.output for c in chain)}
    allowed = {id(c) for c in chain} | {id(pool)}
    for u in tr.nodes:
        if u.leaf and u.start > n.end and ids & set(u.inputs) and id(u) not in allowed:
            return None, f"{n.path}'s output is also used by {u.path or u.name}: subsampled"
    offsets = [(k - 1) // 2 - p for k, p in zip(g.kernel, g.padding, strict=True)]
    h1, w1 = n.out_shape[-2:]
    folded = tuple(-(-a // s) for a, s in zip((h1, w1), g.stride, strict=True))
    if any(offsets) or folded != tuple(pool.out_shape[-2:]):
        return None, "pool windows are not centred on the conv's strided grid: subsampled"
    return n.path, ""
