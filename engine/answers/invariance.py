"""Question 7: does pooling make the network translation invariant?

The network is built with circular padding (no invented border) and each held-out image is
shifted circularly from 0 to one jump of the last site (the stride accumulated after it) in
half-pixel steps (a fractional shift by the Fourier shift theorem, so the picture moves and is
not blurred, as interpolating between whole-pixel shifts would). Per
variant and shift, over the images: the probability of the class chosen at shift 0, and the
cosine distance of the last features (what the classifier reads) to those at shift 0. From
the same passes: top-1 consistency between two random shifts of the path, and the top-1
change rate along it. At whole multiples of the jump every variant is exactly invariant (the
maps move by whole units); in between, none is.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.answers import figures
from engine.answers.base import LABELS, Answer, Figure, Question, Setup, Table, register
from engine.answers.gap import features_and_output, head
from engine.answers.inputs import images, network
from engine.answers.probing import fourier_roll, jumps
from engine.answers.stats import Estimate, and_list, fmt, mean_ci, wilson, winner

EXACT = 1e-5
PAIRS = 4


def path(net, variant: str, x: torch.Tensor, shifts: list[float]) -> dict:
    """Per shift (rows) and image (columns): the top-class probability, the cosine distance
    of the last features to shift 0, and the top-1 class."""
    model = net.variants[variant].model
    probs, dist, top = [], [], []
    with torch.inference_mode():
        base, out = features_and_output(model, x)
        chosen = out.softmax(-1).argmax(-1)
        for s in shifts:
            f, out = features_and_output(model, fourier_roll(x, s))
            p = out.softmax(-1)
            cos = (f * base).sum(1) / (f.norm(dim=1) * base.norm(dim=1)).clamp_min(1e-30)
            probs.append(p.gather(1, chosen[:, None])[:, 0].double())
            dist.append((1 - cos).clamp_min(0))
            top.append(p.argmax(-1))
    return {"prob": torch.stack(probs).numpy(), "distance": torch.stack(dist).numpy(),
            "top": torch.stack(top).numpy()}


def counts(top: np.ndarray, seed: int) -> dict[str, tuple[int, int]]:
    """Consistency (pairs of random shifts of each image whose top-1 agree) and top-1 changes
    (half-pixel steps that change it), as (k, n)."""
    rng = np.random.default_rng(seed)
    steps, n = top.shape
    a = rng.integers(0, steps, (PAIRS, n))
    b = rng.integers(0, steps, (PAIRS, n))
    cols = np.arange(n)
    agree = int(sum((top[a[i], cols] == top[b[i], cols]).sum() for i in range(PAIRS)))
    changes = int((top[1:] != top[:-1]).sum())
    return {"consistency": (agree, PAIRS * n), "top1_change": (changes, (steps - 1) * n)}


@register
class Invariance(Question):
    name = "invariance"
    title = "Does pooling make the network translation invariant?"
    cites = ("zhang2019", "azulay2019")
    live = True
    hint = ('Freeze (Space): the Network tab gathers 200 crop pairs of the frozen frame; nudge '
            'with the arrows and watch p(top class).')
    window = {"variants": ("max", "avg", "stride", "blur"), "tab": "Network"}
    seconds = 12

    def run(self, setup: Setup) -> Answer:
        variants = [v for v in setup.variants if v != "plain"]
        net = network(setup, variants=variants, circular=True)
        head(net)  # a one-line error for a network without a classifier
        jump = max(jumps(net, variants[0]).values())
        shifts = [k / 2 for k in range(2 * jump + 1)]
        x, where = images(setup, net)
        got = {v: path(net, v, x, shifts) for v in variants}
        numbers = {"jump": jump, "shifts": shifts, "n": len(x)}
        for v, g in got.items():
            c = counts(g["top"], setup.seed)
            numbers[v] = {
                "prob": [mean_ci(r).record() for r in g["prob"]],
                "distance": [mean_ci(r).record() for r in g["distance"]],
                "distance_mean": mean_ci(g["distance"].mean(0)).record(),
                "distance_max": mean_ci(g["distance"].max(0)).record(),
                "prob_swing": mean_ci(g["prob"].max(0) - g["prob"].min(0)).record(),
                "at_jump": float(g["distance"][-1].max()),
                "consistency": wilson(*c["consistency"]).record(),
                "top1_change": wilson(*c["top1_change"]).record()}
        return Answer(self.name, self.title, tuple(_verdict(numbers, variants)), numbers,
                      _tables(numbers, variants), _figures(numbers, variants),
                      {"inputs": where, "circular": True}, self.cites)



def _verdict(nb: dict, variants) -> list[str]:
    jump, n = nb["jump"], nb["n"]
    dist = {v: Estimate.of(nb[v]["distance_mean"]) for v in variants}
    exact = [v for v in variants if nb[v]["at_jump"] < EXACT]
    out = []
    most = {v: Estimate.of(nb[v]["distance_max"]) for v in variants}
    if all(d.hi < EXACT for d in most.values()):
        return [f"Every variant here is invariant at every shift tried (0 to {jump} px in "
                f"half-pixel steps): the last features never move by more than "
                f"{fmt(max(d.hi for d in most.values()))} in cosine distance (upper 95% bound, "
                f"n={n} images)."]
    if exact:
        out.append(f"Shifted circularly by {jump} px (one jump of the last site), "
                   + and_list([LABELS[v] for v in exact]) + " give the same output exactly: cosine "
                   f"distance at most {fmt(max(nb[v]['at_jump'] for v in exact))} (n={n}).")
    moving = [v for v in variants if most[v].lo > EXACT]  # the largest change along the path
    if moving:
        out.append("In between, " + ("none is invariant" if len(moving) == len(variants) else
                                     and_list([LABELS[v] for v in moving]) + " are not invariant")
                   + ": pooling alone does not make the network translation invariant, "
                   "only shifts by whole jumps leave its output unchanged.")
    out.append(winner("Cosine distance of the last features, mean over the path", dist,
                      "lower", LABELS))
    out.append(winner("Swing of the top-class probability along the path (max - min)",
                      {v: Estimate.of(nb[v]["prob_swing"]) for v in variants}, "lower", LABELS))
    out.append(winner("Top-1 consistency between two random shifts",
                      {v: Estimate.of(nb[v]["consistency"]) for v in variants}, "higher", LABELS))
    out.append(winner("Top-1 change rate per half-pixel step",
                      {v: Estimate.of(nb[v]["top1_change"]) for v in variants}, "lower", LABELS))
    return out


def _tables(nb: dict, variants) -> tuple[Table, ...]:
    shifts = nb["shifts"]
    dist = Table("Cosine distance of the last features to shift 0",
                 ("shift (px)", *(LABELS[v] for v in variants)),
                 tuple((fmt(s), *(str(Estimate.of(nb[v]["distance"][i])) for v in variants))
                       for i, s in enumerate(shifts)),
                 "0 = the classifier sees the same features; float rounding ~1e-7; mean with "
                 "95% interval over images")
    prob = Table("Probability of the class chosen at shift 0",
                 ("shift (px)", *(LABELS[v] for v in variants)),
                 tuple((fmt(s), *(str(Estimate.of(nb[v]["prob"][i])) for v in variants))
                       for i, s in enumerate(shifts)),
                 "0 to 1; the same value at every shift = invariant; mean with 95% interval")
    summary = Table("Along the path", ("variant", "consistency", "top-1 change rate",
                                       "probability swing"),
                    tuple((LABELS[v], str(Estimate.of(nb[v]["consistency"])),
                           str(Estimate.of(nb[v]["top1_change"])),
                           str(Estimate.of(nb[v]["prob_swing"])))
                          for v in variants),
                    "consistency: share of pairs of random shifts with the same top-1 (higher "
                    "is steadier); change rate: share of half-pixel steps that change it (lower "
                    "is steadier); swing: max - min of the probability per image (lower is "
                    "steadier); Wilson / t 95% intervals")
    return dist, prob, summary


def _figures(nb: dict, variants) -> tuple[Figure, ...]:
    shifts, jump = nb["shifts"], nb["jump"]
    note = f"circular shifts; {jump} px is one jump of the last site; bands: 95% intervals"
    d = figures.curves(shifts, {v: [Estimate.of(r) for r in nb[v]["distance"]] for v in variants},
                       "The last features under a circular shift", "shift (px)",
                       "cosine distance to shift 0 (log scale)",
                       note + "; below 1e-7 is float rounding (drawn at 1e-8)", log=True)
    p = figures.curves(shifts, {v: [Estimate.of(r) for r in nb[v]["prob"]] for v in variants},
                       "The top class's probability under a circular shift", "shift (px)",
                       "probability", note)
    return (Figure("invariance-distance", d, "How far the features the classifier reads move "
                   "as the input shifts, per variant."),
            Figure("invariance-prob", p, "The probability of the class chosen at shift 0, as "
                   "the input shifts."))

