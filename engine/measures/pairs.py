"""The crop pairs behind the consistency measure: live, a window of recent frames' pairs; on a
frame measured again (frozen, or a still image), that frame's pairs alone, up to a larger
number, so its interval narrows. Each pair is (frame index, agreed, taken on a frame seen
again)."""

from __future__ import annotations

from collections import deque

SAME_FRAME_PAIRS = 400  # crop pairs kept while the same frame is measured again (frozen)
SAME_FRAME_BATCH = 8    # ... and taken per job then, so 200 arrive within seconds
FROZEN_WANT = 200       # crop pairs a frozen frame's consistency is taken over, at least


def add(agree: deque, index: int, top, same: bool, window: int) -> None:
    """Add the pairs of classes ``top`` (first, second, first, second ...) of frame
    ``index``; frozen (``same``): keep this frame's pairs only, else no frozen frame's."""
    kept = [a for a in agree if (a[0] == index if same else not a[2])]
    agree.clear()
    agree.extend(kept)
    agree.extend((index, bool(a == b), same) for a, b in zip(top[0::2], top[1::2], strict=True))
    while len(agree) > (SAME_FRAME_PAIRS if same else window):
        agree.popleft()


def share(agree: deque) -> float:
    return sum(a[1] for a in agree) / len(agree)


def of_frame(agree: deque, index: int) -> int:
    """How many pairs frame ``index`` has."""
    return sum(1 for a in agree if a[0] == index)
