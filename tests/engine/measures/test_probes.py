"""On-demand probes: shift sweep, receptive fields and ERF, spectra, differences."""

import numpy as np
import pytest

from engine.engine import Engine
from engine.errors import ModelError
from engine.measures import probes
from engine.network.info import network_info
from engine.network.load import load_network


def _image(size, seed=0):
    return (np.random.default_rng(seed).random((size, size, 3)) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def engine():
    e = Engine(model="tiny", input_size=48, device="cpu", seed=1)
    e.step(_image(48))
    return e


def test_receptive_field_box_has_the_size_info_reports(engine):
    info = network_info(engine.network)
    for v in engine.variant_names:
        rows = {r["name"]: r for r in info["variants"][v]["layers"]}
        for name in ("features.0", "features.5", "features.11"):
            top, left, bottom, right = probes.receptive_field(engine, v, name, 1, 2)
            assert bottom - top + 1 == rows[name]["rf"] == right - left + 1
            top0, left0, _, _ = probes.receptive_field(engine, v, name, 0, 0)
            assert top - top0 == rows[name]["jump"] and left - left0 == 2 * rows[name]["jump"]


def test_effective_receptive_field_lies_inside_the_theoretical_one(engine):
    erf = probes.ERF()
    for v in engine.variant_names:
        # a unit in the middle of features.5 whose channel responds here
        m = engine.last_maps[v]["features.5"]
        c, h, w = m.shape
        ch = int(m[:, h // 2, w // 2].argmax())
        grads = erf.update(engine, "features.5", ch, h // 2, w // 2)
        g = grads[v]
        assert g.shape == (48, 48) and np.isfinite(g).all() and g.max() > 0
        top, left, bottom, right = probes.receptive_field(engine, v, "features.5", h // 2, w // 2)
        inside = np.zeros_like(g, bool)
        inside[max(0, int(np.floor(top))):int(bottom) + 1,
               max(0, int(np.floor(left))):int(right) + 1] = True
        assert g[~inside].max() == 0.0, v
    assert erf.count == 1


def test_erf_is_a_running_mean_over_frames_of_the_same_unit(engine):
    erf = probes.ERF()
    a = erf.update(engine, "features.2", 0, 5, 5)["max"].copy()
    engine.step(_image(48, seed=7))
    b_alone = probes.ERF().update(engine, "features.2", 0, 5, 5)["max"]
    mean = erf.update(engine, "features.2", 0, 5, 5)["max"]
    assert erf.count == 2
    assert np.allclose(mean, (a + b_alone) / 2)
    erf.update(engine, "features.2", 1, 5, 5)  # another unit starts over
    assert erf.count == 1
    with pytest.raises(ModelError, match="outside"):
        erf.update(engine, "features.2", 99, 5, 5)


def test_shift_probe_on_a_circular_network_is_0_at_multiples_of_the_jump():
    net = load_network("tiny", ("max", "stride", "blur"), 32, seed=2, circular=True)
    e = Engine(network=net, variants=("max", "stride", "blur"), device="cpu")
    e.step(_image(32, seed=3))
    p = probes.shift_probe(e, steps_per_px=2)
    assert p.shifts[0] == 0 and p.shifts[1] == 0.5
    for v in ("max", "stride", "blur"):
        for name, jump in p.variant_jumps[v].items():
            err = p.error[v][name]
            span = max(2.0, 2 * p.jumps[name])
            at = [i for i, s in enumerate(p.shifts) if s <= span and s % jump == 0]
            assert len(at) >= 3 and np.allclose(err[at], 0, atol=1e-5), (v, name)
            beyond = p.shifts > span
            assert np.isnan(err[beyond]).all()
    # striding is not equivariant between multiples of its jump; blur much closer to it
    half = list(p.shifts).index(1.0)
    assert p.error["stride"]["features.2"][half] > 5 * p.error["blur"]["features.2"][half]


def test_spectrum_of_a_site_before_and_after_downsampling(engine):
    s = probes.spectrum(engine, "blur", "features.5", 3)
    assert s["before"].shape == (24, 24) and s["after"].shape == (12, 12)
    assert s["nyquist"] == 0.25 and np.isfinite(s["before"]).all()
    with pytest.raises(ModelError, match="not a downsampling site"):
        probes.spectrum(engine, "blur", "features.3", 0)


def test_difference_of_two_variants(engine):
    same, how = probes.difference(engine, "features.0", "max", "avg")  # nothing differs upstream
    assert same.mosaic.max() == 0 and same.hi == 0 and how == "unit by unit"
    diff, _ = probes.difference(engine, "features.2", "max", "stride")
    assert diff.mosaic.max() == 255 and diff.hi > 0 and diff.shape == (16, 24, 24)


def test_a_shift_probe_can_be_cancelled_between_passes(engine):
    asked = []

    def cancel():
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(ModelError, match="cancelled"):
        probes.shift_probe(engine, steps_per_px=4, batch=4, cancel=cancel)
    assert len(asked) == 2
