"""The map each variant samples at each downsampling site, at stride 1.

Polyphase dispersion and the alias-energy fraction are properties of the map *just before*
stride sampling: after an operator's filter (the dense max, the box of avg-pool, the blur),
before keeping one position in ``stride``. Variants that stride directly (a conv with the pool's
stride folded in, or a strided conv kept as it is) never compute that map; for them a hook
computes the same conv at stride 1, with its pointwise ops, on the conv's real input: the
"throttled stride-1 pass" runs only on measure frames.

:class:`SiteTap` hooks a variant's model so that, during one forward pass, every site's
``entering`` map (what reaches the site, before any filter) and ``presample`` map (what the
stride then samples) are kept for the first item of the batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from engine.network.downsamplers import SiteOp
from engine.network.module_facts import dense
from engine.network.places import Site
from engine.network.trace import Trace


@dataclass(frozen=True)
class SiteMaps:
    """One site's maps for one image: before the operator, and what its stride samples."""

    entering: torch.Tensor   # (C, H, W)
    presample: torch.Tensor  # (C, H', W'), stride 1
    stride: tuple[int, int]


def fold_chain(tr: Trace, site: Site) -> list[str]:
    """Module paths of the pointwise ops between a pool site and the conv before it."""
    modules = tr.modules
    pool = tr.node(site.path)
    n = tr.producer(pool.inputs[0], pool.start) if pool.inputs else None
    chain: list[str] = []
    while n is not None and n.pointwise(modules):
        if n.path is not None:
            chain.insert(0, n.path)
        n = tr.producer(n.inputs[0], n.start) if n.inputs else None
    return chain


class SiteTap:
    """Context manager: while open, ``maps[site path]`` gets the site's :class:`SiteMaps`.

    Parameters
    ----------
    model : nn.Module
        A variant's model (made by :func:`engine.network.rewrite.make_variant`).
    sites : list of Site
        The plain network's sites.
    changed : dict
        The variant's ``changed`` (site path -> module path where its change takes effect).
    trace : Trace
        The plain network's trace (for the ops between a conv and a folded pool).
    """

    def __init__(self, model: nn.Module, sites: list[Site], changed: dict[str, str],
                 trace: Trace):
        self.maps: dict[str, SiteMaps] = {}
        self._plans = []
        modules = dict(model.named_modules())
        ops = {m.site_path: m for m in modules.values() if isinstance(m, SiteOp)}
        for s in sites:
            if s.path in ops:                       # the variant's own op does the sampling
                self._plans.append((s, ops[s.path], "op", []))
            elif changed.get(s.path, s.path) != s.path:  # the pool's stride went into a conv
                conv = changed[s.path]
                self._plans.append((s, modules[conv], "conv", fold_chain(trace, s)))
            elif s.kind == "pool":                  # the plain pool, kept
                self._plans.append((s, modules[s.path], "pool", []))
            else:                                   # the plain strided conv, kept
                chain = [c for c in s.chain if c in modules] if s.kind == "conv" else []
                self._plans.append((s, modules[s.path], "conv", chain))
        self._modules = modules
        self._handles: list = []
        self.kinds = {s.path: _describe(module, how) for s, module, how, _ in self._plans}

    def __enter__(self) -> SiteTap:
        for site, module, how, chain in self._plans:
            self._handles.append(module.register_forward_pre_hook(
                self._hook(site, module, how, chain)))
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def _hook(self, site: Site, module: nn.Module, how: str, chain: list[str]):
        def hook(mod, args):
            if site.path in self.maps:
                return  # a module called again: the site is its first call
            x = args[0][:1]
            if how == "op":
                layers = list(module)
                y = x
                for layer in layers[:-1]:
                    y = layer.forward(y)
                entering, presample = x, dense(layers[-1], y)
            elif how == "pool":
                entering, presample = x, dense(module, x)
            else:
                y = dense(module, x)
                for path in chain:  # forward(), not __call__: no capture hook may fire
                    y = self._modules[path].forward(y)
                entering = presample = y
            self.maps[site.path] = SiteMaps(entering[0], presample[0], site.geometry.stride)
        return hook


def _describe(module: nn.Module, how: str) -> str:
    """What the stride samples at a site, in words ("dense max 2x2", "the conv at stride 1")."""
    def name(m: nn.Module) -> str:
        if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            k = m.kernel_size if isinstance(m.kernel_size, tuple) else (m.kernel_size,) * 2
            return f"{'max' if isinstance(m, nn.MaxPool2d) else 'average'} {k[0]}x{k[1]}"
        short = m.short() if hasattr(m, "short") else type(m).__name__
        return re.sub(r",? ?stride \d+,? ?", "", short).replace("()", "")
    if how == "pool":
        return f"dense {name(module)} (stride 1)"
    if how == "op":
        return "dense " + " then ".join(name(m) for m in module) + " (stride 1)"
    return "the conv at stride 1"
