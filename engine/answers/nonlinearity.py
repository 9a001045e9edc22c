"""Question 1: does pooling add non-linearity?

On real maps entering each site, for each variant's operator there: the superposition error
``||D(a+b) - D(a) - D(b) + D(0)|| / ||D(a+b)||`` (the ``+ D(0)`` makes an affine map, a conv
with bias, score zero) and the sign test ``||D(-a) + D(a) - 2 D(0)|| / ||D(a)||``, over pairs of
maps from different images. Three operators per variant and site: the filter alone (the last
layer: the pool, subsampling, BlurPool, the learned conv), the whole site operator (blur at a
max-pool site: a dense max, then BlurPool), and a whole stage (the conv before the site, its
ReLU, then the site operator), which shows where the network's non-linearity comes from.
"""

from __future__ import annotations

import torch
from torch import nn

from engine.answers import figures
from engine.answers.base import Answer, Figure, Question, Setup, Table, register
from engine.answers.inputs import images, network
from engine.answers.stats import Estimate, fmt, mean_ci
from engine.errors import ModelError
from engine.measures.site_taps import fold_chain
from engine.network.downsamplers import SiteOp, Subsample

LINEAR = 1e-5      # below: linear to float precision (rounding is ~1e-7)
NONLINEAR = 1e-3   # above: clearly not
LEVELS = ("filter", "site", "stage")
LABELS = {"max": "max-pool", "avg": "avg-pool", "stride": "subsampling (stride)",
          "blur": "blur-pool", "learned": "the learned conv", "plain": "the plain network"}


def errors(op, a: torch.Tensor, b: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per pair (a[i], b[i]): the superposition error and the sign-test error of ``op``."""
    def run(x):
        y = op(x)
        return (y[0] if isinstance(y, tuple) else y).double().flatten(1)

    with torch.no_grad():
        dab, da, db, dneg = run(a + b), run(a), run(b), run(-a)
        d0 = run(torch.zeros_like(a[:1]))
    sup = (dab - da - db + d0).norm(dim=1) / dab.norm(dim=1).clamp_min(1e-30)
    neg = (dneg + da - 2 * d0).norm(dim=1) / da.norm(dim=1).clamp_min(1e-30)
    return sup.tolist(), neg.tolist()


def operators(net, variant: str, site) -> dict[str, object]:
    """The variant's filter, site operator and stage at ``site`` (callables; a missing stage
    is None)."""
    model = net.variants[variant].model
    modules = dict(model.named_modules())
    ops = {m.site_path: m for m in modules.values() if isinstance(m, SiteOp)}
    here = ops.get(site.path)
    if here is not None:
        site_op, filt = here, here[-1]
    elif site.kind == "pool" and not isinstance(modules[site.path], nn.Identity):
        site_op = filt = modules[site.path]           # the plain pool, kept
    else:                                            # a stride of its conv: it subsamples
        site_op = filt = Subsample(site.geometry.stride)
    conv = site.fold or _conv_before(net, site)
    stage = None
    if conv is not None:
        chain = fold_chain(net.trace, site) if site.kind == "pool" else list(site.chain)
        path = [modules[conv], *(modules[c] for c in chain if c in modules)]
        if site.kind == "pool":
            path.append(modules[site.path])

        def stage(x, path=path):
            for m in path:
                x = m(x)
            return x
    return {"filter": filt, "site": site_op, "stage": stage, "conv": conv}


def _conv_before(net, site) -> str | None:
    if site.kind != "pool":
        return site.path
    node = net.trace.node(site.path)
    n = net.trace.producer(node.inputs[0], node.start) if node.inputs else None
    modules = net.trace.modules
    while n is not None and n.pointwise(modules):
        n = net.trace.producer(n.inputs[0], n.start) if n.inputs else None
    if n is not None and n.path is not None and isinstance(modules[n.path], nn.Conv2d):
        return n.path
    return None


def inputs_at(net, x: torch.Tensor, paths: set[str]) -> dict[str, torch.Tensor]:
    """The whole batch entering each module in ``paths`` of the plain network."""
    got, handles = {}, []
    modules = dict(net.plain.named_modules())
    for p in paths:
        handles.append(modules[p].register_forward_pre_hook(
            lambda m, args, p=p: got.setdefault(p, args[0].detach().clone())))
    try:
        with torch.no_grad():
            net.plain(x)
    finally:
        for h in handles:
            h.remove()
    return got


@register
class Nonlinearity(Question):
    name = "nonlinearity"
    title = "Does pooling add non-linearity?"
    cites = ("zhang2019", "springenberg2014")
    live = False
    hint = ('Read the verdict: only max (and blur at a max site) fails superposition; in the Live'
            ' tab, polyphase dispersion shows which maps a 1-px shift changes.')
    window = {"tab": "Live", "metric": "polyphase_dispersion"}
    seconds = 3

    def run(self, setup: Setup) -> Answer:
        net = network(setup)
        x, where = images(setup, net, setup.samples + 1)
        variants = [v for v in setup.variants if v != "plain"]
        plan = {s.path: {v: operators(net, v, s) for v in variants} for s in net.sites}
        entering = _entering(net, x)
        convs = {o["conv"] for per in plan.values() for o in per.values() if o["conv"]}
        conv_in = inputs_at(net, x, convs)
        numbers: dict = {}
        for s in net.sites:
            a, b = entering[s.path][:-1], entering[s.path][1:]
            for v in variants:
                o = plan[s.path][v]
                row = numbers.setdefault(s.path, {}).setdefault(v, {})
                for level in LEVELS:
                    op, (pa, pb) = o[level], (a, b)
                    if level == "stage":
                        if op is None:
                            continue
                        pa, pb = conv_in[o["conv"]][:-1], conv_in[o["conv"]][1:]
                    sup, neg = errors(op, pa, pb)
                    row[level] = {"superposition": mean_ci(sup), "sign": mean_ci(neg)}
        return Answer(self.name, self.title, tuple(_verdict(numbers, variants, net)),
                      _record(numbers), _tables(numbers), _figures(numbers, variants),
                      {"inputs": where, "pairs": len(x) - 1}, self.cites)


def _entering(net, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The map each site's operator takes, for every image: a pool's input; for a strided
    conv, its output at stride 1 with its pointwise ops (what a variant's op receives)."""
    from engine.measures.site_taps import SiteTap

    per = {s.path: [] for s in net.sites}
    model = net.plain
    for i in range(len(x)):
        with torch.no_grad(), SiteTap(model, net.sites, {}, net.trace) as tap:
            model(x[i:i + 1])
        for s in net.sites:
            m = tap.maps[s.path]
            per[s.path].append(m.entering if s.kind == "pool" else m.presample)
    if not per:
        raise ModelError(f"{net.spec.name}: no downsampling sites")
    return {k: torch.stack(v) for k, v in per.items()}


def _kind(e: dict) -> str:
    sup, neg = e["superposition"], e["sign"]
    if sup.hi < LINEAR and neg.hi < LINEAR:
        return "linear"
    if sup.lo > NONLINEAR or neg.lo > NONLINEAR:
        return "non-linear"
    return "unclear"


def _verdict(numbers: dict, variants: list[str], net) -> list[str]:
    sites = list(numbers)
    n = next(iter(next(iter(numbers.values())).values()))["site"]["superposition"].n
    out = []
    adds = []
    for v in variants:
        kinds = {s: _kind(numbers[s][v]["site"]) for s in sites}
        worst = max((numbers[s][v]["site"]["superposition"] for s in sites),
                    key=lambda e: e.hi)
        if all(k == "linear" for k in kinds.values()):
            affine = " (a conv is affine: the + D(0) term takes its bias out)" \
                if v == "learned" else ""
            sign = max(numbers[s][v]["site"]["sign"].hi for s in sites)
            out.append(f"{LABELS[v]} adds no non-linearity{affine}: at every site "
                       f"({len(sites)}) its superposition error is at most {fmt(worst.hi)} "
                       f"and its sign-test error "
                       + ("exactly 0" if sign == 0 else f"at most {fmt(sign)}")
                       + f" (upper 95% bounds, n={n} pairs of real maps each): float rounding.")
            continue
        bad = [s for s, k in kinds.items() if k == "non-linear"]
        if bad:
            adds.append(v)
            s = bad[0]
            e = numbers[s][v]["site"]["superposition"]
            filt = numbers[s][v]["filter"]["superposition"]
            if v == "blur" and _kind(numbers[s][v]["filter"]) == "linear":
                out.append(f"blur-pool at a max-pool site is not linear through its dense max: "
                           f"superposition error {e} at {s}, though its BlurPool filter alone "
                           f"is (at most {fmt(filt.hi)}).")
            else:
                out.append(f"{LABELS[v]} adds non-linearity: superposition error {e} at {s}"
                           + (f", and at {len(bad) - 1} more site(s)" if len(bad) > 1 else "")
                           + ".")
        else:
            out.append(f"{LABELS[v]}: no clear answer at float precision (superposition error "
                       f"up to {fmt(worst.hi)}, n={n}).")
    if not adds:
        out.insert(0, "No operator here adds non-linearity: every site operator below is "
                      "linear (or affine) to float precision.")
    stages = [numbers[s][v]["stage"] for s in sites for v in variants
              if "stage" in numbers[s][v]]
    if stages:
        lo = min(e["superposition"].mean for e in stages)
        hi = max(e["superposition"].mean for e in stages)
        if all(_kind(e) == "non-linear" for e in stages):
            out.append(f"Every whole stage (conv, ReLU, site operator) is non-linear, whatever "
                       f"the operator: superposition errors {fmt(lo)} to {fmt(hi)} (means, "
                       f"n={n}): the ReLU makes the network non-linear; the pool adds to it "
                       + ("only for " + ", ".join(LABELS[v] + (" (at max-pool sites)" if v ==
                                                                   "blur" else "")
                                                   for v in adds) if adds else "nothing") + ".")
    return out


def _record(numbers: dict) -> dict:
    return {s: {v: {lv: {k: e.record() for k, e in m.items()} for lv, m in per.items()}
                for v, per in row.items()} for s, row in numbers.items()}


def _tables(numbers: dict) -> tuple[Table, ...]:
    rows = []
    for s, row in numbers.items():
        for v, per in row.items():
            rows.append((s, v, *(fmt(per[lv]["superposition"].mean) if lv in per else "n/a"
                                 for lv in LEVELS),
                         fmt(per["site"]["sign"].mean), per["site"]["superposition"].n))
    return (Table("Superposition error per site and variant (means)",
                  ("site", "variant", "filter alone", "site operator", "whole stage",
                   "sign test (site)", "pairs n"), tuple(rows),
                  "relative error: 0 = exactly linear (or affine); float rounding is about "
                  "1e-7; above 1e-3 clearly not linear"),)


def _figures(numbers: dict, variants: list[str]) -> tuple:
    sites = list(numbers)
    out = []
    for lv, what in (("site", "the site operator"), ("stage", "a whole stage")):
        series = {v: [numbers[s][v][lv]["superposition"] if lv in numbers[s][v]
                      else Estimate(0, 0, 0, 0) for s in sites] for v in variants}
        out.append(Figure(
            f"nonlinearity-{lv}", figures.bars(
                sites, series, f"Superposition error of {what} (log scale)",
                "||D(a+b)-D(a)-D(b)+D(0)|| / ||D(a+b)||", log=True,
                note="bars: means over pairs of real maps, whiskers: 95% intervals; "
                     "below 1e-5 is float rounding"),
            f"Superposition error of {what} at each site, per variant."))
    return tuple(out)
