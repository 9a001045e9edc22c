"""The rows of the explorer: which maps of a network are captured, and where.

Rows are the downsampling sites, the convolutions outside any block (each taken after its
pointwise ops), and the blocks (non-leaf children of ``nn.Sequential`` / ``nn.ModuleList``),
named by the plain network's module paths so a row has the same name in every variant.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from engine.network.places import Point, Site
from engine.network.sites import chain_end
from engine.network.trace import Trace, is_leaf

SITE_KINDS = {"pool": "pool site", "conv": "strided conv site", "shortcut": "1x1 shortcut site"}


@dataclass(frozen=True)
class Layer:
    """One captured map: its row name, what it is, where it is taken, and its (C, H, W)."""

    name: str
    kind: str
    point: Point
    shape: tuple[int, ...]
    clone: bool = False  # the tensor is modified in place later in the forward pass


def find_layers(tr: Trace, sites: list[Site]) -> list[Layer]:
    """Rows of the traced plain network, in forward order.

    Parameters
    ----------
    tr : Trace
        Trace of the plain network.
    sites : list of Site
        Its downsampling sites (:func:`engine.network.sites.find_sites`).
    """
    modules = tr.modules
    site_paths = {s.path for s in sites}
    rows: list[tuple[int, str, str, Point]] = []  # (time, name, kind, point)

    blocks = []
    for path, m in modules.items():
        parent = modules.get(path.rpartition(".")[0]) if path else None
        if (isinstance(parent, nn.Sequential | nn.ModuleList) and not is_leaf(m)
                and path in tr.calls):
            blocks.append(path)
    for s in sites:
        for call in range(tr.calls[s.path] if s.kind == "pool" else 1):
            name = s.path if call == 0 else f"{s.path}#{call + 1}"
            point = Point(s.point.path, s.point.when, call if s.kind == "pool" else 0)
            rows.append((time_at(tr, point), name, SITE_KINDS[s.kind], point))
    done = set(site_paths)
    for n in tr.nodes:
        if (n.path is None or n.path in done or not n.leaf
                or not isinstance(modules[n.path], nn.Conv2d)
                or any(n.path.startswith(b + ".") for b in blocks)):
            continue
        done.add(n.path)
        _, point, _ = chain_end(tr, n, modules)
        rows.append((time_at(tr, point), n.path, "conv", point))
    for b in blocks:
        if any(b.startswith(o + ".") for o in blocks):
            continue  # only the outermost blocks
        point = Point(b, "post")
        rows.append((time_at(tr, point), b, "block", point))

    rows.sort(key=lambda r: r[0])
    layers: list[Layer] = []
    taken: set[int] = set()
    for t, name, kind, point in rows:
        tid, shape, version = tensor_at(tr, point)
        if len(shape) != 4:
            continue
        if tid in taken and kind == "block":
            continue  # a block whose output is already a row (e.g. ends in a pool site)
        taken.add(tid)
        later = [n for n in tr.nodes if n.start > t and n.output == tid and n.version > version]
        layers.append(Layer(name, kind, point, tuple(shape[1:]), clone=bool(later)))
    return layers


def _calls(tr: Trace, point: Point):
    return [n for n in tr.nodes if n.path == point.path]


def time_at(tr: Trace, point: Point) -> int:
    """When, in the trace's sequence numbers, the map at ``point`` is taken."""
    n = sorted(_calls(tr, point), key=lambda n: n.start)[point.call]
    return n.final_end if point.when == "post" else n.start


def tensor_at(tr: Trace, point: Point) -> tuple[int | None, tuple[int, ...], int]:
    """Id, shape and version counter of the tensor at ``point``."""
    n = sorted(_calls(tr, point), key=lambda n: n.start)[point.call]
    if point.when == "post":
        return n.final, n.out_shape, n.version
    tid = n.inputs[0] if n.inputs else None
    before = [m for m in tr.nodes if m.output == tid and m.end < n.start]
    return tid, n.in_shape, max((m.version for m in before), default=0)
