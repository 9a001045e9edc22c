"""Question 5: why not just use a larger stride instead of pooling?

One profile per variant, every criterion people weigh: parameters, MACs and ms (cost); the
1-px and half-pixel shift error at each site and the flicker on a sub-pixel pan (stability of
the maps); top-1 consistency under random crops and the top-1 change rate along 1-px shifts
(stability of the output), with Wilson intervals; and held-out accuracy. Taken twice: with
shared weights (only the operator differs) and with the separately trained variants (each
design trained its own way, which is what the question is really about). The verdict names
the winner of each criterion and by how much, or says there is no clear difference.
"""

from __future__ import annotations

import dataclasses

from engine.answers import figures, probing
from engine.answers.base import LABELS, Answer, Figure, Question, Setup, Table, register
from engine.answers.cost import costs, timings
from engine.answers.inputs import images, network
from engine.answers.stats import Estimate, fmt, mean_ci, wilson, winner
from engine.network.load import SHIPPED_TRAINED

SPAN = 8  # px of the diagonal path the top-1 change rate is taken along
WEIGHTS = {"shared": "shared weights", "trained": "each variant trained separately"}
# criterion -> (label, better); the statistical ones are taken per set of weights
STATS = {"shift": ("1-px shift error (mean over sites)", "lower"),
         "half": ("half-pixel shift error (mean over sites)", "lower"),
         "flicker": ("flicker on a sub-pixel pan (mean over sites)", "lower"),
         "consistency": ("top-1 consistency", "higher"),
         "top1_change": ("top-1 change rate", "lower"),
         "accuracy": ("held-out accuracy", "higher")}

UNMEASURED = {"consistency": "the network gives no class scores, or its head takes no smaller "
                             "crop",
              "top1_change": "the network gives no class scores",
              "accuracy": "no labelled held-out set: its weights were not trained on the "
                          "synthetic set, or it gives no class scores"}


def weight_sets(setup: Setup) -> dict[str, Setup | None]:
    """The two set-ups compared: shared weights, and the separately trained set (None when
    there is none: another model and no ``--trained``)."""
    shared = dataclasses.replace(setup, trained=None)
    trained = setup.trained or (str(SHIPPED_TRAINED) if setup.model == "tiny" and not setup.weights
                                else None)
    return {"shared": shared,
            "trained": dataclasses.replace(setup, trained=trained) if trained else None}


def profile(net, variants, setup: Setup) -> dict:
    """variant -> criterion -> Estimate (per site too: ``sites``) on ``setup``'s images."""
    x, where = images(setup, net)
    data = probing.labelled_set(net, 8 * setup.samples, setup.seed)
    out = {"inputs": where}
    for v in variants:
        model = net.variants[v].model
        scores = probing.classifies(model, x)
        cons = probing.consistency(model, x, setup.seed) if scores else None
        se = probing.shift_errors(net, v, x)
        fl = probing.pan_flicker(net, v, x)
        p = {"sites": {s: {"shift": mean_ci(d["1 px"]), "half": mean_ci(d["half"]),
                           "flicker": mean_ci(fl[s])} for s, d in se.items()},
             "shift": mean_ci(_site_mean([d["1 px"] for d in se.values()])),
             "half": mean_ci(_site_mean([d["half"] for d in se.values()])),
             "flicker": mean_ci(_site_mean(list(fl.values()))),
             "consistency": wilson(*cons) if cons else None,
             "top1_change": wilson(*probing.top1_changes(model, x, SPAN, net.circular))
             if scores else None,
             "accuracy": wilson(*probing.accuracy(model, data)) if data and scores else None}
        out[v] = p
    return out


def _site_mean(per_site: list[list[float]]) -> list[float]:
    return [sum(vals) / len(vals) for vals in zip(*per_site, strict=True)] if per_site else []


@register
class WhyNotStride(Question):
    name = "stride"
    title = "Why not just use a larger stride instead of pooling?"
    cites = ("springenberg2014", "zhang2019", "azulay2019")
    live = True
    hint = ("Freeze (Space), then press the right arrow: stride's maps jump, blur-pool's stay "
            "steady; the Live tab plots each row's shift error.")
    window = {"variants": ("max", "avg", "stride", "blur", "learned"),
              "tab": "Live", "metric": "shift_cosine"}
    seconds = 12

    def run(self, setup: Setup) -> Answer:
        sets = weight_sets(setup)
        nets = {k: network(s) for k, s in sets.items() if s is not None}
        shared = nets["shared"]
        variants = [v for v in setup.variants if v != "plain"]
        x, _ = images(setup, shared, 1)
        ms = timings(shared, variants, x)
        cost = {v: {**costs(shared, v)["total"], "ms": ms[v]} for v in variants}
        prof = {k: profile(n, variants, sets[k]) for k, n in nets.items()}
        numbers = {"cost": {v: {"params": c["params"], "macs": c["macs"],
                                "ms": c["ms"].record()} for v, c in cost.items()},
                   **{k: _record(p, variants) for k, p in prof.items()},
                   "trained_from": sets["trained"].trained if sets["trained"] else None}
        return Answer(self.name, self.title, tuple(_verdict(cost, prof, variants)), numbers,
                      _tables(cost, prof, variants), _figures(prof, variants),
                      {"inputs": prof["shared"]["inputs"],
                       "trained": numbers["trained_from"]}, self.cites)


def _record(p: dict, variants) -> dict:
    def rec(e):
        return e.record() if isinstance(e, Estimate) else None
    return {v: {**{c: rec(p[v][c]) for c in STATS},
                "sites": {s: {c: rec(e) for c, e in d.items()} for s, d in p[v]["sites"].items()}}
            for v in variants}


def _verdict(cost: dict, prof: dict, variants) -> list[str]:
    out = [winner("Parameters", {v: cost[v]["params"] for v in variants}, "lower", LABELS),
           winner("MACs per image", {v: cost[v]["macs"] for v in variants}, "lower", LABELS),
           winner("Time per image (ms, 25 interleaved runs)",
                  {v: cost[v]["ms"] for v in variants}, "lower", LABELS)]
    wins: dict[str, dict[str, list[str]]] = {}
    for k, p in prof.items():
        for c, (label, better) in STATS.items():
            vals = {v: p[v][c] for v in variants if p[v][c] is not None}
            if not vals:
                out.append(f"{WEIGHTS[k].capitalize()}, {label}: not measured ({UNMEASURED[c]}).")
                continue
            sentence = winner(f"{WEIGHTS[k].capitalize()}, {label}", vals, better, LABELS)
            out.append(sentence)
            if " wins with " in sentence:
                best = min(vals, key=lambda v: vals[v].mean * (1 if better == "lower" else -1))
                wins.setdefault(k, {}).setdefault(best, []).append(label)
    for k in prof:
        got = wins.get(k, {})
        if got:
            out.append(f"With {WEIGHTS[k]}, the clear wins: " + "; ".join(
                f"{LABELS[v]} on {' and '.join(c)}" for v, c in got.items())
                + "; every other criterion has no clear winner.")
        else:
            out.append(f"With {WEIGHTS[k]}, no variant wins any criterion of stability or "
                       "accuracy clearly: every interval overlaps the best one.")
    if "trained" not in prof:
        out.append("No separately trained set was given (--trained DIR), so only shared "
                   "weights were compared.")
    return out


def _tables(cost: dict, prof: dict, variants) -> tuple[Table, ...]:
    tables = []
    keys = list(prof)
    for v in variants:
        rows = [("parameters", *(fmt(cost[v]["params"]) for _ in keys)),
                ("MACs", *(fmt(cost[v]["macs"]) for _ in keys)),
                ("ms per image", *(str(cost[v]["ms"]) for _ in keys))]
        for c, (label, _) in STATS.items():
            rows.append((label, *(str(prof[k][v][c]) if prof[k][v][c] else "n/a"
                                  for k in keys)))
        for s in prof["shared"][v]["sites"]:
            for c, what in (("shift", "1-px shift error"), ("half", "half-px shift error"),
                            ("flicker", "flicker")):
                rows.append((f"{what} at {s}", *(str(prof[k][v]["sites"][s][c]) for k in keys)))
        tables.append(Table(f"{LABELS[v]}", ("criterion", *(WEIGHTS[k] for k in keys)),
                            tuple(rows),
                            "shift errors: cosine distance, 0 = the map moves exactly with the "
                            "input, lower is better (half-pixel: the input interpolated "
                            "linearly, as the window's live measure does); flicker: relative "
                            "change per 1/4-px step, "
                            "lower is steadier; consistency, accuracy: shares, higher is "
                            "better; top-1 change rate: share of 1-px steps that change the "
                            "class, lower is better; 95% intervals (Wilson for shares), n = "
                            "images, crop pairs, steps"))
    return tuple(tables)


def _figures(prof: dict, variants) -> tuple[Figure, ...]:
    out = []
    for k, p in prof.items():
        sites = list(p[variants[0]]["sites"])
        png = figures.bars(sites, {v: [p[v]["sites"][s]["shift"] for s in sites]
                                   for v in variants},
                           f"1-px shift error per site ({WEIGHTS[k]})",
                           "cosine distance (lower is better)")
        out.append(Figure(f"stride-shift-{k}", png, f"The 1-px shift error at each site, "
                          f"{WEIGHTS[k]}: how far each map is from moving with its input."))
    groups = [f"{c.replace('top1_change', 'top-1 change')}\n{WEIGHTS[k]}" for k in prof
              for c in ("consistency", "top1_change", "accuracy")]
    series = {v: [prof[k][v][c] or 0.0 for k in prof
                  for c in ("consistency", "top1_change", "accuracy")] for v in variants}
    out.append(Figure("stride-output", figures.bars(
        groups, series, "The output: consistency, top-1 change rate, accuracy", "share"),
        "Stability and accuracy of the output, per variant, with shared and trained weights "
        "(95% Wilson intervals)."))
    return tuple(out)
