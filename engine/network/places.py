"""Where things are in a network: a :class:`Point` in a forward pass, a site's
:class:`Geometry`, a downsampling :class:`Site`, and :func:`pair` for PyTorch's size forms.

Plain values with no dependencies, so that the downsampling modules, the trace and the site
finder can all speak of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """Where in a forward pass a map is taken or an op applied: before or after a module call."""

    path: str
    when: str = "post"  # "post": the module's output; "pre": the module's (first) input
    call: int = 0       # which call of the module in one forward pass


@dataclass(frozen=True)
class Geometry:
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    ceil_mode: bool = False

    def pool_out(self, h: int, w: int) -> tuple[int, int]:
        """Output size of a pooling window of this geometry over an (h, w) map."""
        def one(n: int, k: int, s: int, p: int) -> int:
            span = n + 2 * p - k
            out = (-(-span // s) if self.ceil_mode else span // s) + 1
            if self.ceil_mode and (out - 1) * s >= n + p:
                out -= 1
            return out
        return tuple(one(n, k, s, p) for n, k, s, p in
                     zip((h, w), self.kernel, self.stride, self.padding, strict=True))


@dataclass(frozen=True)
class Site:
    """One place where the plain network reduces resolution.

    ``point`` is where the downsampled map appears (for conv sites: after the conv's pointwise
    ops); ``fold`` names the conv a pool site's stride can fold into, if any.
    """

    path: str
    kind: str                      # "pool", "conv" or "shortcut"
    geometry: Geometry
    in_shape: tuple[int, ...]      # (C, H, W) entering the site
    out_shape: tuple[int, ...]     # (C, H, W) of the downsampled map
    point: Point
    pool_type: str | None = None   # "max" / "avg" for pool sites
    chain: tuple[str, ...] = ()    # pointwise ops between a strided conv and ``point``
    fold: str | None = None
    note: str = ""
    indices: bool = False          # a pool that also returns its argmax (for an unpooling layer)


def pair(v: int | tuple[int, ...] | list[int]) -> tuple[int, int]:
    """(h, w) from an int or a 1- or 2-element tuple/list (PyTorch's kernel/stride forms)."""
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[-1]))
