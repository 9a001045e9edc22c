"""Question 2: which is cheaper?

The three designs people compare, as the variants build them: conv at stride 1 then a pool
(max, avg; blur's filter is a pool's work too), conv at stride 1 then a conv at stride 2 (the
All-CNN design: learned), and the conv at stride 2 (stride). Counted exactly from a traced
forward pass: MACs of convs and linear layers, the downsampling's own operations in a column
of their own (so avg is not "free"), parameters, and peak activation memory; measured: ms per
forward pass with its spread; and ResNet-18's 7x7 stem at stride 2 and at stride 1.
"""

from __future__ import annotations

import time
from functools import singledispatch

import torch
from torch import nn

from engine.answers import figures
from engine.answers.base import Answer, Figure, Question, Setup, Table, register
from engine.answers.inputs import images, network
from engine.answers.stats import fmt, mean_ci, overlap, ratio
from engine.network.downsamplers import BlurPool, DenseMax, Subsample
from engine.network.places import pair
from engine.network.rows import time_at
from engine.network.trace import trace

DESIGN = {"max": "conv(stride 1) + max-pool", "avg": "conv(stride 1) + avg-pool",
          "blur": "conv(stride 1) + blur-pool", "learned": "conv(stride 1) + conv(stride 2)",
          "stride": "conv(stride 2)", "plain": "the network as written"}
RUNS = 25


@singledispatch
def pool_ops(module: nn.Module, out: tuple[int, ...]) -> int:
    """The downsampling's own operations for one item of output ``out`` (C, H, W)."""
    return 0


@pool_ops.register
def _(module: nn.MaxPool2d, out) -> int:  # comparisons: k*k - 1 per output
    kh, kw = pair(module.kernel_size)
    return _numel(out) * (kh * kw - 1)


@pool_ops.register
def _(module: DenseMax, out) -> int:
    kh, kw = module.kernel
    return _numel(out) * (kh * kw - 1)


@pool_ops.register
def _(module: nn.AvgPool2d, out) -> int:  # additions, and one multiplication, per output
    kh, kw = pair(module.kernel_size)
    return _numel(out) * kh * kw


@pool_ops.register
def _(module: BlurPool, out) -> int:  # its multiply-accumulates
    return _numel(out) * module.filt.shape[-1] * module.filt.shape[-2]


@pool_ops.register
def _(module: Subsample, out) -> int:
    return 0


def _numel(shape) -> int:
    n = 1
    for s in shape[1:]:
        n *= s
    return n


def costs(net, variant: str) -> dict:
    """Exact costs of one variant: per stage (what runs up to each site, then the head) and in
    all: conv and linear MACs, downsampling operations, parameters; and peak activations."""
    model = net.variants[variant].model
    tr = trace(model, net.probe())
    modules = tr.modules
    marks = [(time_at(tr, ly.point), ly.name) for ly in net.layers
             if ly.name in {s.path for s in net.sites}]
    marks.append((max(n.end for n in tr.nodes) + 1, "head"))
    stages = {name: {"macs": 0, "pool_ops": 0, "params": 0} for _, name in marks}
    seen: set[str] = set()
    for n in tr.nodes:
        if not n.leaf or n.path is None:
            continue
        name = next(nm for t, nm in marks if n.end <= t)
        m = modules[n.path]
        st = stages[name]
        if isinstance(m, nn.Conv2d | nn.Linear):
            st["macs"] += n.macs
        else:
            st["pool_ops"] += pool_ops(m, n.own_shape or n.out_shape)
        if n.path not in seen:
            seen.add(n.path)
            st["params"] += n.params
    total = {k: sum(s[k] for s in stages.values()) for k in ("macs", "pool_ops", "params")}
    return {"stages": stages, "total": total, "peak_bytes": peak_bytes(tr)}


def peak_bytes(tr) -> int:
    """The most activation memory alive at once in one forward pass (float32, batch 1): each
    tensor from the call that makes it to the last call that reads it."""
    size, born, last = {}, {}, {}
    for n in tr.nodes:
        if n.leaf and n.output is not None and n.output not in size and n.out_shape:
            size[n.output], born[n.output] = 4 * _numel(n.out_shape), n.end
        for t in n.inputs:
            last[t] = max(last.get(t, 0), n.end)
    end = max(n.end for n in tr.nodes)
    peak = 0
    for n in tr.nodes:
        t = n.end
        peak = max(peak, sum(s for k, s in size.items()
                             if born[k] <= t <= last.get(k, end)))
    return peak


def timings(net, variants, x: torch.Tensor) -> dict:
    """ms per forward pass of each variant on ``x`` (one image), interleaved round by round."""
    times = {v: [] for v in variants}
    models = {v: net.variants[v].model for v in variants}
    with torch.inference_mode():
        for model in models.values():
            model(x)
        for _ in range(RUNS):
            for v, model in models.items():
                t0 = time.perf_counter()
                model(x)
                times[v].append(1000 * (time.perf_counter() - t0))
    return {v: mean_ci(ts) for v, ts in times.items()}


def stem() -> dict:
    """ResNet-18's 7x7 stem at 224x224: MACs at stride 2 (as written) and at stride 1 (the
    max-pool variant runs it so, then pools)."""
    from engine.network.info import network_info
    from engine.network.load import load_network

    net = load_network("resnet18", ("plain", "max"), 224)
    info = network_info(net)
    row = {v: info["variants"][v]["layers"][0] for v in ("plain", "max")}
    c = costs(net, "max")["stages"]["conv1"]
    return {"row": row["plain"]["name"], "stride_2": row["plain"]["macs"],
            "stride_1": row["max"]["macs"], "pool_ops": c["pool_ops"]}


@register
class Cost(Question):
    name = "cost"
    title = "Which is cheaper: conv + pool, conv + strided conv, or a strided conv?"
    cites = ("springenberg2014", "he2019")
    live = True
    hint = ("The Cost tab counts parameters and MACs and times every row live: the strided conv's"
            ' rows cost a quarter.')
    window = {"variants": ("max", "avg", "stride", "learned"), "tab": "Cost"}
    seconds = 4

    def run(self, setup: Setup) -> Answer:
        net = network(setup)
        variants = [v for v in setup.variants if v in DESIGN]
        x, where = images(setup, net, 1)
        numbers = {v: costs(net, v) for v in variants}
        ms = timings(net, variants, x.contiguous(memory_format=torch.channels_last))
        for v in variants:
            numbers[v]["ms"] = ms[v]
        res = stem()
        verdict = _verdict(numbers, variants, res, net)
        record = {v: {**{k: n[k] for k in ("stages", "total", "peak_bytes")},
                      "ms": n["ms"].record(), "design": DESIGN[v]} for v, n in numbers.items()}
        record["resnet18_stem"] = res
        return Answer(self.name, self.title, tuple(verdict), record,
                      _tables(numbers, variants, res), _figures(numbers, variants),
                      {"timing_input": where, "timing_runs": RUNS}, self.cites)


def _verdict(numbers: dict, variants: list[str], res: dict, net) -> list[str]:
    out = []
    first = net.sites[0].path
    if "stride" in numbers and "max" in numbers:
        s, m = numbers["stride"], numbers["max"]
        fs, fm = s["stages"][first]["macs"], m["stages"][first]["macs"]
        out.append(f"A strided conv (stride) does {ratio(fm, fs)} fewer conv MACs up to the "
                   f"first site than conv at stride 1 + max-pool: {fmt(fs)} against {fmt(fm)} "
                   f"(exact counts); in the whole network {fmt(s['total']['macs'])} against "
                   f"{fmt(m['total']['macs'])} ({ratio(m['total']['macs'], s['total']['macs'])}).")
    pools = [v for v in ("max", "avg", "blur") if v in numbers]
    if pools:
        parts = ", ".join(f"{v} {fmt(numbers[v]['total']['pool_ops'])}" for v in pools)
        base = numbers[pools[0]]["total"]["macs"]
        worst = max(numbers[v]["total"]["pool_ops"] for v in pools)
        out.append(f"The downsampling's own operations in the whole network: {parts}"
                   + (f", stride {fmt(numbers['stride']['total']['pool_ops'])}"
                      if "stride" in numbers else "")
                   + f". Avg-pool is not free, but every pool's work is small beside the "
                   f"convs: at most {100 * worst / base:.2g}% of {pools[0]}'s conv MACs.")
    if "learned" in numbers and "max" in numbers:
        d_p = numbers["learned"]["total"]["params"] - numbers["max"]["total"]["params"]
        d_m = numbers["learned"]["total"]["macs"] - numbers["max"]["total"]["macs"]
        out.append(f"The All-CNN design (learned: a 3x3 conv at stride 2 in place of the pool) "
                   f"adds {fmt(d_p)} parameters and {fmt(d_m)} MACs over max-pool in the whole "
                   "network.")
    if "stride" in numbers and "max" in numbers:
        ps, pm = numbers["stride"]["peak_bytes"], numbers["max"]["peak_bytes"]
        out.append(f"Peak activation memory: {fmt(ps / 1024)} KiB for stride against "
                   f"{fmt(pm / 1024)} KiB for max ({ratio(pm, ps)}): conv + pool must hold "
                   "the stride-1 map before the pool (float32, batch 1).")
        ts, tm = numbers["stride"]["ms"], numbers["max"]["ms"]
        if overlap(ts, tm):
            out.append(f"Measured time per forward pass shows no clear difference between "
                       f"stride ({ts}) and max ({tm}) ms on this machine; the counts above "
                       "are what hold.")
        else:
            faster = "stride" if ts.mean < tm.mean else "max"
            out.append(f"Measured here, {faster} is faster: stride {ts} ms, max {tm} ms per "
                       "forward pass (batch 1); timings vary by machine, the counts do not.")
    out.append(f"ResNet-18's 7x7 stem at 224x224: {fmt(res['stride_2'])} MACs at stride 2 "
               f"against {fmt(res['stride_1'])} at stride 1 "
               f"({ratio(res['stride_1'], res['stride_2'])}), plus the max-pool's "
               f"{fmt(res['pool_ops'])} comparisons after it.")
    return out


def _tables(numbers: dict, variants: list[str], res: dict) -> tuple[Table, ...]:
    rows = tuple((v, DESIGN[v], fmt(n["total"]["macs"]), fmt(n["total"]["pool_ops"]),
                  fmt(n["total"]["params"]), fmt(n["peak_bytes"] / 1024), str(n["ms"]))
                 for v, n in numbers.items())
    whole = Table("Whole network, per variant", ("variant", "design", "conv + linear MACs",
                                                 "downsampling ops", "parameters",
                                                 "peak activations (KiB)", "ms per pass"),
                  rows, "counts are exact (one image); fewer is cheaper; ms measured on this "
                  "machine, mean with 95% interval over runs")
    sites = list(next(iter(numbers.values()))["stages"])
    per = Table("Per stage (up to each site, then the head): conv + linear MACs / downsampling "
                "ops", ("stage", *variants),
                tuple((s, *(f"{fmt(numbers[v]['stages'][s]['macs'])} / "
                            f"{fmt(numbers[v]['stages'][s]['pool_ops'])}" for v in variants))
                      for s in sites), "exact counts; fewer is cheaper")
    stem_t = Table("ResNet-18's 7x7 stem at 224x224", ("", "MACs"),
                   (("stride 2 (as written)", fmt(res["stride_2"])),
                    ("stride 1 (then max-pool)", fmt(res["stride_1"])),
                    ("the max-pool's comparisons", fmt(res["pool_ops"]))), "exact counts")
    return whole, per, stem_t


def _figures(numbers: dict, variants: list[str]) -> tuple[Figure, ...]:
    sites = list(next(iter(numbers.values()))["stages"])
    macs = figures.bars(sites, {v: [numbers[v]["stages"][s]["macs"] for s in sites]
                                for v in variants},
                        "Conv + linear MACs per stage", "MACs (exact)", log=True)
    ops = figures.bars(["conv + linear MACs", "downsampling ops", "parameters"],
                       {v: [numbers[v]["total"]["macs"], numbers[v]["total"]["pool_ops"],
                            numbers[v]["total"]["params"]] for v in variants},
                       "Whole network", "count (log scale)", log=True, floor=1.0)
    return (Figure("cost-stages", macs, "Conv and linear MACs of each stage, per variant."),
            Figure("cost-total", ops, "The whole network: MACs, the downsampling's own "
                   "operations and parameters, per variant."))
