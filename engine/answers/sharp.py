"""Question 6: does max keep sharp features and average smooth ones?

Each variant's operator at the network's first site (max-pool, avg-pool, plain subsampling,
blur-pool, the learned conv) is applied to thin lines, edges and a photo, at each of the four
sampling phases (the picture moved by 0 or 1 px down and right, wrapped round, so the feature
falls on each position of the 2x2 grid). After each: the peak kept (the brightest output
against the brightest input), the energy kept (mean square per pixel, output against input)
and the high-frequency share (the part of the output's spectrum above half its Nyquist
frequency). These are exact computations on fixed pictures: the mean over phases and pictures
is reported with the range over them, which is where plain stride shows its phase lottery.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from engine.answers import figures
from engine.answers.base import LABELS, Answer, Figure, Question, Setup, Table, register
from engine.answers.inputs import network
from engine.answers.nonlinearity import operators
from engine.answers.stats import Estimate, fmt
from engine.measures.metrics import alias_fraction
from engine.sources.images import load_image

SIZE = 32
PHASES = ((0, 0), (0, 1), (1, 0), (1, 1))
MEASURES = {"peak": "peak kept", "energy": "energy kept", "high": "high-frequency share"}
SAME = 0.01    # peaks closer than this: the same
HIGH_DIFF = 0.02  # high-frequency shares further apart than this: worth a sentence
PHASE_LOTTERY = 0.25  # a peak range wider than this over phases: it depends on the phase


def lines() -> list[np.ndarray]:
    """Thin (1-px) lines, value 1 on 0: vertical, horizontal, diagonal."""
    v, h = np.zeros((SIZE, SIZE)), np.zeros((SIZE, SIZE))
    v[:, SIZE // 2] = 1.0
    h[SIZE // 2, :] = 1.0
    return [v, h, np.eye(SIZE)]


def edges() -> list[np.ndarray]:
    """Step edges, 0 to 1: vertical, horizontal, diagonal."""
    yy, xx = np.mgrid[:SIZE, :SIZE]
    return [(xx >= SIZE // 2).astype(float), (yy >= SIZE // 2).astype(float),
            (xx > yy).astype(float)]


def photo(source: str | None) -> tuple[np.ndarray, str]:
    """A grey photo in [0, 1], ``SIZE * 2`` square: the set-up's source, else the portrait
    matplotlib ships (Grace Hopper, public domain)."""
    import cv2

    path = source or os.path.join(_mpl_data(), "sample_data", "grace_hopper.jpg")
    rgb = load_image(path)
    h, w = rgb.shape[:2]
    side = min(h, w)
    crop = rgb[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
    grey = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (2 * SIZE, 2 * SIZE), interpolation=cv2.INTER_AREA)
    return small.astype(float) / 255.0, os.path.basename(path)


def _mpl_data() -> str:
    import matplotlib

    return matplotlib.get_data_path()


def measure(op, pictures: list[np.ndarray], channels: int) -> dict[str, list[float]]:
    """measure -> one value per picture and phase, for the operator ``op``."""
    out = {k: [] for k in MEASURES}
    for pic in pictures:
        for dy, dx in PHASES:
            x = torch.from_numpy(np.roll(pic, (dy, dx), (0, 1))).float()
            y = apply(op, x, channels)
            xm = float(x.abs().max())
            out["peak"].append(float(y.abs().max()) / xm if xm else 1.0)
            xe = float(x.pow(2).mean())
            out["energy"].append(float(y.pow(2).mean()) / xe if xe else 1.0)
            hf = alias_fraction(y[None], (2, 2))
            out["high"].append(0.0 if np.isnan(hf) else hf)
    return out


def apply(op, x: torch.Tensor, channels: int) -> torch.Tensor:
    """``op`` on the (H, W) picture ``x`` given in every channel; the output's channel mean."""
    with torch.no_grad():
        y = op(x.expand(1, channels, *x.shape).contiguous())
    y = y[0] if isinstance(y, tuple) else y
    return y[0].mean(0)


def summary(values: list[float]) -> dict:
    return {"mean": float(np.mean(values)), "min": float(np.min(values)),
            "max": float(np.max(values)), "n": len(values)}


@register
class Sharp(Question):
    name = "sharp"
    title = "Does max keep sharp features and average smooth ones?"
    cites = ("zhang2019",)
    live = True
    hint = ('Click a channel and watch the zoom strip: max keeps a thin line whole, avg halves '
            'it, stride keeps or loses it as the input moves.')
    window = {"variants": ("max", "avg", "stride", "blur"), "tab": "Spectrum"}
    seconds = 3

    def run(self, setup: Setup) -> Answer:
        net = network(setup)
        site = net.sites[0]
        channels = next(ly.shape[0] for ly in net.layers if ly.name == site.path)
        variants = [v for v in setup.variants if v != "plain"]
        pic, name = photo(setup.source)
        kinds = {"thin lines": lines(), "edges": edges(), f"a photo ({name})": [pic]}
        ops = {v: operators(net, v, site)["site"] for v in variants}
        numbers = {"site": site.path, "inputs": {}}
        for kind, pics in kinds.items():
            inp = [alias_fraction(torch.from_numpy(p)[None].float(), (2, 2)) for p in pics]
            numbers["inputs"][kind] = {"high": float(np.mean(np.nan_to_num(inp)))}
            numbers[kind] = {v: {k: summary(vals) for k, vals in
                                 measure(ops[v], pics, channels).items()} for v in variants}
        return Answer(self.name, self.title, tuple(_verdict(numbers, kinds, variants)),
                      numbers, _tables(numbers, kinds, variants),
                      _figures(ops, kinds, variants, channels, numbers),
                      {"inputs": f"thin lines and edges ({SIZE}x{SIZE}), {name}; the "
                                 f"operators of {site.path}"}, self.cites)


def _span(s: dict) -> str:
    return fmt(s["mean"]) if s["max"] - s["min"] < 1e-9 else \
        f"{fmt(s['mean'])} ({fmt(s['min'])} to {fmt(s['max'])})"


def _verdict(numbers: dict, kinds: dict, variants) -> list[str]:
    out = []
    for kind in kinds:
        per = numbers[kind]
        peaks = {v: per[v]["peak"]["mean"] for v in variants}
        if max(peaks.values()) - min(peaks.values()) < SAME:
            out.append(f"On {kind}, every operator keeps the same peak "
                       f"({fmt(next(iter(peaks.values())))}, mean over the 4 phases): no "
                       "difference between them here.")
            continue
        order = sorted(variants, key=lambda v: -peaks[v])
        out.append(f"On {kind}, the peak kept (mean over the 4 sampling phases, range in "
                   "brackets): " + ", ".join(f"{LABELS[v]} {_span(per[v]['peak'])}"
                                             for v in order) + ".")
        if "max" in per and "avg" in per:
            mx, av = per["max"], per["avg"]
            if mx["peak"]["mean"] - av["peak"]["mean"] >= SAME:
                out.append(f"So on {kind} max keeps the sharp feature "
                           f"({fmt(mx['peak']['mean'])} of its peak) and average smooths it "
                           f"({fmt(av['peak']['mean'])}).")
            elif av["peak"]["mean"] - mx["peak"]["mean"] >= SAME:
                out.append(f"Here avg-pool keeps more of the peak than max-pool "
                           f"({fmt(av['peak']['mean'])} against {fmt(mx['peak']['mean'])}).")
        high = {v: per[v]["high"]["mean"] for v in variants}
        if max(high.values()) - min(high.values()) > HIGH_DIFF:
            out.append(f"On {kind}, the high-frequency share left (fine detail; mean over "
                       "phases): " + ", ".join(f"{LABELS[v]} {fmt(high[v])}" for v in
                                              sorted(variants, key=lambda v: -high[v]))
                       + f" (the input: {fmt(numbers['inputs'][kind]['high'])}).")
        lottery = [v for v in variants
                   if per[v]["peak"]["max"] - per[v]["peak"]["min"] > PHASE_LOTTERY]
        for v in lottery:
            p = per[v]["peak"]
            out.append(f"Under {LABELS[v]} it depends on where the feature falls: the peak "
                       f"kept ranges from {fmt(p['min'])} to {fmt(p['max'])} over the four "
                       "sampling phases.")
    return out


def _tables(numbers: dict, kinds: dict, variants) -> tuple[Table, ...]:
    tables = []
    for kind in kinds:
        per = numbers[kind]
        rows = tuple((LABELS[v], *(_span(per[v][k]) for k in MEASURES)) for v in variants)
        rows += (("the input", "1", "1", fmt(numbers["inputs"][kind]["high"])),)
        tables.append(Table(f"After each operator, on {kind}", ("operator", *MEASURES.values()),
                            rows, "peak kept: brightest output / brightest input (1 = the "
                            "feature's full strength survives); energy kept: mean square per "
                            "pixel, output / input (1 = the same; above 1 the operator spread "
                            "the feature); high-frequency share: of the output's spectrum "
                            "above half its Nyquist frequency (0 to 1, higher = sharper); "
                            "mean over pictures and the 4 sampling phases, range in brackets"))
    return tuple(tables)


def _figures(ops, kinds: dict, variants, channels: int, numbers: dict) -> tuple[Figure, ...]:
    panels = []
    line = lines()[0]
    for phase in (0, 1):
        x = torch.from_numpy(np.roll(line, phase, 1)).float()
        panels.append((f"line, phase {phase}", x.numpy()))
        for v in variants:
            panels.append((f"{v}, phase {phase}", apply(ops[v], x, channels).clamp(0, 1).numpy()))
    grid = figures.masks(panels, "A 1-px vertical line after each operator, at two phases "
                         "(moved by 1 px)", columns=len(variants) + 1)
    groups = list(kinds)
    series = {v: [_range(numbers[k][v]["peak"]) for k in groups] for v in variants}
    bars = figures.bars(groups, series, "Peak kept after each operator",
                        "peak out / peak in", note="bars: mean over the 4 sampling phases; "
                        "whiskers: the range over phases and pictures (not a statistical "
                        "interval)")
    return (Figure("sharp-line", grid, "A 1-px line through each operator, at two sampling "
                   "phases: the line, and the line moved by 1 px."),
            Figure("sharp-peak", bars, "The peak kept on thin lines, edges and a photo."))


def _range(s: dict) -> Estimate:
    """The mean over phases with their range as its whiskers (not a statistical interval)."""
    return Estimate(s["mean"], s["min"], s["max"], s["n"])
