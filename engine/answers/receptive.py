"""Question 8: how does downsampling grow what a unit sees?

Per row and variant, the theoretical receptive field and jump (Araujo et al. 2019's forward
recursion, from the traced variant); the last row's field as a share of the input; the
measured effective receptive field (Luo et al. 2016): the gradient of the row's centre unit
(summed over channels; the unit nearest the input's centre) back to the input, |summed over
input channels|, averaged over held-out images, and its width where it falls to half its peak
(the side of a square as large as the area at or above half the peak: a strided network's
gradient lies on a lattice, so no single row or column measures it), with a bootstrap 95%
interval over the images; and what the ``none`` variant (no
downsampling) costs in MACs and peak activation memory.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.answers import figures
from engine.answers.base import LABELS, Answer, Figure, Question, Setup, Table, register
from engine.answers.cost import costs
from engine.answers.inputs import images, with_none
from engine.answers.probing import geometry
from engine.answers.stats import Estimate, fmt, ratio
from engine.network.capture import Capture

BOOT = 200  # bootstrap rounds of the effective field's width


def erf(net, variant: str, x: torch.Tensor, geo: dict, rows) -> dict[str, dict]:
    """row -> {"widths": per image, "mean": the mean |gradient| map}: the effective receptive
    field of the row's unit nearest the input centre."""
    model = net.variants[variant].model
    h, w = x.shape[-2:]
    xi = x.detach().clone().requires_grad_(True)
    out = {}
    with torch.enable_grad(), Capture(model, rows, full=True) as cap:
        model(xi)
        for ly in rows:
            g = geo[ly.name]
            m = cap.maps[ly.name]
            uy = _unit(h, g, m.shape[-2])
            ux = _unit(w, g, m.shape[-1])
            (grad,) = torch.autograd.grad(m[:, :, uy, ux].sum(), xi, retain_graph=True)
            e = grad.abs().sum(1).double()          # (N, H, W)
            cy, cx = g["start"] + uy * g["jump"], g["start"] + ux * g["jump"]
            out[ly.name] = {"width": _bootstrap(e, cy, cx), "mean": e.mean(0).numpy(),
                            "centre": (cy, cx)}
    return out


def _bootstrap(e: torch.Tensor, cy: float, cx: float, rounds: int = BOOT) -> Estimate:
    """The half-peak width of the mean map of ``e`` (N, H, W), with the 2.5 and 97.5
    percentiles of the widths of the mean maps of images resampled with replacement."""
    rng = np.random.default_rng(0)
    n = len(e)
    widths = [_width(e[torch.from_numpy(rng.integers(0, n, n))].mean(0), cy, cx)
              for _ in range(rounds)]
    lo, hi = np.nanpercentile(widths, [2.5, 97.5]) if n > 1 else (np.nan, np.nan)
    return Estimate(_width(e.mean(0), cy, cx), float(lo), float(hi), n)


def _unit(side: int, g: dict, n: int) -> int:
    return int(min(n - 1, max(0, round(((side - 1) / 2 - g["start"]) / g["jump"]))))


def _width(e: torch.Tensor, cy: float, cx: float) -> float:
    """sqrt of the area (px) of ``e`` at or above half its peak."""
    peak = float(e.max())
    if peak == 0.0:
        return float("nan")
    return float(torch.sqrt((e >= peak / 2).sum().double()))


@register
class Receptive(Question):
    name = "receptive"
    title = "How does downsampling grow what a unit sees?"
    cites = ("araujo2019", "springenberg2014")
    live = False
    hint = ('Click a unit in the last row: its receptive field is drawn on the input for each '
            "variant, none's the smallest.")
    window = {"variants": ("max", "stride", "blur", "none"), "tab": "Receptive field"}
    seconds = 6

    def run(self, setup: Setup) -> Answer:
        net, refused = with_none(setup)
        variants = list(net.variants)
        x, where = images(setup, net, min(setup.samples, 16))
        rows = list(net.layers)
        side = min(net.input_size)
        geo = {v: geometry(net, v) for v in variants}
        fields = {v: erf(net, v, x, geo[v], rows) for v in variants}
        last = rows[-1].name
        numbers = {"input": list(net.input_size), "rows": [ly.name for ly in rows],
                   "refused_none": refused, "variants": {}}
        for v in variants:
            c = costs(net, v)
            numbers["variants"][v] = {
                "rows": {r: {**geo[v][r], "erf_width": fields[v][r]["width"].record()}
                         for r in geo[v]},
                "last_share": min(1.0, geo[v][last]["size"] / side),
                "macs": c["total"]["macs"], "peak_bytes": c["peak_bytes"]}
        return Answer(self.name, self.title, tuple(_verdict(numbers, variants, last, side)),
                      numbers, _tables(numbers, variants), _figures(numbers, fields, variants,
                                                                    last, x, net),
                      {"inputs": where}, self.cites)



def _verdict(nb: dict, variants, last: str, side: int) -> list[str]:
    per = nb["variants"]
    size = {v: per[v]["rows"][last]["size"] for v in variants}
    out = []
    if len(set(size.values())) == 1:
        out.append(f"Every variant here has the same theoretical receptive field at every row "
                   f"({fmt(next(iter(size.values())))} px at the last, {last}): the operators "
                   "differ in what they sample, not in how far a unit sees.")
    else:
        order = sorted(variants, key=lambda v: -size[v])
        out.append(f"At the last row ({last}) a unit sees, in theory: " + ", ".join(
            f"{LABELS[v]} {fmt(size[v])} px ({100 * min(1.0, size[v] / side):.0f}% of the "
            f"{side}-px input)" for v in order) + ".")
    if "none" in per:
        n_rows = per["none"]["rows"]
        convs = (n_rows[last]["size"] - 1) / 2
        grown = [v for v in variants if v != "none" and size[v] > size["none"]]
        out.append(f"Without downsampling the field grows by 2 px per 3x3 conv, linearly: "
                   f"{fmt(n_rows[last]['size'])} px after {fmt(convs)} convs (jump 1)"
                   + ("; each stride-2 site doubles the jump, so later convs add 2 x jump "
                      "and the field grows exponentially with depth: "
                      + ", ".join(f"{LABELS[v]} {fmt(size[v])} px (jump "
                                  f"{fmt(per[v]['rows'][last]['jump'])})" for v in grown)
                      if grown else "") + ".")
        if "max" in per:
            m, n = per["max"], per["none"]
            mib = {k: fmt(d["peak_bytes"] / 2**20) for k, d in (("n", n), ("m", m))}
            out.append(f"What none costs: {fmt(n['macs'])} MACs against {fmt(m['macs'])} for "
                       f"max-pool ({ratio(n['macs'], m['macs'])}), and {mib['n']}"
                       f" MiB of activations at once against {mib['m']} MiB "
                       f"({ratio(n['peak_bytes'], m['peak_bytes'])}).")
    elif nb["refused_none"]:
        out.append(f"The none variant was not built: {nb['refused_none']}")
    erfs = {v: Estimate.of(per[v]["rows"][last]["erf_width"]) for v in variants}
    smaller = [v for v in variants if erfs[v].hi < size[v]]
    said = ("smaller than the theoretical one for every variant" if len(smaller) == len(variants)
            else f"smaller than the theoretical one for {len(smaller)} of {len(variants)} "
                 "variants" if smaller else "not smaller than the theoretical one")
    out.append(f"The measured effective field is {said} (Luo et al. 2016 found it so): its "
               "width at half its peak, at the last row: " + ", ".join(
                   f"{LABELS[v]} {erfs[v]} px against {fmt(size[v])}" for v in variants) + ".")
    return out


def _tables(nb: dict, variants) -> tuple[Table, ...]:
    per = nb["variants"]
    rows = []
    for r in nb["rows"]:
        rows.append((r, *(f"{fmt(per[v]['rows'][r]['size'])} / {fmt(per[v]['rows'][r]['jump'])}"
                          if r in per[v]["rows"] else "n/a" for v in variants)))
    rf = Table("Theoretical receptive field / jump per row", ("row", *variants), tuple(rows),
               "px of input a unit sees / px of input between neighbouring units (exact, "
               "Araujo et al. 2019); larger sees more")
    erf_rows = tuple((r, *(str(Estimate.of(per[v]["rows"][r]["erf_width"])) for v in variants))
                     for r in nb["rows"])
    erf_t = Table("Effective receptive field: width at half its peak", ("row", *variants),
                  erf_rows, "px; of the centre unit's |gradient| on the input, averaged over "
                  "images; bootstrap 95% interval over the images")
    cost = Table("Cost", ("variant", "MACs", "peak activations (MiB)", "last row's share of "
                          "the input"),
                 tuple((v, fmt(per[v]["macs"]), fmt(per[v]["peak_bytes"] / 2**20),
                        f"{per[v]['last_share']:.2f}") for v in variants),
                 "exact counts (float32, batch 1); share: theoretical field / input side, "
                 "capped at 1")
    return rf, erf_t, cost


def _figures(nb: dict, fields: dict, variants, last: str, x, net) -> tuple[Figure, ...]:
    panels = []
    h, w = net.input_size
    for v in variants:
        g = nb["variants"][v]["rows"][last]
        cy, cx = fields[v][last]["centre"]
        half = (g["size"] - 1) / 2
        e = fields[v][last]["mean"]
        panels.append((v, e / e.max() if e.max() > 0 else e, (cx - half, cy - half,
                                                             g["size"], g["size"])))
    png = figures.fields(panels, f"What a unit of {last} sees: the effective field (|gradient|, "
                         "mean over images) and the theoretical one (box)", (h, w))
    depth = figures.curves(list(range(len(nb["rows"]))), {v: [
        _const(nb["variants"][v]["rows"][r]["size"]) for r in nb["rows"]] for v in variants},
        "Theoretical receptive field by row", "row (in forward order)", "px")
    return (Figure("receptive-fields", png, "Each variant's last-row receptive field on the "
                   "input: the measured effective field and the theoretical box."),
            Figure("receptive-growth", depth, "How the theoretical field grows row by row: "
                   "linearly without downsampling, exponentially with it."))


def _const(x: float) -> Estimate:
    """An exact number, drawn as a curve point without an interval."""
    return Estimate(x, x, x, 1)



