"""Question 9: does a strided conv keep position better than pooling?

A small bright blob (a Gaussian, sigma 1.5 px, so any sub-pixel position renders exactly) is
moved over a grid of whole- and half-pixel positions on a fixed held-out background. For each
variant and row, the map's units around the blob's path are the features of a ridge readout
of the blob's position, in its dual form (the features have up to ~10^5 dimensions and the
positions are few): ``W = F^T (F F^T + lambda I)^-1 P``, lambda chosen by leave-one-out from the
hat matrix's diagonal (``e_i = (p_i - yhat_i) / (1 - H_ii)``), fitted on half the positions and
tested on the other half, interleaved like a checkerboard (never split by image halves). The
error is in input pixels, with a 95% interval over the test positions. Beside it, how often the
blob's response drops out between sampling positions: its peak (the largest change of the map
that the blob makes) falls below half its maximum over the positions.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.answers import figures
from engine.answers.base import LABELS, Answer, Figure, Question, Setup, Table, register
from engine.answers.inputs import HELD_OUT, to_batch, with_none
from engine.answers.probing import geometry
from engine.answers.stats import Estimate, mean_ci, wilson, winner
from engine.network.capture import Capture
from engine.train.dataset import SyntheticShapes

SIGMA = 1.5
STEP = 1.5             # px between positions: whole and half pixels alternate
POSITIONS = 12         # per axis: 12 x 12 positions over 16.5 px, one jump of tiny's last site
LAMBDAS = 10.0 ** np.arange(-6, 3)  # times the mean of diag(F F^T)
CHUNK = 16


def ridge_readout(f: np.ndarray, p: np.ndarray, train: np.ndarray) -> dict:
    """Fit positions ``p`` (n, 2) from features ``f`` (n, d) on the ``train`` mask, lambda by
    leave-one-out; the errors (px) on the others, and the lambda chosen."""
    f = f.astype(np.float64)
    mu_f, mu_p = f[train].mean(0), p[train].mean(0)
    f, p = f - mu_f, p - mu_p
    k = f @ f[train].T                                 # (n, n_train)
    ktt = k[train]
    scale = float(np.trace(ktt)) / max(1, len(ktt)) or 1.0
    best = None
    for lam in LAMBDAS * scale:
        inv = np.linalg.solve(ktt + lam * np.eye(len(ktt)), np.eye(len(ktt)))
        hat = ktt @ inv
        loo = (p[train] - hat @ p[train]) / (1 - np.diag(hat))[:, None].clip(1e-12)
        err = float(np.mean(np.linalg.norm(loo, axis=1)))
        if best is None or err < best[0]:
            best = (err, lam, inv)
    _, lam, inv = best
    pred = k[~train] @ (inv @ p[train])
    return {"errors": np.linalg.norm(pred - p[~train], axis=1), "lambda": lam / scale}


def scene(net, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The background (H, W, 3 float), the positions (n, 2: y, x) and the blob at each."""
    h, w = net.input_size
    import cv2

    bg = SyntheticShapes(1, max(h, w), seed, offset=HELD_OUT).image(0)[0]
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_AREA).astype(np.float64)
    bg = 0.5 * bg + 0.5 * 110.0                        # a quieter background
    span = STEP * (POSITIONS - 1)
    first = np.array([(h - 1 - span) / 2, (w - 1 - span) / 2])
    grid = np.stack(np.meshgrid(np.arange(POSITIONS), np.arange(POSITIONS), indexing="ij"), -1)
    pos = first + STEP * grid.reshape(-1, 2)
    return bg, pos, grid.reshape(-1, 2)


def render(bg: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The background with a white Gaussian blob centred at each position: (n, H, W, 3) uint8."""
    h, w = bg.shape[:2]
    yy, xx = np.mgrid[:h, :w]
    out = np.empty((len(pos), h, w, 3), np.uint8)
    for i, (cy, cx) in enumerate(pos):
        g = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * SIGMA ** 2))[..., None]
        out[i] = np.clip(bg * (1 - g) + 255.0 * g, 0, 255).astype(np.uint8)
    return out


def features(net, variant: str, x: torch.Tensor, base: torch.Tensor, geo: dict, window
             ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """row -> (features (n, d): the map's units whose centres fall in the input ``window``,
    the blob's response peak per position (the largest |map - map of the background|))."""
    model = net.variants[variant].model
    rows = list(net.layers)
    with torch.inference_mode(), Capture(model, rows, full=True) as cap:
        model(base)
    empty = {ly.name: cap.maps[ly.name][0].float() for ly in rows}
    feats = {ly.name: [] for ly in rows}
    peaks = {ly.name: [] for ly in rows}
    for xs in x.split(CHUNK):
        with torch.inference_mode(), Capture(model, rows, full=True) as cap:
            model(xs)
        for ly in rows:
            m = cap.maps[ly.name].float()
            ys, xs_ = _units(geo[ly.name], m.shape[-2:], window)
            feats[ly.name].append(m[:, :, ys][:, :, :, xs_].flatten(1).numpy())
            peaks[ly.name].append((m - empty[ly.name]).abs().flatten(1).amax(1).numpy())
    return {r: (np.concatenate(feats[r]), np.concatenate(peaks[r])) for r in feats}


def _units(g: dict, shape, window) -> tuple[slice, slice]:
    (lo, hi), out = window, []
    for n in shape:
        first = int(max(0, np.floor((lo - g["start"]) / g["jump"])))
        last = int(min(n - 1, np.ceil((hi - g["start"]) / g["jump"])))
        out.append(slice(first, max(first, last) + 1))
    return out[0], out[1]


@register
class Position(Question):
    name = "position"
    title = "Does a strided conv keep position better than pooling?"
    cites = ("zhang2019", "springenberg2014")
    live = False
    hint = ("Freeze, then run the shift probe: stride's error returns to 0 only at whole "
            'multiples of its jump.')
    window = {"variants": ("max", "avg", "stride", "blur"), "tab": "Shift probe"}
    seconds = 8

    def run(self, setup: Setup) -> Answer:
        net, refused = with_none(setup)
        variants = list(net.variants)
        bg, pos, grid = scene(net, setup.seed)
        x = to_batch(net, render(bg, pos))
        base = to_batch(net, [bg])
        train = (grid.sum(1) % 2) == 0                   # a checkerboard of positions
        margin = 3 * SIGMA
        window = (float(pos.min()) - margin, float(pos.max()) + margin)
        numbers = {"positions": len(pos), "step_px": STEP, "sigma_px": SIGMA,
                   "test_positions": int((~train).sum()), "refused_none": refused,
                   "rows": [ly.name for ly in net.layers], "variants": {}}
        for v in variants:
            geo = geometry(net, v)
            got = features(net, v, x, base, geo, window)
            per = {}
            for row, (f, peak) in got.items():
                fit = ridge_readout(f, pos, train)
                drops = int((peak < 0.5 * peak.max()).sum()) if peak.max() > 0 else len(peak)
                per[row] = {"error": mean_ci(fit["errors"].tolist()).record(),
                            "lambda": fit["lambda"], "features": int(f.shape[1]),
                            "dropout": wilson(drops, len(peak)).record(),
                            "peaks": peak.tolist()}
            numbers["variants"][v] = per
        return Answer(self.name, self.title, tuple(_verdict(numbers, variants)), numbers,
                      _tables(numbers, variants), _figures(numbers, variants),
                      {"inputs": f"a Gaussian blob (sigma {SIGMA} px) at {len(pos)} positions "
                                 f"{STEP} px apart on held-out image 0, seed {setup.seed}"},
                      self.cites)



def _verdict(nb: dict, variants) -> list[str]:
    rows, per = nb["rows"], nb["variants"]
    last = rows[-1]
    out = [winner(f"Position read back from the last row ({last}), error in input px",
                  {v: Estimate.of(per[v][last]["error"]) for v in variants}, "lower", LABELS)]
    first_site = next((r for r in rows if r in per[variants[0]] and r != rows[0]), rows[0])
    out.append(winner(f"From {first_site}, error in input px",
                      {v: Estimate.of(per[v][first_site]["error"]) for v in variants}, "lower",
                      LABELS))
    drops = {v: Estimate.of(per[v][last]["dropout"]) for v in variants}
    out.append(winner(f"The blob's response drops out between sampling positions at {last} "
                      "(peak below half its maximum), share of positions",
                      drops, "lower", LABELS))
    lost = [v for v in variants if drops[v].lo > 0]
    kept = [v for v in variants if drops[v].mean == 0]
    if lost:
        out.append("It drops out at some positions under " + ", ".join(
            f"{LABELS[v]} ({drops[v]})" for v in lost) + "; "
            + ("never under " + ", ".join(LABELS[v] for v in kept) if kept else
               "every variant loses it somewhere") + f" (n={nb['positions']} positions).")
    else:
        out.append(f"Its response never drops out under any variant here (n={nb['positions']} "
                   "positions).")
    return out


def _tables(nb: dict, variants) -> tuple[Table, ...]:
    per = nb["variants"]
    err = Table("Position read back, error in input px", ("row", *variants),
                tuple((r, *(str(Estimate.of(per[v][r]["error"])) for v in variants))
                      for r in nb["rows"]),
                f"mean Euclidean error over the {nb['test_positions']} test positions with its "
                "95% interval; 0 = exact, lower is better; ridge in the dual form, lambda by "
                "leave-one-out")
    drop = Table("Response drop-out between sampling positions", ("row", *variants),
                 tuple((r, *(str(Estimate.of(per[v][r]["dropout"])) for v in variants))
                       for r in nb["rows"]),
                 "share of positions where the blob's peak response is below half its maximum "
                 "(0 = never lost, lower is better); Wilson 95% interval")
    return err, drop


def _figures(nb: dict, variants) -> tuple[Figure, ...]:
    per, rows = nb["variants"], nb["rows"]
    err = figures.curves(list(range(len(rows))), {v: [Estimate.of(per[v][r]["error"]) for r in rows]
                                                  for v in variants},
                         "Position read back from each row", "row (in forward order)",
                         "error (input px)", "ridge readout; bands: 95% intervals over test "
                         "positions")
    last = rows[-1]
    n = int(round(len(per[variants[0]][last]["peaks"]) ** 0.5))
    panels = []
    for v in variants:
        peaks = np.asarray(per[v][last]["peaks"]).reshape(n, n)
        panels.append((v, peaks / peaks.max() if peaks.max() > 0 else peaks))
    grid = figures.masks(panels, f"The blob's peak response at {last} over its positions "
                         f"({STEP} px apart; white = strongest)")
    return (Figure("position-error", err, "How precisely the blob's position can be read back "
                   "from each row, per variant."),
            Figure("position-peaks", grid, "Where the blob's response at the last row is "
                   "strong or drops out, over the grid of positions."))


def dual_check(n: int = 40, seed: int = 0) -> float:
    """The readout on features that are the position itself: the mean error (~0)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 16, (n, 2))
    train = np.arange(n) % 2 == 0
    return float(ridge_readout(p.copy(), p, train)["errors"].mean())
