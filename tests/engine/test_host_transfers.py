"""On a GPU nothing but the uint8 mosaics on screen (and the few numbers shown beside them:
a range per channel, the top-k predictions) may move to the host during ``step``. These
machines have no GPU, so the CPU engine runs the GPU's mosaic path (torch ops on the device)
under a TorchFunctionMode that records every transfer to the host."""

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from engine.display import mosaic as mz
from engine.engine import Engine, EngineConfig

TO_HOST = {torch.Tensor.cpu, torch.Tensor.numpy, torch.Tensor.tolist, torch.Tensor.item}


def _big(t: torch.Tensor) -> bool:
    """More than the numbers shown beside a mosaic: a map, or a part of one."""
    return (t.ndim >= 2 and t.numel() > 64) or t.numel() > 4096


class HostSpy(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.maps: list[tuple] = []     # non-uint8 tensors of a map's size sent to the host
        self.mosaics = 0                # uint8 tensors sent to the host

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        to_cpu = func is torch.Tensor.to and any(
            str(a) == "cpu" for a in [*args[1:], *kwargs.values()])
        if (func in TO_HOST or to_cpu) and isinstance(args[0], torch.Tensor):
            t = args[0]
            if t.dtype == torch.uint8:
                self.mosaics += 1
            elif _big(t):
                self.maps.append((func.__name__, t.dtype, tuple(t.shape)))
        return func(*args, **kwargs)


@pytest.fixture
def gpu_path(monkeypatch):
    monkeypatch.setattr(mz, "_Cpu", mz._Torch)   # the mosaics as a GPU makes them


@pytest.mark.parametrize("measures", [0, 1])
def test_step_moves_only_uint8_mosaics_to_the_host(gpu_path, measures):
    e = Engine(EngineConfig(device="cpu", input_size=64, measure_every=measures,
                            measure_budget=1.0, max_side=128))
    e.set_max_side(128, ("features.0", "features.5"))
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(8)]
    e.step(frames[0])
    with HostSpy() as spy:
        for f in frames:
            r = e.step(f)
    assert spy.maps == []
    assert spy.mosaics >= 8 * 2                          # the mosaics did come to the host
    assert set(r.views["max"]) == {"features.0", "features.5"}
    assert r.views["max"]["features.5"].mosaic.dtype == np.uint8
    if measures:
        assert e.measures is not None


def test_the_spy_sees_a_float_map_moved_to_the_host(gpu_path):
    e = Engine(EngineConfig(device="cpu", input_size=64))
    e.step(np.zeros((64, 64, 3), np.uint8))
    with HostSpy() as spy:
        e.float_maps()                                   # what hover and export ask for
    assert spy.maps and spy.maps[0][1] == torch.float32
