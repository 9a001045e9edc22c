"""The meter's diagonal job (Zhang's diagonal test): crops of a frame moved 0, 1, ... m px along
the diagonal (m = 1/8 of the side, at most :data:`MAX_SHIFT`); per variant the probability of
the unshifted crop's top class at each shift, and ``top1_change``, the share of 1-px steps that
change the top-1 class (Azulay & Weiss' jaggedness).

:func:`whole` classifies every crop of one input at once (exports, ``measure``). Live,
:func:`piece` runs one of its :data:`PIECES` at a time, each of one variant and at most
``STEPS + 2`` crops, so that no frame waits for the whole path: piece k takes the steps
``STEPS * k`` to ``STEPS * (k + 1)`` (the crops at both ends of each step) and crop 0 of the
same frame, so that each step's change and each shift's probability are taken within one
frame, against that frame's own class. The curve and ``top1_change`` are put once every piece
of the path has run, and then after each piece (on a still or frozen frame: what :func:`whole`
gives).
"""

from __future__ import annotations

import math

import numpy as np

from engine.measures.catalogue import NETWORK_ROW

MAX_SHIFT = 16  # px: the longest diagonal path
STEPS = 2       # 1-px steps per live piece
PIECES = tuple(range(math.ceil(MAX_SHIFT / STEPS)))


def path_length(meter, x) -> int:
    """m: the path's last shift for input ``x`` (px)."""
    return min(meter._margin(x), MAX_SHIFT)


def applies(meter, x, k: int) -> bool:
    """Whether piece ``k`` has steps on the path of input ``x``."""
    return STEPS * k < path_length(meter, x)


def whole(meter, tally, step, variants) -> None:
    """The whole path of ``step``'s input in one classification per variant."""
    x = step.input
    m = path_length(meter, x)
    shifts = list(range(m + 1))
    probs = meter._classify(meter._crops(x, [(d, d) for d in shifts], m), variants)
    for v, p in probs.items():
        top, on = _classes(p)
        tally.diagonal[v] = tuple(float(a) for a in on)
        tally.put("top1_change", v, NETWORK_ROW, float(np.mean(top[1:] != top[:-1])),
                  n=len(top) - 1)
    tally.diagonal_shifts = tuple(shifts)


def _classes(p) -> tuple[np.ndarray, np.ndarray]:
    """Each crop's top-1 class, and each crop's probability of crop 0's class (one host
    transfer of the (N, classes) probabilities ``p``)."""
    p = p.cpu()
    top = p.argmax(1).numpy()
    return top, p[:, int(top[0])].numpy()


def piece(meter, tally, step, v: str, k: int) -> None:
    """Piece ``k`` of :data:`PIECES` of variant ``v`` on ``step`` (see the module docstring)."""
    x = step.input
    m = path_length(meter, x)
    first, last = STEPS * k, min(STEPS * (k + 1), m)
    shifts = ([0] if first else []) + list(range(first, last + 1))
    probs = meter._classify(meter._crops(x, [(d, d) for d in shifts], m), (v,),
                            chunk=len(shifts))
    if v not in probs:
        return
    top, on = _classes(probs[v])
    got = meter.diagonal_partial.get(v)
    size = tuple(x.shape[-2:])
    if got is None or got["size"] != size:    # a new input size: a new path
        got = meter.diagonal_partial[v] = {"size": size, "p": {}, "changed": {}}
    at = 1 if first else 0                    # where shift `first` is in this piece
    for i, s in enumerate(range(first, last + 1)):
        if s > first or not first:
            got["p"][s] = float(on[at + i])
        if s < last:
            got["changed"][s] = bool(top[at + i] != top[at + i + 1])
    if len(got["p"]) == m + 1 and len(got["changed"]) == m:
        tally.diagonal[v] = tuple(got["p"][s] for s in range(m + 1))
        tally.put("top1_change", v, NETWORK_ROW,
                  float(np.mean([got["changed"][s] for s in range(m)])), n=m)
        tally.diagonal_shifts = tuple(range(m + 1))
