"""The mechanism views' numbers: the aligned shift error and the sampling phases."""

import numpy as np
import pytest

from engine.engine import Engine, EngineConfig
from engine.measures.mechanism import aligned_error, phases
from engine.sources.preprocess import shift_image
from tests.conftest import scene

VARIANTS = ("max", "avg", "stride", "blur")


def _engine(circular: bool) -> Engine:
    e = Engine(EngineConfig(device="cpu", circular=circular, variants=VARIANTS, input_size=64))
    e.step(scene(64, 64))
    return e


@pytest.fixture(scope="module")
def circular():
    return _engine(True)


@pytest.fixture(scope="module")
def padded():
    return _engine(False)


def test_aligned_error_is_zero_at_whole_jumps_of_a_circular_network(circular):
    x = circular.last_input
    for layer in ("features.2", "features.5", "features.8"):
        jump = max(circular.meter.rf(v)[layer].jump for v in VARIANTS)
        for k in (1, 2):
            a = aligned_error(circular, x, layer, k * jump, 0)
            assert a.border == 0 and set(a.maps) == set(VARIANTS)
            assert max(a.rel.values()) < 1e-6, (layer, k, a.rel)
            assert max(float(m.max()) for m in a.maps.values()) < 1e-5
        down = aligned_error(circular, x, layer, 0, jump)   # down the picture too
        assert max(down.rel.values()) < 1e-6


def test_aligned_error_lights_up_for_stride_at_one_pixel(circular, padded):
    for e in (circular, padded):
        a = aligned_error(e, e.last_input, "features.5", 1, 0)
        assert a.rel["stride"] > 0.05 and float(a.maps["stride"].max()) > 0.1
        assert a.rel["blur"] < a.rel["stride"]            # blur stays darker
        assert a.maps["max"].shape == (64, 64)
    assert aligned_error(padded, padded.last_input, "features.5", 1, 0).border >= 5


def test_the_kept_phase_follows_a_one_pixel_nudge_and_is_what_the_network_outputs(padded):
    e = padded
    frame = scene(64, 64)
    base = e.prepare(frame)
    site = "features.2"
    for nudge, want in (((0, 0), (0, 0)), ((1, 0), (0, 1)), ((0, 1), (1, 0)),
                        ((1, 1), (1, 1)), ((2, 0), (0, 0)), ((0.5, 0), None)):
        got = phases(e, base, site, 3, nudge)
        assert {v: p.kept for v, p in got.items()} == dict.fromkeys(VARIANTS, want), nudge
        if want is None:
            continue
        e.step(shift_image(frame, *nudge))             # the session's nudge of a frozen frame
        for v in ("max", "avg", "stride"):
            out = e.last_maps[v][site][3].float().numpy()
            qx, qy = nudge[0] // 2, nudge[1] // 2     # whole units the content moved
            phase = got[v].phases[want][qy:, qx:]
            h, w = min(out.shape[0], phase.shape[0]), min(out.shape[1], phase.shape[1])
            inner = (slice(2, h - 2), slice(2, w - 2))  # away from the repeated edge
            np.testing.assert_allclose(out[:h, :w][inner], phase[:h, :w][inner], atol=1e-5)
    assert got["max"].how == "dense max 2x2 (stride 1)" and got["max"].dense.shape == (63, 63)
    assert got["blur"].spread < got["stride"].spread  # blur's phases are more alike


def test_phases_refuse_a_row_that_is_not_a_site(padded):
    from engine.errors import ModelError

    with pytest.raises(ModelError, match="not a downsampling site"):
        phases(padded, padded.last_input, "features.3", 0)
    with pytest.raises(ModelError, match="outside"):
        phases(padded, padded.last_input, "features.2", 999)
