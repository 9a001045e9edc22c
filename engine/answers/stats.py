"""The statistics verdicts rest on: means with 95% intervals, Wilson intervals for shares,
the tie rule, and numbers written the same way everywhere."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (then ~1.96)
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


@dataclass(frozen=True)
class Estimate:
    """A mean over ``n`` samples with its 95% interval [lo, hi]."""

    mean: float
    lo: float
    hi: float
    n: int

    def record(self) -> dict:
        return {"mean": self.mean, "ci95": [self.lo, self.hi], "n": self.n}

    @classmethod
    def of(cls, record: dict) -> Estimate:
        """The estimate back from its :meth:`record`."""
        return cls(record["mean"], record["ci95"][0], record["ci95"][1], record["n"])

    def __str__(self) -> str:
        if self.n <= 1 or self.lo == self.hi:
            return f"{fmt(self.mean)} (n={self.n})"
        return f"{fmt(self.mean)} (95% CI {fmt(self.lo)} to {fmt(self.hi)}, n={self.n})"


def mean_ci(values) -> Estimate:
    """The mean of ``values`` with a t-based 95% interval."""
    x = np.asarray(list(values), dtype=np.float64)
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    m = float(x.mean())
    if n == 1:
        return Estimate(m, m, m, 1)
    t = _T95[n - 2] if n - 1 <= len(_T95) else 1.96
    half = t * float(x.std(ddof=1)) / math.sqrt(n)
    lo = max(0.0, m - half) if x.min() >= 0 else m - half  # a distance is never below 0
    return Estimate(m, lo, m + half, n)


def wilson(k: int, n: int) -> Estimate:
    """The share k / n with its Wilson 95% interval."""
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    z, p = 1.96, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Estimate(p, min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)), n)


def overlap(a: Estimate, b: Estimate) -> bool:
    """True if the two intervals overlap: no clear difference."""
    return not (a.hi < b.lo or b.hi < a.lo)


def fmt(x: float) -> str:
    """A number as the verdicts and tables write it: 3 significant digits, thousands
    separated for whole numbers, scientific below 1e-3."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if float(x).is_integer() and abs(x) >= 1000:
        return f"{int(x):,}"
    if x != 0 and abs(x) < 1e-3:
        return f"{x:.1e}"
    return f"{x:.3g}"


def ratio(a: float, b: float) -> str:
    """``a / b`` written as "4.0x"."""
    return f"{a / b:.1f}x" if b else "n/a"


ROUNDING = 1e-9  # estimates closer than this are float rounding apart: no difference


def winner(criterion: str, values: dict, better: str = "lower", labels=None,
           unit: str = "") -> str:
    """One verdict sentence: which of ``values`` (name -> Estimate, or an exact number) wins
    ``criterion`` and by how much against the next best; or, for estimates whose intervals
    overlap the best one's, that there is no clear difference, with n."""
    labels = labels or {}
    name = lambda v: labels.get(v, v)  # noqa: E731
    sign = 1.0 if better == "lower" else -1.0
    key = lambda v: sign * (values[v].mean if isinstance(values[v], Estimate)  # noqa: E731
                            else values[v])
    order = sorted((v for v in values if not math.isnan(key(v))), key=key)
    if len(order) < 2:
        return f"{criterion}: only {name(order[0])} has a value." if order else \
            f"{criterion}: no value."
    best, b = order[0], values[order[0]]
    stat = isinstance(b, Estimate)
    tied = [v for v in order[1:] if (_close(b, values[v]) if stat else values[v] == b)]
    show = (lambda v: str(values[v])) if stat else (lambda v: fmt(values[v]) + unit)
    if tied and not stat:
        others = [v for v in order if v not in tied and v != best]
        tail = "; then " + ", ".join(f"{name(v)} {show(v)}" for v in others) if others else ""
        return (f"{criterion}: {and_list([name(best)] + [name(v) for v in tied])} tie at "
                f"{show(best)} (exact){tail}.")
    others = [v for v in order[1:] if v not in tied]
    tail = ("; the rest: " + ", ".join(f"{name(v)} {fmt(values[v].mean if stat else values[v])}"
                                       for v in others)) if others else ""
    if tied:
        rest = ", ".join(f"{name(v)} {show(v)}" for v in tied)
        return (f"{criterion}: no clear difference between {name(best)} {show(best)} and "
                f"{rest}: their 95% intervals overlap{tail}.")
    nxt = order[1]
    bm = b.mean if stat else b
    nm = values[nxt].mean if stat else values[nxt]
    big, small = (nm, bm) if better == "lower" else (bm, nm)
    if small > 0 and big / small >= 1.1:
        by = f"{ratio(big, small)} {'less' if better == 'lower' else 'more'}"
    else:
        by = f"a difference of {fmt(abs(nm - bm))}{unit}"
    return (f"{criterion}: {name(best)} wins with {show(best)}, against {show(nxt)} for "
            f"{name(nxt)}, the next best ({by}).")


def _close(a: Estimate, b: Estimate) -> bool:
    return overlap(a, b) or abs(a.mean - b.mean) <= ROUNDING


def and_list(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
