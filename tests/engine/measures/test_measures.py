"""The measures held to shared/reference/science.md: exact where the theory is exact, orderings
on means over seeds where it is statistical."""

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.engine import Engine
from engine.measures import diagonal_job
from engine.measures import metrics as ms
from engine.measures.site_taps import SiteTap
from engine.network.downsamplers import BlurPool
from engine.network.load import load_network
from engine.network.module_facts import dense
from engine.sources.frames import Frame

VARIANTS = ("max", "avg", "stride", "blur")


def _noise(seed, shape=(1, 3, 64, 64)):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# -- the functions ----------------------------------------------------------------------------
@pytest.mark.parametrize("filt, expected", [
    (None, 0.75), ("rect2", 0.33), (3, 0.146), (4, 0.065), (5, 0.030)])
def test_white_noise_alias_fractions_match_the_table(filt, expected):
    x = _noise(0, (8, 1, 256, 256))
    if filt == "rect2":
        y = F.avg_pool2d(x, 2, 1)
    elif filt is None:
        y = x
    else:
        y = dense(BlurPool(filt, 2, "circular"), x)
    assert ms.alias_fraction(y) == pytest.approx(expected, abs=0.02)


def test_alias_fraction_counts_only_frequencies_above_a_quarter():
    n = torch.arange(64, dtype=torch.float64)
    low = torch.cos(2 * math.pi * 0.125 * n)[None, :].expand(64, 64)   # 1/8 cycle per px
    high = torch.cos(2 * math.pi * 0.375 * n)[None, :].expand(64, 64)  # 3/8 cycle per px
    assert ms.alias_fraction(low) == pytest.approx(0.0, abs=1e-12)
    assert ms.alias_fraction(high) == pytest.approx(1.0, abs=1e-12)
    assert ms.alias_fraction(low + high) == pytest.approx(0.5, abs=1e-12)


def test_alias_fraction_does_not_depend_on_the_scale_of_the_map():
    y = torch.rand(4, 33, 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    a = ms.alias_fraction(y)
    for scale in (1e-30, 1e-20, 1e20, 1e30):         # far outside single precision's range
        assert ms.alias_fraction(y * scale) == pytest.approx(a, abs=1e-7)


def test_polyphase_dispersion_is_0_for_blocks_and_1_for_a_checkerboard():
    blocks = torch.rand(4, 8, 8).repeat_interleave(2, -1).repeat_interleave(2, -2)
    assert ms.polyphase_dispersion(blocks) == pytest.approx(0.0, abs=1e-12)
    i = torch.arange(16)
    checker = ((-1.0) ** (i[:, None] + i[None, :])).expand(3, 16, 16)
    assert ms.polyphase_dispersion(checker) == pytest.approx(1.0, abs=1e-12)
    # by definition: mean over phases of |P - mean|^2 over mean of |P|^2
    y = torch.rand(2, 10, 10, dtype=torch.float64)
    p = torch.stack([y[:, a::2, b::2] for a in (0, 1) for b in (0, 1)])
    expect = ((p - p.mean(0)) ** 2).sum((1, 2, 3)).mean() / (p ** 2).sum((1, 2, 3)).mean()
    assert ms.polyphase_dispersion(y) == pytest.approx(float(expect), abs=1e-12)


def test_flicker_is_the_relative_change():
    a = torch.rand(3, 5, 5) + 0.1
    assert ms.flicker(a, a) == 0.0
    assert ms.flicker(2 * a, a) == pytest.approx(1.0, abs=1e-6)
    assert ms.flicker(a, torch.zeros_like(a)) == math.inf


def test_shift_tensor_moves_content_and_repeats_the_edge():
    x = torch.arange(20.0).reshape(1, 1, 4, 5)
    y = ms.shift_tensor(x, 1, 0)
    assert torch.equal(y[..., 1:], x[..., :-1]) and torch.equal(y[..., 0], x[..., 0])
    y = ms.shift_tensor(x, 0, 2)
    assert torch.equal(y[..., 2:, :], x[..., :-2, :])
    half = ms.shift_tensor(x, 0.5, 0)
    assert torch.allclose(half, 0.5 * (x + ms.shift_tensor(x, 1, 0)))


def test_shift_cosine_of_an_equivariant_map_is_0_and_of_a_stuck_one_is_not():
    x = _noise(1, (1, 2, 32, 32))[0]
    moved = ms.shift_tensor(x[None], 3, 0)[0]
    assert ms.shift_cosine(x, moved, 3, 0, 1) == pytest.approx(0.0, abs=1e-9)
    assert ms.shift_cosine(x, x, 3, 0, 1) > 0.1


# -- networks with circular padding: exact equivariance at multiples of the stride ------------
@pytest.mark.parametrize("variant", VARIANTS)
def test_circular_network_is_exactly_equivariant_at_multiples_of_each_layers_stride(variant):
    net = load_network("tiny", (variant,), 64, seed=3, circular=True)
    e = Engine(network=net, variants=(variant,), device="cpu")
    x = _noise(2)
    for k in (1, 2):
        e.step(np.zeros((64, 64, 3), np.uint8))
        rf = e.meter.rf(variant)
        for ly in e.layers:
            jump = int(rf[ly.name].jump)
            d = k * jump
            from engine.network.capture import Capture
            with torch.inference_mode(), Capture(e.models[variant], e.layers, full=True) as cap:
                e.models[variant](torch.cat([x, torch.roll(x, (d, d), (-2, -1))]))
            a, b = cap.maps[ly.name][0], cap.maps[ly.name][1]
            assert torch.allclose(torch.roll(a, (k, k), (-2, -1)), b, atol=1e-5), ly.name
            cos = ms.shift_cosine(a, b, d, d, jump, circular=True)
            assert cos == pytest.approx(0.0, abs=1e-5)


def test_circular_1px_shift_error_vanishes_only_where_the_layer_has_stride_1():
    net = load_network("tiny", ("stride",), 64, seed=0, circular=True)
    e = Engine(network=net, variants=("stride",), device="cpu")
    e.step((np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8))
    m = e.measure(jobs=("shift",))
    assert m.get("shift_cosine", "stride", "features.0") > 0.05  # the folded stride-2 conv
    plain = load_network("tiny", ("max",), 64, seed=0, circular=True)
    e = Engine(network=plain, variants=("max",), device="cpu")
    e.step((np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8))
    assert e.measure(jobs=("shift",)).get("shift_cosine", "max", "features.0") < 1e-6


# -- statistics over seeds --------------------------------------------------------------------
def test_mean_1px_shift_error_over_20_seeds_is_ordered_stride_max_avg_blur():
    errors = {}
    for seed in range(20):
        e = Engine(model="tiny", input_size=64, seed=seed, variants=VARIANTS, device="cpu")
        e.step((np.random.default_rng(seed).random((64, 64, 3)) * 255).astype(np.uint8))
        m = e.measure(jobs=("shift",))
        for v in VARIANTS:
            for s in e.network.sites:
                errors.setdefault((v, s.path), []).append(m.get("shift_cosine", v, s.path))
    for s in e.network.sites:
        mean = {v: float(np.mean(errors[(v, s.path)])) for v in VARIANTS}
        assert mean["stride"] > mean["max"], (s.path, mean)
        assert mean["stride"] > mean["avg"], (s.path, mean)
        assert mean["max"] > mean["blur"], (s.path, mean)


# -- the stride-1 view of each site -----------------------------------------------------------
def test_site_tap_gives_what_each_variant_samples_at_stride_1():
    net = load_network("tiny", VARIANTS, 32, seed=0)
    x = _noise(4, (1, 3, 32, 32))
    got = {}
    for v, var in net.variants.items():
        with torch.no_grad(), SiteTap(var.model, net.sites, var.changed, net.trace) as tap:
            var.model(x)
        got[v] = tap.maps["features.2"]
    entering = got["max"].entering                   # conv + ReLU output, 16x32x32
    assert torch.allclose(got["avg"].entering, entering)
    assert torch.allclose(got["max"].presample, F.max_pool2d(entering[None], 2, 1)[0])
    assert torch.allclose(got["avg"].presample, F.avg_pool2d(entering[None], 2, 1)[0])
    # the folded stride-2 conv: the same conv at stride 1, with its ReLU, recomputed
    assert torch.allclose(got["stride"].presample, entering, atol=1e-6)
    # sampling the presample map at stride 2 gives each variant's real site output
    for v in ("max", "avg", "stride"):
        with torch.no_grad():
            out = net.variants[v].model.features[:3](x)[0]
        assert torch.allclose(got[v].presample[:, ::2, ::2], out, atol=1e-6), v


def test_live_measures_arrive_on_results_within_the_budget():
    e = Engine(model="tiny", input_size=48, device="cpu", measure_every=1, measure_budget=1.0,
               trained="resources/checkpoints")
    image = (np.random.default_rng(0).random((48, 48, 3)) * 255).astype(np.uint8)
    # shift (in pieces of one image's forward pass), consistency, diagonal (a 6-px path in
    # pieces): one per frame
    jobs = (len(e.meter.shift_pieces) + 1 + math.ceil(6 / diagonal_job.STEPS)) \
        * len(e.variant_names)
    results = [e.step(image) for _ in range(jobs + 1)]
    assert e.meter.cycled
    m = results[-1].measures
    assert m is not None and results[0].measures is not None
    for v in e.variant_names:
        for ly in e.layers:
            assert math.isfinite(m.get("shift_cosine", v, ly.name))
            assert m.get("flicker", v, ly.name) == pytest.approx(0.0, abs=1e-6)  # same frame
            assert m.get("ms", v, ly.name) >= 0
        for s in e.network.sites:
            assert 0 <= m.get("polyphase_dispersion", v, s.path) <= 1
            assert 0 <= m.get("alias_fraction", v, s.path) <= 1
        assert 0 <= m.get("consistency", v, "output") <= 1
        assert len(m.diagonal[v]) == len(m.diagonal_shifts) > 1
    assert all("measure" in r.timings_ms for r in results)  # budget 1: every frame
    # a tiny budget: after a job that took T, frames go unmeasured for about T / budget
    e.config = dataclasses.replace(e.config, measure_budget=1e-3)  # configs are immutable
    assert not any("measure" in e.step(image).timings_ms for _ in range(3))


def test_cost_of_the_strided_conv_is_a_quarter_of_the_same_conv_at_stride_1():
    e = Engine(model="tiny", input_size=64, device="cpu")
    cost = e.meter.cost()
    params_max, macs_max = cost["max"]["features.0"]
    params_stride, macs_stride = cost["stride"]["features.0"]
    assert params_max == params_stride == 3 * 16 * 9 + 16
    assert macs_max == 64 * 64 * 16 * 3 * 9 and macs_stride * 4 == macs_max


@pytest.mark.parametrize("jump", [1, 2, 4, 8])
@pytest.mark.parametrize("circular", [False, True])
def test_shift_cosine_on_the_grid_equals_the_upsampled_comparison(jump, circular):
    """The block-wise sums equal Zhang's definition computed on input-sized maps."""
    a, b = _noise(5, (1, 3, 12, 12))[0], _noise(6, (1, 3, 12, 12))[0]
    ua = a.repeat_interleave(jump, -2).repeat_interleave(jump, -1)
    ub = b.repeat_interleave(jump, -2).repeat_interleave(jump, -1)
    size = (12 * jump, 12 * jump)
    for dx, dy in ((1, 0), (0, 1), (1, 1), (0.5, 0.5), (3, 2), (2.5, 0), (-1, 2)):
        got = ms.shift_cosine(a, b, dx, dy, jump, circular)
        if circular:
            want = ms.cosine_distance(ub, ms.roll_tensor(ua, dx, dy))
        else:  # the same window: all but the border blocks the shift reaches past
            m = max(abs(k) for cls in (ms._axis_classes(dy, jump), ms._axis_classes(dx, jump))
                    for key, _ in cls for k, _ in key) * jump
            sa = ms.shift_tensor(ua[None], dx, dy)[0]
            sl = (..., slice(m, size[0] - m), slice(m, size[1] - m))
            want = ms.cosine_distance(ub[sl], sa[sl])
        assert got == pytest.approx(want, abs=1e-6), (dx, dy)


def test_a_frame_outside_the_stream_is_not_measured_nor_a_flicker_reference():
    e = Engine(model="tiny", input_size=32, device="cpu", measure_every=1, measure_budget=1.0)
    blank = e.step(np.zeros((32, 32, 3), np.uint8), history=False)
    assert blank.measures is None and "measure" not in blank.timings_ms
    first = e.step((np.random.default_rng(1).random((32, 32, 3)) * 255).astype(np.uint8))
    assert first.measures is not None
    assert "flicker" not in first.measures.values  # nothing before it in the stream
    rng = np.random.default_rng(2)
    for _ in e.variant_names:         # the frame metrics of one variant a job, in turn
        later = e.step((rng.random((32, 32, 3)) * 255).astype(np.uint8))
    for v in e.variant_names:
        assert math.isfinite(later.measures.get("flicker", v, "features.0"))


def test_a_frozen_frame_settles_only_once_every_live_job_ran_on_it():
    """Stepped again and again (frozen), a frame keeps being stepped until its crop pairs are
    in and every live job (each piece of the shift and diagonal jobs, each variant) ran on it:
    what the window then shows is all of that one frame."""
    e = Engine(model="tiny", input_size=48, device="cpu", measure_every=1, measure_budget=1.0,
               trained="resources/checkpoints")
    rng = np.random.default_rng(3)
    for i in range(3):                                    # live first: other frames' values
        e.step(Frame((rng.random((48, 48, 3)) * 255).astype(np.uint8), i, 0.0))
    frozen = Frame((rng.random((48, 48, 3)) * 255).astype(np.uint8), 99, 0.0)
    e.step(frozen)
    steps = 1
    while e.settling() and steps < 500:
        result = e.step(frozen)
        steps += 1
    assert not e.settling() and steps < 500
    assert e.meter.complete_on(e.last) and not e.meter.pairs_short(e.last)
    whole = e.measure(jobs=("diagonal",))                 # the same frame, in one batch
    m = result.measures
    for v in e.variant_names:
        assert m.diagonal[v] == pytest.approx(whole.diagonal[v], abs=1e-5)
        assert m.get("top1_change", v, "output") == whole.get("top1_change", v, "output")
