"""The meter's shift job: a frame and copies of it shifted by 1 px (right, down, diagonal) and
by half a pixel; per row ``shift_cosine`` (the mean over the three 1-px shifts) and
``shift_cosine_subpx``, and, from a stride-1 view of every site, the site metrics.

:func:`whole` runs it in one batched forward pass per variant (exports, ``measure``). Live,
:func:`piece` runs one of its :func:`pieces` at a time, each at most one forward pass of one
image of one variant, so that no frame waits longer than about one forward pass: piece 0 takes
the site maps of the frame itself (a stride-1 view of every site) and the metrics of the first
site; piece k in 1..4 shifts the frame by ``SHIFTS[k - 1]`` and compares each row with the
frame's own maps, which the step already has; each piece after those takes the metrics of one
more site from piece 0's maps (no forward pass). A row's 1-px value is put once its three 1-px
pieces have run (on the frames they ran on).
"""

from __future__ import annotations

import numpy as np
import torch

from engine.measures import catalogue
from engine.measures import metrics as ms
from engine.measures.site_taps import SiteTap
from engine.network.capture import Capture

SHIFTS = ((1, 0), (0, 1), (1, 1), (0.5, 0.5))  # (dx, dy); the last: sub-pixel
PIECES = tuple(range(1 + len(SHIFTS)))   # the site maps, then one piece per shift
WHOLE_PX = 3   # the first three shifts are whole pixels


def pieces(sites: int) -> tuple[int, ...]:
    """The live pieces of a network with ``sites`` downsampling sites: :data:`PIECES`, then
    one piece per site after the first (its metrics, from piece 0's maps)."""
    return PIECES + tuple(range(len(PIECES), len(PIECES) + max(0, sites - 1)))


def _site_metrics(meter, tally, v: str, maps: dict, only: int | None = None) -> None:
    """The site metrics of ``maps`` (site path -> SiteMaps): every site, or the ``only``-th."""
    if not meter.net.variants[v].operator.downsamples:  # no site there: no value, not a zero
        return
    for i, (site, m) in enumerate(maps.items()):
        if only is None or i == only:
            for metric in catalogue.of(where="site"):
                tally.put(metric.name, v, site, metric.compute(m.presample, m.stride))


def _jumps(meter, v: str, layers) -> dict[str, int]:
    rf = meter.rf(v)  # traced outside inference mode
    return {ly.name: int(r.jump) for ly in layers
            if (r := rf.get(ly.name)) is not None and float(r.jump).is_integer()}


def whole(meter, tally, step, variants) -> None:
    """Every shift of ``step``'s input in one batch per variant."""
    x, circular = step.input, meter.net.circular
    batch = torch.cat([x] + [ms.move(x, dx, dy, circular) for dx, dy in SHIFTS])
    batch = batch.contiguous(memory_format=meter.memory_format)
    jumps = {v: _jumps(meter, v, step.layers) for v in variants}
    with torch.inference_mode():
        for v in variants:
            model, var = meter.models[v], meter.net.variants[v]
            with Capture(model, step.layers, full=True) as cap, \
                    SiteTap(model, meter.net.sites, var.changed, meter.net.trace) as tap:
                model(batch)
            for name, jump in jumps[v].items():
                maps = cap.maps[name].float()
                d = ms.shift_cosines(maps[0], maps[1:], SHIFTS, jump, circular)
                tally.put("shift_cosine", v, name, float(np.mean(d[:WHOLE_PX])))
                tally.put("shift_cosine_subpx", v, name, d[WHOLE_PX])
            meter.site_maps[v] = dict(tap.maps)
            _site_metrics(meter, tally, v, tap.maps)


def piece(meter, tally, step, v: str, k: int) -> None:
    """Piece ``k`` of :func:`pieces` of variant ``v`` on ``step`` (see the module docstring)."""
    x, circular = step.input, meter.net.circular
    model, var = meter.models[v], meter.net.variants[v]
    if k == 0:
        with torch.inference_mode(), \
                SiteTap(model, meter.net.sites, var.changed, meter.net.trace) as tap:
            model(x)
        meter.site_maps[v] = dict(tap.maps)
        _site_metrics(meter, tally, v, tap.maps, only=0)
        return
    if k >= len(PIECES):   # one more site's metrics, from piece 0's maps of this variant
        _site_metrics(meter, tally, v, meter.site_maps.get(v, {}), only=k - len(PIECES) + 1)
        return
    dx, dy = SHIFTS[k - 1]
    jumps = _jumps(meter, v, step.layers)
    base = step.maps.get(v, {})
    moved = ms.move(x, dx, dy, circular).contiguous(memory_format=meter.memory_format)
    with torch.inference_mode(), Capture(model, step.layers) as cap:
        model(moved)
    for name, jump in jumps.items():
        if name not in base:
            continue
        d = ms.shift_cosines(base[name].float(), cap.maps[name].float()[None], [(dx, dy)],
                             jump, circular)[0]
        if k - 1 >= WHOLE_PX:
            tally.put("shift_cosine_subpx", v, name, d)
            continue
        got = meter.shift_partial.setdefault((v, name), {})
        got[k - 1] = d
        if k - 1 == WHOLE_PX - 1 and len(got) == WHOLE_PX:
            tally.put("shift_cosine", v, name, float(np.mean([got[i] for i in range(WHOLE_PX)])))
