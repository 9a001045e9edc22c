"""What crosses the pipe between the window and a session in a child process, in one place.

Commands and events are plain picklable values. A :class:`engine.session.messages.Shown`
crosses whole, except the parts that have not changed since the one sent before: the lookup
table, the measures and each probe answer. Those cross as :data:`SAME` and the receiver puts
back the object it already has, so the window can still tell "new" from "unchanged" by
identity (it redraws only what changed), exactly as when the session runs in a thread.
"""

from __future__ import annotations

import copyreg
import dataclasses
import types


def _proxy(d: dict) -> types.MappingProxyType:
    return types.MappingProxyType(d)


def _mappingproxy(m):
    return _proxy, (dict(m),)


copyreg.pickle(types.MappingProxyType, _mappingproxy)  # FrameResult and Measures use them


class _Same:
    """Marks a value sent before (kept by identity on the receiving side)."""

    def __reduce__(self):
        return "SAME"  # unpickles as this module's SAME, so ``is SAME`` holds across the pipe


SAME = _Same()


def _mark(new, old, names):
    """Dataclass ``new`` with each field in ``names`` that holds ``old``'s very object as SAME."""
    same = {n: SAME for n in names
            if getattr(new, n) is not None and getattr(new, n) is getattr(old, n)}
    return dataclasses.replace(new, **same) if same else new


def _restore(new, old, names):
    """Undo :func:`_mark`: each SAME field of ``new`` takes ``old``'s object back."""
    back = {n: getattr(old, n) for n in names if getattr(new, n) is SAME}
    return dataclasses.replace(new, **back) if back else new


def _probe_fields(probes) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(probes))


def pack(shown, last):
    """The Shown to send: its lookup table, measures and probe answers unchanged since
    ``last`` (the Shown sent before, or None) become SAME."""
    if last is None:
        return shown
    result = _mark(shown.result, last.result, ("measures",))
    probes = shown.probes
    if probes is not None and last.probes is not None:
        probes = _mark(probes, last.probes, _probe_fields(probes))
    return _mark(dataclasses.replace(shown, result=result, probes=probes), last, ("lut",))


def unpack(shown, last):
    """Undo :func:`pack` with ``last``, the Shown received before (or None)."""
    if last is None:
        return shown
    result = _restore(shown.result, last.result, ("measures",))
    probes = shown.probes
    if probes is not None and last.probes is not None:
        probes = _restore(probes, last.probes, _probe_fields(probes))
    return _restore(dataclasses.replace(shown, result=result, probes=probes), last, ("lut",))
