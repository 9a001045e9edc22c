"""The ``info`` record: per variant and row, output shape, parameters, MACs, receptive field and
jump.

Everything is read off one traced forward pass of each variant (:mod:`engine.network.trace`),
with the formulas of Araujo et al. 2019 for receptive fields and ``H*W*C_out*(C_in/groups)*k*k``
for conv MACs. A layer's params and MACs are those of the layers run since the previous row; the
totals are over the whole network, classifier included (pooling counts 0 MACs, as in the
literature).
"""

from __future__ import annotations

import torch

from engine.network.load import Network
from engine.network.rows import tensor_at, time_at
from engine.network.trace import trace


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


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 3)
