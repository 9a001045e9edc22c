"""Question 3: does a strided 1x1 shortcut ignore three quarters of its input?

On the projection shortcuts of a ResNet (the set-up's network if it has strided 1x1 convs,
else ResNet-18): the share of the input elements (per channel and position) that get a
non-zero gradient at the shortcut's output, per variant, on real maps entering the shortcut.
A stride-1 1x1 conv on the same maps is the control.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.answers import figures
from engine.answers.base import Answer, Figure, Question, Setup, Table, register
from engine.answers.inputs import images, network
from engine.answers.nonlinearity import inputs_at
from engine.answers.stats import Estimate, mean_ci

LABELS = {"stride": "The strided 1x1 shortcut as ResNet has it (stride)",
          "plain": "The network as written (plain)",
          "max": "Max-pool then the 1x1 (max)",
          "avg": "AvgPool 2x2/2 then a stride-1 1x1, ResNet-D (avg)",
          "blur": "BlurPool then a stride-1 1x1 (blur)",
          "learned": "A learned 3x3/2 conv then the 1x1 (learned)",
          "control": "The same 1x1 at stride 1 (the control)"}


def reach(op, x: torch.Tensor) -> tuple[list[float], torch.Tensor]:
    """Per image, the share of ``x``'s elements with a non-zero gradient of ``op(x)``'s sum;
    and the mask of the first image's first channel."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        y = op(x)
        (y[0] if isinstance(y, tuple) else y).sum().backward()
    hit = x.grad != 0
    return hit.flatten(1).float().mean(1).tolist(), hit[0, 0].float()


def control(conv):
    """The shortcut's own 1x1 weights at stride 1."""
    return lambda x: F.conv2d(x, conv.weight, conv.bias)


def shares(net, variants, x: torch.Tensor, sites) -> dict:
    """site -> variant (and "control") -> (Estimate of the share, mask)."""
    inputs = inputs_at(net, x, {s.path for s in sites})
    out = {}
    for s in sites:
        row = {}
        for v in variants:
            got, mask = reach(dict(net.variants[v].model.named_modules())[s.path],
                              inputs[s.path])
            row[v] = (mean_ci(got), mask)
        got, mask = reach(control(dict(net.plain.named_modules())[s.path]), inputs[s.path])
        row["control"] = (mean_ci(got), mask)
        out[s.path] = row
    return out


@register
class Shortcut(Question):
    name = "shortcut"
    title = "Does a strided 1x1 shortcut ignore three quarters of its input?"
    cites = ("he2019",)
    live = False
    hint = ('Runs on ResNet-18 in the background: which input elements reach a strided 1x1 '
            'shortcut.')
    window = {}
    seconds = 4

    def run(self, setup: Setup) -> Answer:
        variants = [v for v in setup.variants if v != "plain"]
        net = network(setup)
        used = setup.model
        if not any(s.kind == "shortcut" for s in net.sites):
            used = "resnet18"
            net = network(setup, model=used, variants=variants)
        sites = [s for s in net.sites if s.kind == "shortcut"]
        x, where = images(setup, net, 4)
        found = shares(net, variants, x, sites)
        numbers = {s: {v: {**e.record(), "exact": e.lo == e.hi}
                       for v, (e, _) in row.items()} for s, row in found.items()}
        return Answer(self.name, self.title, tuple(verdict(found, variants)), numbers,
                      _tables(found), _figures(found), {
                          "network": used + ("" if used == setup.model else
                                             f" (the set-up's {setup.model} has no strided "
                                             "1x1 shortcut; random weights)"),
                          "inputs": where}, self.cites)


def verdict(found: dict, variants: list[str]) -> list[str]:
    """Sentences from the shares (each share is a count over every element of every map, so
    it is exact, the same on each image)."""
    sites = list(found)
    n = next(iter(found.values()))["control"][0].n

    def share(v) -> Estimate:
        return mean_ci([found[s][v][0].mean for s in sites])

    out = [f"Measured at the {len(sites)} strided 1x1 shortcuts ({', '.join(sites)}) on "
           f"{n} real maps each."]
    if "stride" in variants:
        s = share("stride").mean
        out.insert(0, "Yes: a strided 1x1 conv reads one position in four, so three quarters "
                   f"of its input reach nothing (share {s:.2f})." if s < 0.3 else
                   f"No: here the strided 1x1 shortcut reaches {s:.2f} of its input.")
    for v in [*variants, "control"]:
        e = share(v)
        if e.hi < 0.3:
            tail = (": one element of each 2x2 window wins" if v == "max" else
                    "; the other 3/4 get no gradient at all")
            out.append(f"{LABELS[v]} reaches {e.mean:.2f} of its input elements{tail}.")
        elif e.lo > 0.999:
            out.append(f"{LABELS[v]} reaches every input element ({e.mean:.2f}).")
        else:
            out.append(f"{LABELS[v]} reaches {e} of its input elements.")
    return out


def _tables(found: dict) -> tuple[Table, ...]:
    cols = list(next(iter(found.values())))
    return (Table("Share of the shortcut's input elements with a non-zero gradient",
                  ("shortcut", *cols), tuple((s, *(f"{row[v][0].mean:.2f}" for v in cols))
                                             for s, row in found.items()),
                  "share: 1 = every input element reaches the output, 0.25 = one in four; "
                  "exact counts over all elements, the same for each of the images"),)


def _figures(found: dict) -> tuple[Figure, ...]:
    s, row = next(iter(found.items()))
    sites = list(found)
    bars = figures.bars(sites, {v: [found[t][v][0] for t in sites] for v in row},
                        "Share of input elements that reach the shortcut's output", "share")
    panel = figures.masks([(v, m.numpy()) for v, (_, m) in row.items()],
                          f"{s}: input positions of channel 0 that reach the output (white)")
    return (Figure("shortcut-shares", bars, "The share of each shortcut's input that reaches "
                   "its output, per variant, and the stride-1 control."),
            Figure("shortcut-masks", panel, "Which input positions of one channel reach the "
                   "output (white), per variant."))
