"""Part 3's questions: how the receptive field grows (with the none variant) and where position
survives. The receptive fields against the formulas, the readout on a case with a known answer,
orderings on intervals, and a flip test each."""

import dataclasses

import numpy as np
import pytest

from engine.answers import position
from engine.answers.asking import ask
from engine.answers.base import Setup

FAST = Setup(samples=8)


@pytest.fixture(scope="module")
def receptive():
    return ask("receptive", FAST)


def test_the_receptive_fields_are_the_formulas(receptive):
    per = receptive.numbers["variants"]
    assert set(per) == {"max", "avg", "stride", "blur", "learned", "none"}
    rf = {v: [(d["size"], d["jump"]) for d in per[v]["rows"].values()] for v in per}
    sites = slice(1, None, 2)   # tiny: conv, site, conv, site, ...
    assert rf["max"][sites] == [(4, 2), (10, 4), (22, 8), (46, 16)]      # conv3 + max2
    assert rf["stride"][sites] == [(3, 2), (7, 4), (15, 8), (31, 16)]    # strided conv3
    assert [s for s, _ in rf["none"]] == [3, 3, 5, 5, 7, 7, 9, 9]          # 1 + 2n, jump 1
    assert all(j == 1 for _, j in rf["none"])
    assert per["none"]["macs"] > 20 * per["max"]["macs"]
    assert per["none"]["peak_bytes"] > 5 * per["max"]["peak_bytes"]
    last = receptive.numbers["rows"][-1]
    for v, d in per.items():                      # Luo et al.: the effective field is smaller
        assert d["rows"][last]["erf_width"]["ci95"][1] < d["rows"][last]["size"], v
    text = " ".join(receptive.verdict)
    assert "none (no downsampling) 9 px (14% of the 64-px input)" in text
    assert "grows by 2 px per 3x3 conv, linearly: 9 px after 4 convs" in text
    assert "smaller than the theoretical one for every variant" in text


def test_variants_of_one_geometry_say_the_field_is_the_same():
    a = ask("receptive", dataclasses.replace(FAST, variants=("max", "avg")))
    assert a.verdict[0].startswith("Every variant here has the same theoretical receptive field "
                                   "at every row (46 px at the last")
    assert "none" not in a.numbers["variants"]


def test_the_readout_of_a_map_that_is_the_position_is_exact():
    assert position.dual_check() < 1e-4
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 16, (60, 2))
    noise = rng.normal(size=(60, 500))                # the position hidden among noise
    f = np.concatenate([p, noise * 0.01], axis=1)
    fit = position.ridge_readout(f, p, np.arange(60) % 2 == 0)
    assert fit["errors"].mean() < 0.1
    useless = position.ridge_readout(rng.normal(size=(60, 500)), p, np.arange(60) % 2 == 0)
    assert useless["errors"].mean() > 2.0             # and noise alone reads nothing back


@pytest.fixture(scope="module")
def where():
    return ask("position", FAST)


def test_stride_loses_position_and_the_blob_between_samples_blur_keeps_both(where):
    per, last = where.numbers["variants"], where.numbers["rows"][-1]
    assert where.numbers["positions"] == 144 and where.numbers["test_positions"] == 72
    assert per["stride"][last]["error"]["ci95"][0] > per["blur"][last]["error"]["ci95"][1]
    assert per["stride"][last]["dropout"]["ci95"][0] > per["blur"][last]["dropout"]["ci95"][1]
    assert per["blur"][last]["dropout"]["mean"] == 0.0
    assert per["none"][last]["dropout"]["mean"] == 0.0
    assert any(s.startswith("It drops out at some positions under") and "stride (0.5" in s
               for s in where.verdict)


def test_on_the_sampling_lattice_nothing_drops_out(monkeypatch):
    monkeypatch.setattr(position, "STEP", 16.0)       # every position one jump of the last site
    monkeypatch.setattr(position, "POSITIONS", 3)
    a = ask("position", dataclasses.replace(FAST, variants=("max", "stride", "blur")))
    assert a.numbers["positions"] == 9
    assert a.verdict[-1].startswith("Its response never drops out under any variant here")
