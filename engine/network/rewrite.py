"""Make a variant of any plain network by rewriting its downsampling sites with an operator.

One mechanism for every network: copy the plain module (sharing its parameter tensors, so all
variants have identical weights), then at each site either replace the pooling layer, or set the
strided conv to stride 1 and apply the operator's layers at the site's point through a forward
hook. The plain network's module paths and state-dict keys are kept.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field

from torch import nn

from engine.errors import ModelError
from engine.network.convs import keep_size, pad_for_stride_1
from engine.network.downsamplers import SiteOp
from engine.network.operators import OPERATORS, Operator
from engine.network.places import Site

OP_CHILD = "poolscope_op"  # an op a hook applies lives as this child of its host module


@dataclass
class Variant:
    """A rewritten copy of the plain network and what was done at each site."""

    name: str
    operator: Operator
    model: nn.Module
    notes: dict[str, str] = field(default_factory=dict)  # site path -> what it became
    changed: dict[str, str] = field(default_factory=dict)  # site path -> module path where the
    # change takes effect (the site itself, or the conv a stride was folded into)


class ApplyAfter:
    """Forward hook: the module's output goes through ``op``."""

    def __init__(self, op: nn.Module):
        self.op = op

    def __call__(self, module, args, output):
        return self.op(output)


class ApplyBefore:
    """Forward pre-hook: the module's first input goes through ``op``."""

    def __init__(self, op: nn.Module):
        self.op = op

    def __call__(self, module, args):
        return (self.op(args[0]), *args[1:])


def operator(name: str) -> Operator:
    """An instance of the registered operator ``name``."""
    try:
        return OPERATORS[name]()
    except KeyError:
        raise ModelError(f"unknown variant {name!r} (known: {', '.join(OPERATORS)})") from None


def shared_copy(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` whose parameters and buffers are the very same tensors."""
    memo = {id(t): t for t in itertools.chain(model.parameters(), model.buffers())}
    return copy.deepcopy(model, memo)


def make_variant(plain: nn.Module, sites: list[Site], name: str) -> Variant:
    """Rewrite a shared-weights copy of ``plain`` with the operator called ``name``.

    Parameters
    ----------
    plain : nn.Module
        The network as written (any CNN); left untouched.
    sites : list of Site
        Its downsampling sites (:func:`engine.network.sites.find_sites`).
    name : str
        A registered operator (``plain``, ``max``, ``avg``, ``stride``, ``blur``, ...).
    """
    op = operator(name)
    model = shared_copy(plain)
    modules = dict(model.named_modules())
    v = Variant(name, op, model)
    for site in sites:
        if site.kind == "pool":
            if op.folds_into_conv and site.fold:
                conv = modules[site.fold]
                conv.stride = tuple(a * b for a, b in zip(conv.stride, site.geometry.stride,
                                                          strict=True))
                _set_module(model, site.path, nn.Identity())
                v.notes[site.path] = (f"stride folded into {site.fold} "
                                      f"(now stride {conv.stride[0]}); pool removed")
                v.changed[site.path] = site.fold
                continue
            layers = op.pool(site)
            if layers == []:  # removed: no downsampling here
                _set_module(model, site.path, nn.Identity())
                v.changed[site.path] = site.path
            elif layers is not None:
                _set_module(model, site.path, SiteOp(*layers, site=site, after_conv=False))
                v.changed[site.path] = site.path
            v.notes[site.path] = op.describe(site) + (f" ({site.note})" if site.note and
                                                      op.folds_into_conv else "")
            continue
        layers = op.conv(site) if site.kind == "conv" else op.shortcut(site)
        v.notes[site.path] = op.describe(site)
        if layers is None:
            continue
        conv = modules[site.path]
        at_stride_1(conv)
        v.changed[site.path] = site.path
        if not layers:  # nothing after the conv: no downsampling here, the map keeps its size
            keep_size(conv)
            continue
        sop = SiteOp(*layers, site=site, after_conv=True)
        if site.kind == "shortcut":
            _attach(conv, "pre", sop)
        else:
            _attach(modules[site.point.path], site.point.when, sop)
    return v


def at_stride_1(conv: nn.Conv2d) -> None:
    """Run ``conv`` at stride 1 from now on (in place).

    A conv that pads through a child pad module (TF-"SAME" ports, which size it for one input
    and stride) gets that padding worked out again for stride 1
    (:func:`engine.network.convs.pad_for_stride_1`), so the stride-1 map has the size and
    alignment of a stride-1 SAME conv. A conv that pads in ``forward()`` from its stride needs
    nothing.
    """
    conv.stride = (1, 1)
    pad_for_stride_1(conv)


def _attach(host: nn.Module, when: str, op: nn.Module) -> None:
    """Run ``op`` on ``host``'s input ("pre") or output ("post") through a hook.

    The op is registered as a child of its host so it moves with ``.to(device)`` and its
    parameters (the learned operator's) are in the state dict; hosts are leaf layers whose
    forward never iterates their children, unlike a Sequential root would.
    """
    name = OP_CHILD
    while name in dict(host.named_children()):
        name += "_"
    host.add_module(name, op)
    if when == "post":
        host.register_forward_hook(ApplyAfter(op))
    else:
        host.register_forward_pre_hook(ApplyBefore(op))


def _set_module(model: nn.Module, path: str, new: nn.Module) -> None:
    parent_path, _, attr = path.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    setattr(parent, attr, new)
