"""Part 2's questions: why not just stride, sharp versus smooth, translation invariance, and
the pooling calculator. Exact parts against their values, statistical parts as orderings on
intervals, and a flip test each: a case built so the answer changes, and the verdict with it."""

import dataclasses

import cv2
import numpy as np
import pytest

from engine.answers.asking import ask
from engine.answers.base import Setup
from engine.errors import PoolScopeError

FAST = Setup(samples=16)


@pytest.fixture(scope="module")
def flat_png(tmp_path_factory):
    """A photo with nothing in it: every shift, crop and operator sees the same grey."""
    path = tmp_path_factory.mktemp("flat") / "flat.png"
    cv2.imwrite(str(path), np.full((96, 96, 3), 128, np.uint8))
    return str(path)


@pytest.fixture(scope="module")
def why_not_stride():
    return ask("stride", FAST)


def test_stride_costs_a_quarter_and_shifts_worst_at_every_site(why_not_stride):
    n = why_not_stride.numbers
    cost = n["cost"]
    assert cost["max"]["params"] == cost["avg"]["params"] == cost["stride"]["params"]
    assert cost["learned"]["params"] > cost["max"]["params"]
    assert 3.99 < cost["max"]["macs"] / cost["stride"]["macs"] < 4.0  # the convs 4x, the head not
    for weights in ("shared", "trained"):                  # both sets, every site
        for site, st in n[weights]["stride"]["sites"].items():
            blur = n[weights]["blur"]["sites"][site]
            assert st["shift"]["ci95"][0] > blur["shift"]["ci95"][1], (weights, site)
    assert n["shared"]["max"]["accuracy"]["n"] == 8 * FAST.samples
    assert n["shared"]["max"]["consistency"]["n"] == 4 * FAST.samples
    text = " ".join(why_not_stride.verdict)
    assert "MACs per image: stride wins with 3,982,080" in text
    shared = next(s for s in why_not_stride.verdict if s.startswith("Shared weights, 1-px"))
    assert shared.split(": ", 1)[1].startswith(("blur-pool wins", "no clear difference "
                                                "between blur-pool"))  # blur the lowest
    assert "Each variant trained separately, 1-px shift error" in text
    assert len(why_not_stride.tables) == 5                  # one per variant
    assert why_not_stride.tables[0].columns[1:] == ("shared weights",
                                                    "each variant trained separately")


def test_on_a_flat_picture_no_variant_wins_stability(flat_png):
    a = ask("stride", dataclasses.replace(FAST, samples=4, source=flat_png, circular=True))
    for weights in ("Shared weights", "Each variant trained separately"):
        for criterion in ("1-px shift error", "top-1 consistency", "top-1 change rate"):
            said = next(s for s in a.verdict if s.startswith(f"{weights}, {criterion}"))
            assert "no clear difference" in said and " wins " not in said, said
    assert a.numbers["shared"]["stride"]["shift"]["mean"] < 1e-9
    assert a.numbers["shared"]["max"]["consistency"]["mean"] == 1.0


def test_the_calculator_gives_the_classic_values():
    a = ask("calculator", Setup())
    out = a.numbers["outputs"]
    assert out["max"]["values"] == [[6, 4], [4, 5]]
    assert out["avg"]["values"] == [[3.75, 2.25], [1.75, 2.75]]
    assert out["stride"]["values"] == [[1, 2], [0, 3]]
    assert out["blur"]["values"] == [[3.75, 2.25], [1.75, 2.75]]  # Bin-2 is the 2x2 box
    assert np.allclose(out["learned"]["weights"], np.full((3, 3), 1 / 9))
    assert "Max-pool 2x2/2: the largest value of each window: [[6, 4], [4, 5]]." in a.verdict
    assert any(s.startswith("Max and avg differ in 4 of 4") for s in a.verdict)


def test_a_calculator_of_flat_windows_says_max_and_avg_agree(capsys):
    from main import main

    assert main(["ask", "calculator", "--matrix", "2,2,5,5;2,2,5,5;1,1,0,0;1,1,0,0"]) == 0
    out = capsys.readouterr().out
    assert "Max and avg give the same here: every window is flat." in out
    assert "[[2, 5], [1, 0]]" in out
    assert main(["ask", "calculator", "--matrix", "1,2;3"]) == 2
    assert "every row needs the same number of values" in capsys.readouterr().err
    with pytest.raises(PoolScopeError, match="more than half the kernel"):
        ask("calculator", Setup(kernel=2, padding=2))


def test_max_keeps_a_thin_line_stride_keeps_it_by_its_phase():
    a = ask("sharp", Setup())
    lines = a.numbers["thin lines"]
    assert lines["max"]["peak"]["min"] == 1.0                 # every phase, every line
    assert (lines["stride"]["peak"]["min"], lines["stride"]["peak"]["max"]) == (0.0, 1.0)
    assert lines["avg"]["peak"]["max"] == 0.5                 # a 1-px line in a 2x2 box
    assert lines["stride"]["energy"]["mean"] == pytest.approx(1.0)  # the phases partition it
    text = " ".join(a.verdict)
    assert "So on thin lines max keeps the sharp feature (1 of its peak)" in text
    assert "Under stride it depends on where the feature falls: the peak kept ranges from " \
           "0 to 1" in text
    assert "On a photo (grace_hopper.jpg)" in text


def test_on_a_flat_photo_every_operator_keeps_the_same_peak(flat_png):
    a = ask("sharp", Setup(source=flat_png))
    assert any(s.startswith("On a photo (flat.png), every operator keeps the same peak")
               for s in a.verdict)
    assert any(s.startswith("On thin lines, the peak kept") for s in a.verdict)


@pytest.fixture(scope="module")
def invariance():
    return ask("invariance", FAST)


def test_every_variant_is_exactly_invariant_at_whole_jumps_and_max_moves_between(invariance):
    n = invariance.numbers
    assert n["jump"] == 16 and n["shifts"][-1] == 16 and n["shifts"][1] == 0.5
    for v in ("max", "avg", "stride", "blur", "learned"):
        assert n[v]["at_jump"] < 1e-5, v
        assert n[v]["distance"][0]["ci95"][1] < 1e-5, v
    assert n["max"]["distance_mean"]["ci95"][0] > n["blur"]["distance_mean"]["ci95"][1]
    assert n["max"]["distance_mean"]["ci95"][0] > n["avg"]["distance_mean"]["ci95"][1]
    assert invariance.verdict[0].startswith("Shifted circularly by 16 px (one jump of the last "
                                            "site), max-pool, avg-pool, stride, blur-pool and "
                                            "learned give the same output exactly")
    assert n["max"]["distance_max"]["ci95"][0] > 1e-5
    assert invariance.verdict[1].startswith("In between, ")
    assert "max-pool" in invariance.verdict[1] or "none is invariant" in invariance.verdict[1]


def test_a_flat_picture_is_invariant_everywhere_and_the_verdict_says_so(flat_png):
    a = ask("invariance", dataclasses.replace(FAST, samples=4, source=flat_png))
    assert len(a.verdict) == 1
    assert a.verdict[0].startswith("Every variant here is invariant at every shift tried")


def test_a_share_of_all_or_nothing_keeps_its_value_inside_its_interval():
    from engine.answers.stats import wilson

    for k, n in ((128, 128), (0, 128), (3, 3)):
        e = wilson(k, n)
        assert e.lo <= e.mean <= e.hi


def test_an_interval_of_a_quantity_that_cannot_be_negative_stays_at_or_above_0():
    from engine.answers.stats import mean_ci

    e = mean_ci([0.0, 0.0, 0.0, 1.0])
    assert e.lo == 0.0 and e.hi > e.mean > 0
    assert mean_ci([-1.0, 0.0, 1.0]).lo < 0             # a signed one keeps its t interval
