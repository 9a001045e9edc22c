"""The metric catalogue: every measure the engine reports, with its scale, in one registry.

Each :class:`Metric` says what it measures, its unit, what 0 and 1 mean, which way is better,
where it is taken (every row, the downsampling sites, or the network's output), which live job
computes it, and whether it is statistical (a share over random samples, reported with its
sample count). The window, the tables and the records read these instead of repeating them.

Adding a metric is one :func:`register` call here. A metric of the map a site's stride samples
(``where="site"``) or of two consecutive frames' maps (``job="frame"``) also gives ``compute``,
and the meter runs it with no other change; the others come from their job in
:mod:`engine.measures.meter`. Definitions follow ``shared/reference/science.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.measures import metrics as fn

NETWORK_ROW = "output"  # the row name of network-level measures (consistency, top1_change)
WHERE = ("row", "site", "network")
JOBS = ("shift", "consistency", "diagonal", "frame")
FAMILIES = ("invariance", "cost")  # how maps and classes respond to moving input; what it costs


@dataclass(frozen=True)
class Metric:
    """One measure and its scale (see the module docstring)."""

    name: str
    title: str                 # short label for axes, menus and table headers
    description: str           # one line: what it measures, and after whom
    unit: str
    zero: str                  # what a value of 0 means ("" where 0 is not special)
    one: str                   # what a value of 1 means ("" where 1 is not special)
    better: str                # "lower", "higher", or "" (neither)
    where: str                 # "row", "site" or "network" (see WHERE)
    job: str                   # the live job that computes it (see JOBS)
    family: str = "invariance"  # see FAMILIES
    statistical: bool = False  # a share over random samples: reported with its count n
    compute: Callable[..., float] | None = None  # site: f(presample, stride); frame: f(now, before)

    def scale(self) -> str:
        """One line for a reader: unit, what 0 and 1 mean, which way is better."""
        parts = [self.unit]
        if self.zero:
            parts.append(f"0 = {self.zero}")
        if self.one:
            parts.append(f"1 = {self.one}")
        if self.better:
            parts.append(f"{self.better} is better")
        return "; ".join(parts)


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    """Add ``metric`` to the catalogue (its name must be new and its kind known)."""
    if metric.name in METRICS:
        raise ValueError(f"metric {metric.name!r} is registered already")
    if metric.where not in WHERE or metric.job not in JOBS or metric.family not in FAMILIES:
        raise ValueError(f"metric {metric.name!r}: where must be one of {WHERE}, job one of "
                         f"{JOBS}, family one of {FAMILIES}")
    if metric.where == "site" and metric.compute is None:
        raise ValueError(f"metric {metric.name!r}: a site metric needs compute(presample, "
                         "stride)")
    METRICS[metric.name] = metric
    return metric


def of(where: str | None = None, job: str | None = None,
       family: str | None = None) -> list[Metric]:
    """The registered metrics taken at ``where``, computed by ``job``, of ``family`` (each
    None: any), in registration order."""
    return [m for m in METRICS.values()
            if (where is None or m.where == where) and (job is None or m.job == job)
            and (family is None or m.family == family)]


register(Metric(
    "shift_cosine", "shift error, 1 px",
    "cosine distance between F(shift x) and shift F(x), upsampled to the input, mean over "
    "1-px shifts right, down and diagonal (Zhang 2019)",
    "cosine distance", "moves exactly with the input", "unrelated to the moved map", "lower",
    "row", "shift"))
register(Metric(
    "shift_cosine_subpx", "shift error, ½ px",
    "as shift_cosine, for a half-pixel diagonal shift", "cosine distance",
    "moves exactly with the input", "unrelated to the moved map", "lower", "row", "shift"))
register(Metric(
    "polyphase_dispersion", "polyphase dispersion",
    "spread of the stride's sampling phases about their mean, relative to their energy, on "
    "the map the stride samples (our measure; cf. APS, Chaman & Dokmanic 2021)",
    "fraction of energy", "all phases alike: a 1-px shift changes nothing",
    "the phases cancel out (a checkerboard)", "lower", "site", "shift",
    compute=fn.polyphase_dispersion))
register(Metric(
    "alias_fraction", "alias fraction",
    "share of the FFT energy of the map the stride samples above the new Nyquist frequency "
    "(what sampling folds back)", "fraction of energy", "nothing folds back (no aliasing)",
    "all energy folds back", "lower", "site", "shift", compute=fn.alias_fraction))
register(Metric(
    "flicker", "change from the previous frame",
    "||F_t - F_(t-1)|| / ||F_(t-1)||: change of the map from the previous frame (on a still or "
    "slowly moving input, lower is steadier)", "relative change", "unchanged",
    "changed by as much as the map itself", "lower", "row", "frame", compute=fn.flicker))
register(Metric(
    "consistency", "consistency",
    "share of pairs of random crops whose top-1 class agrees (Zhang 2019; crop margin 1/8 of "
    "the side)", "fraction of crop pairs", "the two crops never agree", "they always agree",
    "higher", "network", "consistency", statistical=True))
register(Metric(
    "top1_change", "top-1 changes per diagonal step",
    "share of 1-px diagonal shifts that change the top-1 class (Azulay & Weiss 2019)",
    "fraction of steps", "the class never changes", "it changes at every step", "lower",
    "network", "diagonal", statistical=True))
register(Metric(
    "params", "params", "parameters of the layers run since the previous row", "parameters",
    "", "", "lower", "row", "frame", family="cost"))
register(Metric(
    "macs", "MACs", "multiply-accumulates of the layers run since the previous row (pooling "
    "counts 0)", "multiply-accumulates", "", "", "lower", "row", "frame", family="cost"))
register(Metric(
    "ms", "ms", "measured time of the layers run since the previous row (running mean)",
    "milliseconds", "", "", "lower", "row", "frame", family="cost"))
