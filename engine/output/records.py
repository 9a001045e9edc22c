"""Measures on disk: the long-form CSV (``frame,variant,layer,metric,value``), the JSON record,
and the summary the ``measure`` command prints."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path

from engine.errors import ExportError
from engine.measures.catalogue import METRICS, NETWORK_ROW
from engine.measures.tally import Measures

CSV_COLUMNS = ("frame", "variant", "layer", "metric", "value")
# the tables `measure` prints, in this order (headed with their scale from the catalogue)
SUMMARY_METRICS = ("shift_cosine", "polyphase_dispersion", "alias_fraction", "flicker",
                   "consistency", "top1_change", "ms")


def write_csv(path: Path, rows) -> None:
    """Write ``(frame, variant, layer, metric, value)`` rows; ExportError if it cannot."""
    try:
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(CSV_COLUMNS)
            for frame, v, layer, metric, value in rows:
                w.writerow((frame, v, layer, metric, _num(value)))
    except OSError as e:
        raise ExportError(f"{path}: cannot write ({e.strerror or e})") from None


def write_json(path: Path, record: dict) -> None:
    """Write ``record`` as strict JSON (no NaN); ExportError if it cannot."""
    try:
        text = json.dumps(record, indent=2, allow_nan=False, default=str)
        path.write_text(text, encoding="utf-8")
    except (OSError, ValueError) as e:
        raise ExportError(f"{path}: cannot write ({e})") from None


def measures_record(m: Measures) -> dict:
    """The measures as JSON: ``{"frame", "values": {metric: {variant: {layer: v}}}, "diagonal",
    "counts": {metric: {variant: {layer: n}}}}`` (n: the sample count of statistical values)."""
    return {
        "frame": m.frame_index,
        "values": {metric: {v: {ly: _json(x) for ly, x in d.items()} for v, d in per.items()}
                   for metric, per in m.values.items()},
        "diagonal": {"shifts_px": list(m.diagonal_shifts),
                     "p_top_class": {v: [round(p, 6) for p in ps]
                                     for v, ps in m.diagonal.items()}},
        "counts": {metric: {v: dict(d) for v, d in per.items()}
                   for metric, per in m.counts.items()},
    }


def summarise(rows) -> dict:
    """Means over frames: metric -> variant -> layer -> mean (NaN values skipped)."""
    acc: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for _, v, layer, metric, value in rows:
        if not math.isnan(value):
            acc[metric][v][layer].append(value)
    return {metric: {v: {ly: sum(xs) / len(xs) for ly, xs in d.items()} for v, d in per.items()}
            for metric, per in acc.items()}


def run_record(engine, source: str, records: list[Measures], summary: dict) -> dict:
    """The ``measure`` command's JSON: what was measured, the means, and every frame."""
    net = engine.network
    return {"model": net.spec.name, "input_size": list(net.input_size), "source": source,
            "frames": len(records), "circular": net.circular,
            "variants": list(engine.variant_names), "layers": [ly.name for ly in engine.layers],
            "mean": json_values(summary), "per_frame": [measures_record(m) for m in records]}


def json_values(tree):
    """``tree`` (nested dicts of floats) with NaN and inf as null, for strict JSON."""
    if isinstance(tree, dict):
        return {k: json_values(v) for k, v in tree.items()}
    return _json(tree)


def format_summary(summary: dict, variants, layers) -> str:
    """A table per metric (rows: layers, columns: variants) of the means."""
    lines = []
    width = max([len(v) for v in variants] + [8]) + 2
    for metric in SUMMARY_METRICS:
        per = summary.get(metric)
        if not per:
            continue
        rows = [ly for ly in (*layers, NETWORK_ROW) if any(ly in per.get(v, {}) for v in variants)]
        lines.append(f"{metric}, mean over frames ({METRICS[metric].scale()})")
        lines.append(f"  {'layer':<24}" + "".join(f"{v:>{width}}" for v in variants))
        absent = "no site" if METRICS[metric].where == "site" else None
        for ly in rows:
            cells = "".join(f"{_fmt(per.get(v, {}).get(ly), absent):>{width}}" for v in variants)
            lines.append(f"  {ly:<24}{cells}")
        lines.append("")
    return "\n".join(lines).rstrip()


def _num(x: float):
    x = float(x)
    if x.is_integer() and abs(x) < 2 ** 53:
        return int(x)
    return repr(x) if not math.isfinite(x) else f"{x:.8g}"


def _json(x: float):
    x = float(x)
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() else round(x, 8)


def _fmt(x, absent: str | None = None) -> str:
    if x is None:
        return absent or "-"
    if float(x).is_integer() and abs(x) >= 1000:
        return f"{int(x):,}"
    return f"{x:.4f}"
