"""Mosaics: tiling, the three normalisations, odd values, both backends, colour maps."""

import numpy as np
import pytest
import torch

from engine.display import mosaic as mz
from engine.display.colormaps import COLORMAPS, colormap


def test_grid_is_near_square():
    assert mz.grid_for(16) == (4, 4)
    assert mz.grid_for(10) == (3, 4)
    assert mz.grid_for(1) == (1, 1)
    rows, cols = mz.grid_for(128)
    assert rows * cols >= 128 and abs(rows - cols) <= 1


def test_tile_places_channel_k_at_row_k_div_cols():
    c, h, w = 10, 3, 5
    tiles = np.stack([np.full((h, w), k + 1, np.uint8) for k in range(c)])
    m = mz.tile(tiles)
    rows, cols = mz.grid_for(c)
    assert m.shape == mz.mosaic_size((c, h, w)) == (rows * (h + 1) - 1, cols * (w + 1) - 1)
    for k in range(c):
        r, q = divmod(k, cols)
        assert (m[r * (h + 1):r * (h + 1) + h, q * (w + 1):q * (w + 1) + w] == k + 1).all()
    assert m[h, :].max() == 0  # the gutter
    assert m.flags.c_contiguous   # it crosses to the window as one buffer
    wide = mz.tile(tiles, gap=2, fill=200)
    assert wide.shape == (rows * (h + 2) - 2, cols * (w + 2) - 2)
    assert (wide[h:h + 2, :] == 200).all() and (wide[:h, :w] == 1).all()
    assert (wide[-h:, -w:] == 200).all()   # the last row's empty places: fill


def _maps():
    torch.manual_seed(0)
    a = torch.rand(4, 8, 8)
    return {"a": a, "b": a * 3 + 1}


@pytest.mark.parametrize("backend", ["cpu", "torch"])
def test_shared_normalisation_uses_one_range_for_all_variants(backend):
    out = mz.layer_mosaics(_maps(), "shared", backend=backend)
    assert out["a"].lo == out["b"].lo and out["a"].hi == out["b"].hi
    assert out["a"].image.max() < 128 <= out["b"].image.max()  # a is darker: fair comparison


@pytest.mark.parametrize("backend", ["cpu", "torch"])
def test_layer_normalisation_stretches_each_variant(backend):
    out = mz.layer_mosaics(_maps(), "layer", backend=backend)
    for t in out.values():
        assert t.image.max() == 255
    np.testing.assert_array_equal(out["a"].image, out["b"].image)


@pytest.mark.parametrize("backend", ["cpu", "torch"])
def test_channel_normalisation_stretches_each_channel(backend):
    x = torch.rand(3, 6, 6) * torch.tensor([1.0, 10.0, 100.0])[:, None, None]
    t = mz.layer_mosaics({"v": x}, "channel", backend=backend)["v"]
    for k in range(3):
        tile = t.image[:, k * 7:k * 7 + 6] if k < 2 else t.image[7:, :6]
        assert tile.min() == 0 and tile.max() == 255


@pytest.mark.parametrize("backend", ["cpu", "torch"])
@pytest.mark.parametrize("mode", mz.NORM_MODES)
def test_constant_and_non_finite_maps_give_valid_pixels(backend, mode):
    x = torch.zeros(4, 5, 5)
    x[1] = 7.0                       # constant channel
    x[2, 0, 0] = float("nan")
    x[2, 1, 1] = float("inf")
    x[3] = torch.linspace(-1, 1, 25).view(5, 5)
    out = mz.layer_mosaics({"v": x, "w": torch.full((4, 5, 5), float("nan"))}, mode,
                           backend=backend)
    for t in out.values():
        assert t.image.dtype == np.uint8
        assert np.isfinite(t.lo) and np.isfinite(t.hi)


@pytest.mark.parametrize("mode", mz.NORM_MODES)
@pytest.mark.parametrize("symmetric", [False, True])
def test_cpu_and_torch_backends_give_the_same_pixels(mode, symmetric):
    torch.manual_seed(1)
    maps = {"a": torch.randn(6, 9, 7), "b": torch.randn(6, 9, 7) * 2}
    cl = {k: v[None].contiguous(memory_format=torch.channels_last)[0] for k, v in maps.items()}
    ref = mz.layer_mosaics(maps, mode, symmetric, backend="torch")
    for m in (maps, cl):
        got = mz.layer_mosaics(m, mode, symmetric, backend="cpu")
        for k in maps:
            diff = np.abs(got[k].image.astype(int) - ref[k].image.astype(int))
            assert diff.max() <= 1 and (diff > 0).mean() < 0.01


def test_symmetric_range_puts_zero_in_the_middle():
    x = torch.tensor([[[-1.0, 0.0, 2.0]]])
    t = mz.layer_mosaics({"v": x}, "layer", symmetric=True)["v"]
    assert (t.lo, t.hi) == (-2.0, 2.0)
    assert abs(int(t.image[0, 1]) - 128) <= 1


def test_max_side_shrinks_by_area_average():
    x = torch.arange(16.0).view(1, 4, 4)
    t = mz.layer_mosaics({"v": x}, "layer", max_side=2)["v"]
    assert t.shrink == 2 and t.image.shape == (2, 2)
    assert mz.shrink(x, 2)[0, 0, 0].item() == pytest.approx((0 + 1 + 4 + 5) / 4)
    big = mz.layer_mosaics({"v": torch.rand(16, 224, 224)}, max_side=384)["v"]
    assert max(big.image.shape) <= 384


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        mz.layer_mosaics(_maps(), "global")


def test_colormaps_are_256_entry_tables():
    for cm in COLORMAPS.values():
        assert cm.lut.shape == (256, 3) and cm.lut.dtype == np.uint8
    grey = colormap("grey").lut
    assert (grey[:, 0] == np.arange(256)).all()
    assert colormap("coolwarm").diverging and not colormap("viridis").diverging
    rgb = colormap("viridis").apply(np.array([[0, 255]], np.uint8))
    assert rgb.shape == (1, 2, 3) and tuple(rgb[0, 0]) == (68, 1, 84)
    with pytest.raises(ValueError):
        colormap("jet")


def test_gamma_lifts_low_levels_and_keeps_the_ends():
    plain, lifted = colormap("grey"), colormap("grey", 0.5)
    assert (lifted.lut[0] == plain.lut[0]).all() and (lifted.lut[255] == plain.lut[255]).all()
    assert lifted.lut[64, 0] == 128 and plain.lut[64, 0] == 64    # sqrt(0.25) = 0.5
    div, base = colormap("coolwarm", 0.5).lut, colormap("coolwarm").lut
    assert (div[0] == base[0]).all() and (div[255] == base[255]).all()
    near_middle = [tuple(c) for c in base[112:144]]           # zero stays in the middle
    assert tuple(div[127]) in near_middle and tuple(div[128]) in near_middle
    with pytest.raises(ValueError):
        colormap("grey", 0.0)


def test_a_channels_last_map_shrinks_as_a_channels_first_one_within_a_level():
    x = torch.rand(1, 24, 60, 52)
    last = mz.layer_mosaics({"v": x.contiguous(memory_format=torch.channels_last)[0]},
                            max_side=100)["v"]
    first = mz.layer_mosaics({"v": x[0].contiguous()}, max_side=100)["v"]
    assert last.shrink == first.shrink > 1 and last.image.shape == first.image.shape
    assert (last.lo, last.hi) == (first.lo, first.hi) == (float(x.min()), float(x.max()))
    diff = np.abs(last.image.astype(int) - first.image.astype(int))
    assert diff.max() <= 1 and diff.mean() < 0.5
    exact = mz.shrink(x[0], last.shrink)    # the block means, converted with the same range
    want = np.rint((exact.numpy() - last.lo) * 255 / (last.hi - last.lo))
    rows, cols = mz.grid_for(24)
    h, w = exact.shape[1:]
    assert np.abs(last.image[:h, :w].astype(int) - want[0]).max() == 0
    assert last.image.shape == (rows * (h + 1) - 1, cols * (w + 1) - 1)


@pytest.mark.parametrize("channels", [1, 128, 129, 256, 512])
def test_a_shrunk_channels_last_map_of_any_width_is_made(channels):
    """OpenCV takes images of at most 128 channels (its CV_CN_MAX); wider maps (ResNet's 256
    and 512) take the channels-first way, with the same result within a level."""
    x, side = torch.rand(1, channels, 14, 14), 8 if channels == 1 else 64
    last = mz.layer_mosaics({"v": x.contiguous(memory_format=torch.channels_last)[0]},
                            max_side=side)["v"]
    first = mz.layer_mosaics({"v": x[0].contiguous()}, max_side=side)["v"]
    assert last.shrink == first.shrink > 1 and last.image.shape == first.image.shape
    assert np.abs(last.image.astype(int) - first.image.astype(int)).max() <= 1
