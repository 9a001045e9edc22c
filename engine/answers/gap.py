"""Question 4: what does global average pooling buy?

Two things, measured: the head's parameters with global average pooling against flattening
the last map into the linear layer, at the network's input size; and invariance of the pooled
features to circular shifts, on the network built with circular padding: shifted by the stride
accumulated before the last site, avg-pool and blur-pool at that site give the same features
to float precision (their filters block the new Nyquist frequency, so GAP after them does not
see which phase was kept), max-pool and stride do not; shifted by 1 px, none is exact.
"""

from __future__ import annotations

import torch
from torch import nn

from engine.answers import figures
from engine.answers.base import LABELS, Answer, Figure, Question, Setup, Table, register
from engine.answers.inputs import images, network
from engine.answers.stats import and_list, fmt, mean_ci, ratio
from engine.errors import ModelError

EXACT = 1e-5


def head(net) -> nn.Linear:
    """The network's last linear layer (its classifier), or a one-line error."""
    last = None
    for m in net.plain.modules():
        if isinstance(m, nn.Linear):
            last = m
    if last is None:
        raise ModelError(f"{net.spec.name}: no linear classifier head: nothing for global "
                         "pooling to feed")
    return last


def features(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What ``model``'s last linear layer receives for the batch ``x`` (the pooled features)."""
    return features_and_output(model, x)[0]


def features_and_output(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The pooled features (what the last linear layer receives) and the output, from one
    forward pass of the batch ``x``."""
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    got = []
    handle = last.register_forward_pre_hook(lambda m, args: got.append(args[0].detach()))
    try:
        with torch.no_grad():
            out = model(x)
    finally:
        handle.remove()
    return got[0].flatten(1).double(), out


def accumulated_stride(net) -> int:
    """The stride accumulated before the network's last downsampling site."""
    tr = net.trace
    node = tr.node(net.sites[-1].path)
    rf = tr.rf.get(node.inputs[0]) if node.inputs else None
    return int(rf.jump) if rf is not None else 1


def changes(net, variants, x: torch.Tensor, shifts: list[int]) -> dict:
    """shift -> variant -> Estimate of ||f(roll x) - f(x)|| / ||f(x)|| over the images."""
    out = {}
    for s in shifts:
        moved = torch.roll(x, s, -1)
        out[s] = {}
        for v in variants:
            model = net.variants[v].model
            a, b = features(model, x), features(model, moved)
            rel = (b - a).norm(dim=1) / a.norm(dim=1).clamp_min(1e-30)
            out[s][v] = mean_ci(rel.tolist())
    return out


@register
class GlobalPooling(Question):
    name = "gap"
    title = "What does global average pooling buy?"
    cites = ("lin2014", "zhang2019")
    live = False
    hint = ('Runs on the circularly padded network in the background; the Network tab shows the '
            "classifier's stability live.")
    window = {"tab": "Network"}
    seconds = 3

    def run(self, setup: Setup) -> Answer:
        variants = [v for v in setup.variants if v != "plain"]
        net = network(setup, variants=variants)
        fc = head(net)
        c, h, w = net.layers[-1].shape
        classes = fc.out_features
        gap_params = c * classes + classes
        flat_params = c * h * w * classes + classes
        cnet = network(setup, variants=variants, circular=True)
        stride = accumulated_stride(cnet)
        x, where = images(setup, cnet, 16)
        moved = changes(cnet, variants, x, sorted({1, stride}))
        numbers = {"head": {"map": [c, h, w], "classes": classes, "gap_params": gap_params,
                            "flatten_params": flat_params, "fc_in": fc.in_features},
                   "accumulated_stride": stride,
                   "change": {str(s): {v: e.record() for v, e in per.items()}
                              for s, per in moved.items()}}
        return Answer(self.name, self.title, tuple(_verdict(numbers, moved, stride, net)),
                      numbers, _tables(numbers, moved), _figures(moved, variants, stride),
                      {"inputs": where, "circular": True}, self.cites)


def _verdict(numbers: dict, moved: dict, stride: int, net) -> list[str]:
    hd = numbers["head"]
    c, h, w = hd["map"]
    out = [f"A global-average-pooling head needs {fmt(hd['gap_params'])} parameters against "
           f"{fmt(hd['flatten_params'])} for flattening the last {c}x{h}x{w} map into the "
           f"linear layer ({ratio(hd['flatten_params'], hd['gap_params'])} fewer), at the "
           f"network's {net.input_size[0]}x{net.input_size[1]} input; and it takes any input "
           "size."]
    at = moved[stride]
    exact = [v for v, e in at.items() if e.hi < EXACT]
    not_exact = [v for v, e in at.items() if e.lo > EXACT]
    n = next(iter(at.values())).n
    if exact:
        worst = max(at[v].hi for v in exact)
        out.append(f"Shifted circularly by {stride} px (the stride accumulated before the last "
                   f"site), {and_list([LABELS[v] for v in exact])} give the same pooled features "
                   f"to float precision: relative change at most {fmt(worst)} (upper 95% "
                   f"bound, n={n} images).")
    for v in not_exact:
        out.append(f"{LABELS[v]} does not: its pooled features change by {at[v]} for the same "
                   f"{stride}-px shift.")
    if 1 in moved and stride != 1:
        one = moved[1]
        lo, hi = min(e.mean for e in one.values()), max(e.mean for e in one.values())
        if all(e.lo > EXACT for e in one.values()):
            out.append(f"Shifted by 1 px, none is exact: the features change by {fmt(lo)} to "
                       f"{fmt(hi)} (means, n={n}), "
                       + ", ".join(f"{LABELS[v]} {fmt(e.mean)}" for v, e in one.items()) + ".")
    return out


def _tables(numbers: dict, moved: dict) -> tuple[Table, ...]:
    hd = numbers["head"]
    params = Table("Head parameters", ("head", "parameters"),
                   (("global average pooling + linear", fmt(hd["gap_params"])),
                    ("flatten + linear", fmt(hd["flatten_params"]))),
                   "exact counts; fewer is smaller")
    shifts = list(moved)
    rows = tuple((v, *(str(moved[s][v]) for s in shifts)) for v in next(iter(moved.values())))
    change = Table("Relative change of the pooled features under a circular shift",
                   ("variant", *(f"{s} px" for s in shifts)), rows,
                   "||f(shifted x) - f(x)|| / ||f(x)||: 0 = invariant; float rounding is "
                   "about 1e-7; mean with 95% interval over images")
    return params, change


def _figures(moved: dict, variants, stride: int) -> tuple[Figure, ...]:
    shifts = list(moved)
    fig = figures.bars([f"{s} px" for s in shifts], {v: [moved[s][v] for s in shifts]
                                                      for v in variants},
                       "Change of the globally pooled features under a circular shift",
                       "relative change (log scale)", log=True,
                       note=f"{stride} px: the stride accumulated before the last site; "
                            "below 1e-5 is float rounding")
    return (Figure("gap-shift", fig, "How much the pooled features change under circular "
                   "shifts of the input, per variant."),)

