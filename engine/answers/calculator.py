"""The pooling calculator: a small matrix through every operator, every output value shown.

``ask calculator --matrix "1,3,2,4;5,6,1,2;0,1,3,1;2,4,5,2" --kernel 2 --stride 2 [--padding 0]``:
max-pool and avg-pool with that kernel, stride and padding (PyTorch's: max pads with -inf,
avg counts padded zeros); plain stride (every s-th value from the top-left, what a 1x1 conv
at stride s keeps); blur-pool, whose filter size is the kernel (binomial Bin-k, reflect padding, as
in the network); blur at a max-pool site (a max at stride 1, then the blur); and the learned
conv as it starts before training (a 3x3 box, its weights shown).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from engine.answers import figures
from engine.answers.base import Answer, Figure, Question, Setup, Table, register
from engine.errors import PoolScopeError
from engine.network.downsamplers import BlurPool, DenseMax, LearnedConv

CLASSIC = "1,3,2,4;5,6,1,2;0,1,3,1;2,4,5,2"
LARGEST = 32  # sides above this are not a calculator's job


def parse(text: str) -> np.ndarray:
    """``"1,3;5,6"`` -> a 2-D float array; a one-line error for anything else."""
    try:
        rows = [[float(v) for v in row.replace(" ", ",").split(",") if v]
                for row in text.strip().strip(";").split(";")]
    except ValueError:
        raise PoolScopeError(f"--matrix {text!r}: numbers separated by commas, rows by "
                             "semicolons, e.g. \"1,3;5,6\"") from None
    if not rows or not rows[0] or any(len(r) != len(rows[0]) for r in rows):
        raise PoolScopeError(f"--matrix {text!r}: every row needs the same number of values")
    if max(len(rows), len(rows[0])) > LARGEST:
        raise PoolScopeError(f"--matrix: at most {LARGEST}x{LARGEST}")
    return np.array(rows, dtype=np.float64)


def calculate(m: np.ndarray, k: int, s: int, p: int) -> dict[str, dict]:
    """operator -> {"values": 2-D list, "how": what it does, and "weights" where it has any}."""
    if k < 1 or s < 1 or p < 0:
        raise PoolScopeError("the calculator needs kernel >= 1, stride >= 1, padding >= 0")
    if p > k // 2:
        raise PoolScopeError(f"padding {p} is more than half the kernel {k} (PyTorch's rule "
                             "for pooling)")
    if min(m.shape) + 2 * p < k:
        raise PoolScopeError(f"a {m.shape[0]}x{m.shape[1]} matrix is smaller than the "
                             f"{k}x{k} kernel")
    x = torch.from_numpy(m)[None, None]
    blur = BlurPool(k, s).double()
    learned = LearnedConv(1, s).double()
    out = {
        "max": (F.max_pool2d(x, k, s, p), f"max-pool {k}x{k}/{s}: the largest value of each "
                                          "window"),
        "avg": (F.avg_pool2d(x, k, s, p), f"avg-pool {k}x{k}/{s}: the mean of each window"
                + (" (padding counts as 0)" if p else "")),
        "stride": (x[..., ::s, ::s], f"stride {s}: every {_nth(s)} value from the top-left "
                   f"(what a 1x1 conv at stride {s} keeps; padding does not apply)"),
        "blur": (blur(x), f"blur-pool Bin-{k}/{s}: the binomial filter below, then stride "
                 f"{s} (reflect padding)"),
        "max-blur": (blur(DenseMax(k, p)(x)), f"blur at a max-pool site: max {k}x{k} at "
                     f"stride 1, then blur-pool Bin-{k}/{s}"),
        "learned": (learned(x).detach(), f"the learned conv as it starts: "
                    f"{learned.kernel_size[0]}x{learned.kernel_size[1]}/{s}, padding "
                    f"{learned.padding[0]}, the weights below (training changes them)"),
    }
    res = {name: {"values": y[0, 0].tolist(), "how": how} for name, (y, how) in out.items()}
    res["blur"]["weights"] = blur.filt[0, 0].tolist()
    res["max-blur"]["weights"] = blur.filt[0, 0].tolist()
    res["learned"]["weights"] = learned.weight[0, 0].detach().tolist()
    return res


def _nth(s: int) -> str:
    return {1: "single", 2: "2nd", 3: "3rd"}.get(s, f"{s}th")


def show(values) -> str:
    """A matrix as ``[[6, 4], [4, 5]]``."""
    return "[" + ", ".join("[" + ", ".join(_num(v) for v in row) + "]" for row in values) + "]"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.4g}"


@register
class Calculator(Question):
    name = "calculator"
    title = "The pooling calculator: a small matrix through every operator"
    cites = ("zhang2019", "springenberg2014")
    live = True
    hint = ("Edit the matrix below and pick kernel, stride and padding: every operator's output "
            'updates as you type.')
    window = {}
    seconds = 1

    def run(self, setup: Setup) -> Answer:
        text = setup.matrix or CLASSIC
        m = parse(text)
        k, s, p = setup.kernel, setup.stride, setup.padding
        res = calculate(m, k, s, p)
        numbers = {"matrix": m.tolist(), "kernel": k, "stride": s, "padding": p,
                   "outputs": res}
        return Answer(self.name, self.title, tuple(_verdict(res, m)), numbers,
                      _tables(m, res), (_figure(m, res),),
                      {"inputs": f"the matrix {show(m.tolist())}, kernel {k}, stride {s}, "
                                 f"padding {p}"}, self.cites)


def _verdict(res: dict, m: np.ndarray) -> list[str]:
    out = [f"{r['how'][0].upper()}{r['how'][1:]}: {show(r['values'])}."
           for r in res.values()]
    mx, av = np.array(res["max"]["values"]), np.array(res["avg"]["values"])
    differ = int((~np.isclose(mx, av)).sum())
    if differ:
        out.append(f"Max and avg differ in {differ} of {mx.size} outputs: max keeps each "
                   f"window's largest value (the sharp one), avg spreads it over the window.")
    else:
        out.append("Max and avg give the same here: every window is flat.")
    return out


def _tables(m: np.ndarray, res: dict) -> tuple[Table, ...]:
    tables = [Table("The input", tuple(f"col {j}" for j in range(m.shape[1])),
                    tuple(tuple(_num(v) for v in row) for row in m.tolist()))]
    for name, r in res.items():
        vals = r["values"]
        tables.append(Table(r["how"], tuple(f"col {j}" for j in range(len(vals[0]))),
                            tuple(tuple(_num(v) for v in row) for row in vals),
                            "exact values (float64)"))
        if "weights" in r and name != "max-blur":
            w = r["weights"]
            tables.append(Table(f"{name}: its weights", tuple(f"col {j}" for j in range(len(w[0]))),
                                tuple(tuple(_num(v) for v in row) for row in w)))
    return tuple(tables)


def _figure(m: np.ndarray, res: dict) -> Figure:
    panels = [("input", m.tolist())] + [(name, r["values"]) for name, r in res.items()]
    return Figure("calculator", figures.numbers_grid(panels, "The matrix through each operator"),
                  "Every output value of every operator, on the matrix given.")
