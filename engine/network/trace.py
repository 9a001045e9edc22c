"""A dataflow trace of one forward pass: every module call and every torch function between them.

The trace is what the rewrite, the layer list and ``info`` read: which module produced which
tensor and who used it, the shapes, the receptive field of every tensor and the cost of every
layer. It runs once per network build, on a probe input, never per frame.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from engine.network import calls
from engine.network.module_facts import cost, rf_geometry
from engine.network.receptive import RF

POINTWISE_MODULES = (
    nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU,
    nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish, nn.Hardswish, nn.Hardsigmoid,
    nn.Sigmoid, nn.Tanh, nn.Hardtanh, nn.Softplus, nn.Identity, nn.Dropout, nn.Dropout2d,
)
POINTWISE_FUNCTIONS = {
    "relu", "relu_", "relu6", "gelu", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid",
    "leaky_relu", "leaky_relu_", "elu", "selu", "hardtanh", "mish", "softplus", "dropout",
    "clamp", "clamp_", "clone", "contiguous", "batch_norm",
}


@dataclass
class Node:
    """One call: a module (``path`` set) or a torch function outside any leaf module."""

    start: int
    end: int
    name: str                      # module class name or function name
    path: str | None = None        # module path; None for a function
    leaf: bool = True
    inputs: tuple[int, ...] = ()   # ids of the input tensors
    output: int | None = None      # id of the first output tensor
    in_shape: tuple[int, ...] = ()
    out_shape: tuple[int, ...] = ()
    macs: int = 0
    params: int = 0
    version: int = 0               # the output's version counter when the call ended
    final: int | None = None       # id of the output after the module's forward hooks ran
    final_end: int = 0             # sequence number once those hooks ran
    own_shape: tuple[int, ...] = ()  # a module: its own output's shape, before its hooks ran
    owner: str | None = None       # a function: the path of the module whose forward called it
    index: int = 0                 # a function: its count among that module's calls of it
    params: dict | None = None     # a functional pooling call: its arguments (calls.pool_params)

    @property
    def inplace(self) -> bool:
        return self.output is not None and self.output in self.inputs

    def pointwise(self, modules: dict[str, nn.Module]) -> bool:
        if self.path is not None:
            return self.leaf and isinstance(modules[self.path], POINTWISE_MODULES)
        return self.name in POINTWISE_FUNCTIONS


@dataclass
class Trace:
    """The recorded forward pass of ``model`` on one probe input."""

    model: nn.Module
    nodes: list[Node] = field(default_factory=list)
    output: object = None
    rf: dict[int, RF] = field(default_factory=dict)
    calls: Counter = field(default_factory=Counter)
    hidden: list[Node] = field(default_factory=list)  # downsampling pool calls inside layers
    _keep: list = field(default_factory=list, repr=False)

    @property
    def modules(self) -> dict[str, nn.Module]:
        return dict(self.model.named_modules())

    def node(self, path: str) -> Node:
        """The (first) call of the module at ``path``."""
        return next(n for n in self.nodes if n.path == path)

    def producer(self, tid: int, before: int) -> Node | None:
        """The last leaf/function node ending before ``before`` whose output is ``tid``."""
        best = None
        for n in self.nodes:
            if n.leaf and n.output == tid and n.end < before:
                best = n
        return best

    def users(self, tid: int, after: int) -> list[Node]:
        """Leaf and function nodes starting after ``after`` that read ``tid``."""
        return [n for n in self.nodes if n.leaf and n.start > after and tid in n.inputs]


LEAF_TYPES = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def is_leaf(module: nn.Module) -> bool:
    """A layer: a conv or pool by type (whatever children it pads with, as TF-"SAME" ports
    do), or a module with no children but the ops a variant hung on it (``poolscope_op*``)."""
    return isinstance(module, LEAF_TYPES) or all(
        name.startswith("poolscope_op") for name, _ in module.named_children())


def tensors(obj) -> list[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, list | tuple):
        return [t for o in obj for t in tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in tensors(o)]
    return []


class _Recorder(TorchFunctionMode):
    def __init__(self, trace: Trace, state: dict):
        super().__init__()
        self.trace, self.state = trace, state
        self.paths = {id(m): p for p, m in trace.model.named_modules()}
        self.counts: Counter = Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if self.state["in_hook"]:
            return out
        if self.state["leaf_depth"]:  # inside a layer: only a pool it calls, to lift it out
            name = getattr(func, "__name__", "")
            if name in calls.POOLS:
                self._hidden(name, args, kwargs)
            return out
        outs, ins = tensors(out), tensors((args, kwargs))
        if outs and ins:
            self.state["seq"] += 1
            s = self.state["seq"]
            name = getattr(func, "__name__", str(func))
            who = self.paths.get(id(calls.owner()))
            index = self.counts[(who, name)]
            self.counts[(who, name)] += 1
            self.trace.nodes.append(Node(s, s, name, inputs=tuple(id(t) for t in ins),
                                         output=id(outs[0]), in_shape=tuple(ins[0].shape),
                                         out_shape=tuple(outs[0].shape),
                                         version=outs[0]._version, owner=who, index=index,
                                         params=calls.pool_params(name, args, kwargs)))
            self.trace._keep.extend(outs + ins)
        return out

    def _hidden(self, name: str, args, kwargs) -> None:
        who = self.paths.get(id(calls.owner()))
        index = self.counts[(who, name)]
        self.counts[(who, name)] += 1
        params = calls.pool_params(name, args, kwargs)
        if calls.downsamples(params):
            self.state["seq"] += 1
            self.trace.hidden.append(Node(self.state["seq"], self.state["seq"], name,
                                          owner=who, index=index, params=params))


def trace(model: nn.Module, x: torch.Tensor) -> Trace:
    """Run ``model(x)`` once under ``no_grad`` and record its dataflow.

    Parameters
    ----------
    model : nn.Module
        Any module; hooks are added for the pass and always removed.
    x : torch.Tensor
        A probe input of the size the network will see.

    Returns
    -------
    Trace
        Nodes in call order, call counts per module path, the model output, and the
        receptive field of every recorded tensor.
    """
    tr = Trace(model)
    state = {"seq": 0, "leaf_depth": 0, "in_hook": False}
    open_calls: dict[int, list[tuple[int, bool]]] = {}  # module -> [(start, nested), ...]
    finishing: dict[int, list[Node | None]] = {}
    handles = []

    def pre(path, leaf):
        def hook(module, args):
            state["in_hook"] = True
            state["seq"] += 1
            nested = state["leaf_depth"] > 0  # a child a layer calls (its padding): not a node
            open_calls.setdefault(id(module), []).append((state["seq"], nested))
            if leaf and not nested:
                state["leaf_depth"] += 1
            state["in_hook"] = False
        return hook

    def post(path, leaf):
        # Runs before any other forward hook: records the module's own output, and leaves the
        # leaf first so that ops a variant applies in its hooks are recorded as calls too.
        def hook(module, args, out):
            start, nested = open_calls[id(module)].pop()
            if nested:
                finishing.setdefault(id(module), []).append(None)
                return
            state["in_hook"] = True
            if leaf:
                state["leaf_depth"] -= 1
            state["seq"] += 1
            ins, outs = tensors(args), tensors(out)
            node = Node(start, state["seq"], type(module).__name__, path,
                        leaf, tuple(id(t) for t in ins), id(outs[0]) if outs else None,
                        tuple(ins[0].shape) if ins else (), tuple(outs[0].shape) if outs else ())
            if outs:
                node.version = outs[0]._version
                node.own_shape = node.out_shape
            if leaf and outs:
                node.macs, node.params = cost(module, outs[0])
            tr.nodes.append(node)
            finishing.setdefault(id(module), []).append(node)
            tr.calls[path] += 1
            tr._keep.extend(ins + outs)
            state["in_hook"] = False
        return hook

    def after_hooks(module, args, out):
        # Runs after every other forward hook: the output the rest of the network sees.
        node = finishing[id(module)].pop()
        if node is None:
            return
        state["in_hook"] = True
        outs = tensors(out)
        state["seq"] += 1
        node.final, node.final_end = (id(outs[0]) if outs else None), state["seq"]
        node.out_shape = tuple(outs[0].shape) if outs else node.out_shape
        tr._keep.extend(outs)
        state["in_hook"] = False

    for path, m in model.named_modules():
        if not path:
            continue
        leaf = is_leaf(m)
        handles.append(m.register_forward_pre_hook(pre(path, leaf)))
        handles.append(m.register_forward_hook(post(path, leaf), prepend=True))
        handles.append(m.register_forward_hook(after_hooks))
    try:
        with torch.no_grad(), _Recorder(tr, state):
            tr.output = model(x)
    finally:
        for h in handles:
            h.remove()
    tr.nodes.sort(key=lambda n: n.end)
    _receptive_fields(tr, x)
    return tr


def _receptive_fields(tr: Trace, x: torch.Tensor) -> None:
    modules = tr.modules
    tr.rf[id(x)] = RF()
    for n in tr.nodes:
        if not n.leaf or n.output is None:
            continue
        known = [tr.rf[i] for i in n.inputs if i in tr.rf]
        if not known:
            continue
        rf = max(known, key=lambda r: r.size)
        g = rf_geometry(modules[n.path]) if n.path is not None else None
        if g and isinstance(modules[n.path], nn.Conv2d):
            g = _padding_seen(g, n)
        tr.rf[n.output] = rf.through(*g) if g else rf
    for n in tr.nodes:  # a module's hooks may hand on another tensor than it computed
        if n.final is not None and n.final not in tr.rf and n.output in tr.rf:
            tr.rf[n.final] = tr.rf[n.output]


def _padding_seen(g: tuple[int, int, int], n: Node) -> tuple[int, int, int]:
    """A conv's geometry with the padding it really used: a conv that pads in ``forward()``
    (TF-"SAME" ports) declares none, so take it from the sizes it turned n into o."""
    k, s, p = g
    if len(n.in_shape) < 3 or len(n.own_shape) < 3:
        return g
    size, out = n.in_shape[-2], n.own_shape[-2]
    if (size + 2 * p - k) // s + 1 == out:
        return g
    return k, s, max(0, (out - 1) * s + k - size) // 2
