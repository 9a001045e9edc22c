"""The ``info`` record (:func:`engine.network.info.network_info`) for the terminal: a plain-text
table per variant, or JSON."""

from __future__ import annotations

import json


def format_info(info: dict) -> str:
    """A plain-text table of :func:`engine.network.info.network_info`."""
    h, w = info["input_size"]
    lines = [f"{info['model']} at {h}x{w}"]
    for warning in info["warnings"]:
        lines.append(f"warning: {warning}")
    for name, v in info["variants"].items():
        lines.append("")
        lines.append(f"[{name}]  total {v['total_macs']:,} MACs, {v['total_params']:,} params")
        for site, what in v["sites"].items():
            lines.append(f"  site {site}: {what}")
        timed = any("ms" in r for r in v["layers"])
        lines.append(f"  {'layer':<24} {'kind':<18} {'shape':>16} {'params':>12} "
                     f"{'MACs':>15} {'RF':>6} {'jump':>5}" + (f" {'ms':>8}" if timed else ""))
        for r in v["layers"]:
            shape = "x".join(str(s) for s in r["shape"])
            ms = f" {_fmt(r.get('ms')):>8}" if timed else ""
            lines.append(f"  {r['name']:<24} {r['kind']:<18} {shape:>16} {r['params']:>12,} "
                         f"{r['macs']:>15,} {_fmt(r['rf']):>6} {_fmt(r['jump']):>5}{ms}")
    return "\n".join(lines)


def info_json(info: dict) -> str:
    return json.dumps(info, indent=2)


def _fmt(x) -> str:
    return "-" if x is None else str(x)
