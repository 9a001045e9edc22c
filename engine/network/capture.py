"""Capture the maps at the explorer's rows during one forward pass, with hooks always removed."""

from __future__ import annotations

import torch
from torch import nn

from engine.network.rows import Layer


class Capture:
    """Context manager: while open, the maps at ``layers`` of ``model`` land in ``maps``.

    ``maps[name]`` is the (C, H, W) tensor of the first item of the batch (with ``full``, the
    whole (N, C, H, W) batch). With ``clock`` (``time.perf_counter``, or a CUDA-event maker),
    ``times[name]`` is when the map was ready, for per-layer milliseconds. Hooks are
    registered after the variant's own op hooks, so a map taken at an op's point is the op's
    output. ``modules`` (``dict(model.named_modules())``, kept by a caller that captures every
    frame) saves walking the model each time. ``tick(name)``, if given, is called as each map is
    taken. Every hook is removed on exit, even after an error.
    """

    def __init__(self, model: nn.Module, layers: list[Layer] | tuple[Layer, ...],
                 full: bool = False, clock=None, modules: dict[str, nn.Module] | None = None,
                 tick=None):
        self.model, self.layers, self.full, self.clock = model, list(layers), full, clock
        self.tick = tick
        self._modules = modules
        self.maps: dict[str, torch.Tensor] = {}
        self.times: dict[str, object] = {}
        self._handles: list = []
        self._calls: dict[str, int] = {}

    def __enter__(self) -> Capture:
        modules = self._modules if self._modules is not None else dict(self.model.named_modules())
        by_path: dict[tuple[str, str], list[Layer]] = {}
        for layer in self.layers:
            by_path.setdefault((layer.point.path, layer.point.when), []).append(layer)
        for (path, when), group in by_path.items():
            m = modules[path]
            if when == "post":
                self._handles.append(m.register_forward_hook(self._post(path, when, group)))
            else:
                self._handles.append(m.register_forward_pre_hook(self._pre(path, when, group)))
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def _store(self, key: str, group: list[Layer], t: torch.Tensor) -> None:
        call = self._calls.get(key, 0)
        self._calls[key] = call + 1
        for layer in group:
            if layer.point.call == call:
                x = t if self.full else t[0]
                self.maps[layer.name] = x.clone() if layer.clone else x
                if self.clock is not None:
                    self.times[layer.name] = self.clock()
                if self.tick is not None:
                    self.tick(layer.name)

    def _post(self, path, when, group):
        key = f"{path}/{when}"

        def hook(module, args, out):  # a pool that returns indices: its map is the first
            self._store(key, group, out[0] if isinstance(out, tuple) else out)
        return hook

    def _pre(self, path, when, group):
        key = f"{path}/{when}"

        def hook(module, args):
            self._store(key, group, args[0])
        return hook
