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
        err = np.clip(np.nan_to_num(np.vstack([mean - lo, hi - mean])), 0, None)
        ax.bar(where, mean, width, yerr=err, capsize=2, color=rgb(name), edgecolor="black",
               linewidth=0.6, label=name)
    ax.set_xticks(xs, groups, rotation=15 if len(groups) > 4 else 0, ha="right"
                  if len(groups) > 4 else "center")
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if note:
        fig.text(0.01, -0.12, note, fontsize=8, ha="left", va="top", wrap=True)
    return png(fig)


def masks(panels: list[tuple[str, np.ndarray]], title: str, columns: int | None = None) -> bytes:
    """Small binary or grey images in a grid (``columns`` wide, default one row), each with its
    title; a title that starts with a variant's name is drawn in its colour."""
    columns = columns or len(panels)
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.0 * columns, 2.3 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (name, img) in zip(axes.flat, panels, strict=False):
        ax.axis("on")
        ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(name, fontsize=9,
                     color=tuple(0.6 * c for c in rgb(name.replace(",", " ").split()[0])))
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    return png(fig)


def numbers_grid(panels: list[tuple[str, list]], title: str) -> bytes:
    """Small matrices side by side, every value written in its cell."""
    fig, axes = plt.subplots(1, len(panels), figsize=(1.9 * len(panels), 2.4), squeeze=False)
    for ax, (name, values) in zip(axes.flat, panels, strict=True):
        a = np.asarray(values, float)
        ax.imshow(a, cmap="Greys", vmin=min(0.0, a.min()), vmax=max(a.max(), 1e-9) * 1.6,
                  interpolation="nearest")
        if a.size <= 64:
            for (i, j), v in np.ndenumerate(a):
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    return png(fig)


def curves(xs: list[float], series: dict[str, list[Estimate]], title: str, xlabel: str,
           ylabel: str, note: str = "", log: bool = False, floor: float = 1e-8) -> bytes:
    """One line per series (a variant) over ``xs``, with its 95% interval as a band; on a log
    axis values below ``floor`` are drawn at it."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    clip = (lambda a: np.maximum(np.asarray(a, float), floor)) if log else np.asarray  # noqa: E731
    for name, values in series.items():
        mean = clip([v.mean for v in values])
        ax.plot(xs, mean, color=rgb(name), label=name, linewidth=1.6, marker=".")
        ax.fill_between(xs, clip([v.lo for v in values]), clip([v.hi for v in values]),
                        color=rgb(name), alpha=0.2, linewidth=0)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if note:
        fig.text(0.01, -0.05, note, fontsize=8, ha="left", va="top", wrap=True)
    return png(fig)


def fields(panels: list[tuple[str, np.ndarray, tuple]], title: str, size: tuple[int, int]
           ) -> bytes:
    """One map per variant (0..1) on the input's frame, each with a box (x, y, w, h) drawn in
    the variant's colour."""
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(1, len(panels), figsize=(2.3 * len(panels), 2.6), squeeze=False)
    for ax, (name, img, (x0, y0, bw, bh)) in zip(axes.flat, panels, strict=True):
        ax.imshow(img, cmap="magma", vmin=0, vmax=1, interpolation="nearest",
                  extent=(-0.5, size[1] - 0.5, size[0] - 0.5, -0.5))
        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), bw, bh, fill=False, linewidth=1.5,
                               edgecolor=rgb(name)))
        ax.set_xlim(min(-0.5, x0 - 1), max(size[1] - 0.5, x0 + bw))
        ax.set_ylim(max(size[0] - 0.5, y0 + bh), min(-0.5, y0 - 1))
        ax.set_title(name, fontsize=9, color=tuple(0.6 * c for c in rgb(name)))
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=9)
    return png(fig)
