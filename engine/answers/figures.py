"""The answers' figures: matplotlib on the Agg backend (no display), PNG bytes out, the
variants in the window's colours."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from engine.answers.stats import Estimate  # noqa: E402
from engine.display.colormaps import variant_color  # noqa: E402


def rgb(variant: str) -> tuple[float, float, float]:
    return tuple(c / 255 for c in variant_color(variant))


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def bars(groups: list[str], series: dict[str, list], title: str, ylabel: str,
         log: bool = False, floor: float = 1e-9, note: str = "") -> bytes:
    """Grouped bars: one group per ``groups`` entry, one bar per series (a variant) with its
    95% interval where the values are :class:`Estimate` s."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(groups) * max(1, len(series)) / 2.5),
                                    3.6))
    width = 0.8 / max(1, len(series))
    xs = np.arange(len(groups))
    for i, (name, values) in enumerate(series.items()):
        mean = np.array([v.mean if isinstance(v, Estimate) else v for v in values], float)
        lo = np.array([v.lo if isinstance(v, Estimate) else v for v in values], float)
        hi = np.array([v.hi if isinstance(v, Estimate) else v for v in values], float)
        where = xs + (i - (len(series) - 1) / 2) * width
        zero = mean <= 0
        if log:  # a zero has no place on a log axis: no bar, a "0" at the bottom
            mean, lo, hi = (np.where(zero, np.nan, np.maximum(a, floor))
                            for a in (mean, lo, hi))
            for x0 in where[zero]:
                ax.annotate("0", (x0, 0), xycoords=("data", "axes fraction"), ha="center",
                            va="bottom", fontsize=8)
        err = np.vstack([mean - lo, hi - mean])
        ax.bar(where, mean, width, yerr=err, capsize=2, color=rgb(name), edgecolor="black",
               linewidth=0.6, label=name)
    ax.set_xticks(xs, groups, rotation=15 if len(groups) > 4 else 0, ha="right"
                  if len(groups) > 4 else "center")
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncols=min(5, len(series)), loc="upper left",
              bbox_to_anchor=(0, -0.18 if len(groups) > 4 else -0.1))
    if note:
        fig.text(0.01, -0.12, note, fontsize=8, ha="left", va="top", wrap=True)
    return png(fig)


def masks(panels: list[tuple[str, np.ndarray]], title: str) -> bytes:
    """Small binary or grey images side by side, each with its title."""
    fig, axes = plt.subplots(1, len(panels), figsize=(2.0 * len(panels), 2.4))
    for ax, (name, img) in zip(np.atleast_1d(axes), panels, strict=True):
        ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(name, fontsize=9, color=tuple(0.6 * c for c in rgb(name.split()[0])))
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    return png(fig)
