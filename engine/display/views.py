"""One layer's maps as the screen shows them: a :class:`LayerView` per variant, built from the
mosaics of :mod:`engine.display.mosaic` (variants whose maps are identical share one)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.display import mosaic as mz


@dataclass(frozen=True)
class LayerView:
    """One variant's map of one layer as shown: the uint8 mosaic and what it stands for."""

    mosaic: np.ndarray             # (H, W) uint8, tiles of all channels
    shape: tuple[int, int, int]    # (C, H, W) of the map
    grid: tuple[int, int]          # (rows, cols) of tiles
    lo: float                      # value shown as 0 (smallest over channels)
    hi: float                      # value shown as 255 (largest over channels)
    shrink: int = 1                # tiles are the map shrunk by this whole factor


def layer_views(maps: dict[str, dict[str, torch.Tensor]], layers, groups: dict[str, list],
                norm: str, diverging: bool, max_side: int | None
                ) -> dict[str, dict[str, LayerView]]:
    """variant -> row -> :class:`LayerView` for one frame's ``maps`` (variant -> row -> map).

    ``groups[row]`` lists the groups of variants whose maps at that row are the very same
    (:meth:`engine.network.load.Network.identical_rows`): each group's mosaic is made once.
    """
    views: dict[str, dict[str, LayerView]] = {v: {} for v in maps}
    for layer in layers:
        per = {g[0]: maps[g[0]][layer.name] for g in groups[layer.name]}
        tiled = mz.layer_mosaics(per, norm, diverging, max_side)
        for g in groups[layer.name]:
            view = tiled_view(tiled[g[0]], tuple(per[g[0]].shape))
            for v in g:
                views[v][layer.name] = view
    return views


def tiled_view(t: mz.Tiled, shape: tuple[int, int, int]) -> LayerView:
    """The :class:`LayerView` of a finished mosaic of a (C, H, W) map."""
    return LayerView(t.image, shape, mz.grid_for(shape[0]), t.lo, t.hi, t.shrink)
