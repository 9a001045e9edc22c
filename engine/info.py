"""``info``: per variant and layer, output shape, parameters, MACs, receptive field and jump.

Everything is read off one traced forward pass of each variant (:mod:`engine.trace`), with the
formulas of Araujo et al. 2019 for receptive fields and ``H*W*C_out*(C_in/groups)*k*k`` for conv
MACs. A layer's params and MACs are those of the layers run since the previous row; the totals
are over the whole network, classifier included (pooling counts 0 MACs, as in the literature).
"""

from __future__ import annotations

import json

import torch

from engine.layers import tensor_at, time_at
from engine.network import Network
from engine.trace import trace


def network_info(net: Network) -> dict:
    """The ``info`` record: ``{"model", "input_size", "variants": {name: {...}}, ...}``."""
    variants = {}
    for name, v in net.variants.items():
        device = next(v.model.parameters(), torch.empty(0)).device  # wherever it now lives
        tr = trace(v.model, net.probe(device))
        rows, last = [], 0
        counted: set[str] = set()
        for layer in net.layers:
            t = time_at(tr, layer.point)
            tid, shape, _ = tensor_at(tr, layer.point)
            macs = params = 0
            for n in tr.nodes:
                if n.leaf and last < n.end <= t:
                    macs += n.macs
                    if n.path is not None and n.path not in counted:
                        counted.add(n.path)
                        params += n.params
            last = t
            rf = tr.rf.get(tid)
            rows.append({
                "name": layer.name, "kind": layer.kind, "shape": list(shape[1:]),
                "params": params, "macs": macs,
                "rf": _num(rf.size) if rf else None, "jump": _num(rf.jump) if rf else None,
                "padding": _num(rf.padding) if rf else None,
            })
        total_params = sum(p.numel() for p in v.model.parameters())
        variants[name] = {
            "layers": rows,
            "total_macs": sum(n.macs for n in tr.nodes if n.leaf),
            "total_params": total_params,
            "sites": dict(v.notes),
        }
    return {
        "model": net.spec.name,
        "input_size": list(net.input_size),
        "sites": [{"name": s.path, "kind": s.kind, "pool_type": s.pool_type,
                   "kernel": list(s.geometry.kernel), "stride": list(s.geometry.stride),
                   "note": s.note} for s in net.sites],
        "warnings": list(net.warnings),
        "variants": variants,
    }


def add_timings(info: dict, net: Network, device: str = "auto", frames: int = 5) -> dict:
    """Add ``ms`` (measured, per layer) to every row of ``info``: the running mean over
    ``frames`` forward passes after one warm-up (CUDA events on a GPU, a monotonic clock on
    the CPU), on a mid-grey frame."""
    import numpy as np

    from engine.engine import Engine

    engine = Engine(network=net, device=device, variants=tuple(net.variants))
    image = np.full((*net.input_size, 3), 128, np.uint8)
    engine.step(image)
    engine.layer_ms.clear()
    for _ in range(frames):
        engine.step(image)
    for name, v in info["variants"].items():
        for row in v["layers"]:
            ms = engine.layer_ms.get(name, {}).get(row["name"])
            row["ms"] = None if ms is None else round(ms, 3)
    info["device"] = str(engine.device)
    return info


def format_info(info: dict) -> str:
    """A plain-text table of :func:`network_info` for the terminal."""
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


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def _fmt(x) -> str:
    return "-" if x is None else str(x)
