"""The four questions' exact claims, held to shared/reference/science.md, and the flip tests:
change the network and the verdict follows."""

import dataclasses
import textwrap

import pytest
import torch

from engine.answers import shortcut
from engine.answers.asking import ask
from engine.answers.base import Setup
from engine.errors import PoolScopeError

FAST = Setup(samples=8)


@pytest.fixture(scope="module")
def nonlinearity():
    return ask("nonlinearity", FAST)


def test_avg_subsampling_blurpool_and_the_learned_conv_are_linear_max_is_not(nonlinearity):
    n = nonlinearity.numbers
    for site, row in n.items():
        for v, level in (("avg", "site"), ("stride", "site"), ("learned", "site"),
                         ("blur", "filter")):                     # BlurPool alone
            e = row[v][level]["superposition"]
            assert e["ci95"][1] < 1e-5, (site, v, level)
            assert row[v][level]["sign"]["ci95"][1] < 1e-5, (site, v)
        assert row["max"]["site"]["superposition"]["ci95"][0] > 1e-2, site
        assert row["blur"]["site"]["superposition"]["ci95"][0] > 1e-2, site  # dense max first
        for v in row:                                            # the ReLU: every stage
            assert row[v]["stage"]["superposition"]["mean"] > 1e-2, (site, v)
    text = " ".join(nonlinearity.verdict)
    assert "max-pool adds non-linearity" in text and "avg-pool adds no non-linearity" in text
    assert "through its dense max" in text and "n=8" in text


def test_an_avg_only_network_says_no_operator_adds_non_linearity():
    a = ask("nonlinearity", dataclasses.replace(FAST, variants=("avg", "stride")))
    assert a.verdict[0].startswith("No operator here adds non-linearity")
    assert not any("adds non-linearity: superposition error" in s for s in a.verdict)


def test_the_cost_counts_are_exact_and_the_stem_is_the_published_one():
    a = ask("cost", dataclasses.replace(FAST, variants=("max", "avg", "stride", "learned")))
    stem = a.numbers["resnet18_stem"]
    assert (stem["stride_2"], stem["stride_1"]) == (118_013_952, 472_055_808)
    assert stem["pool_ops"] == 64 * 112 * 112 * 3               # 2x2 max: 3 comparisons each
    first = "features.2"
    assert a.numbers["max"]["stages"][first]["macs"] == 4 * a.numbers["stride"]["stages"][first][
        "macs"] == 64 * 64 * 16 * 27                              # conv3x3, 3 -> 16, 64x64
    assert a.numbers["stride"]["total"]["pool_ops"] == 0
    assert a.numbers["avg"]["total"]["pool_ops"] > a.numbers["max"]["total"]["pool_ops"] > 0
    assert a.numbers["learned"]["total"]["params"] > a.numbers["max"]["total"]["params"]
    assert a.numbers["stride"]["peak_bytes"] < a.numbers["max"]["peak_bytes"]
    assert any("118,013,952 MACs at stride 2 against 472,055,808" in s for s in a.verdict)


def test_a_strided_1x1_reaches_a_quarter_of_its_input_and_the_others_all_of_it():
    a = ask("shortcut", dataclasses.replace(FAST, variants=("max", "avg", "stride", "blur")))
    assert a.setup["network"].startswith("resnet18")
    for site, row in a.numbers.items():
        assert row["stride"]["mean"] == row["max"]["mean"] == 0.25, site
        assert row["avg"]["mean"] == row["blur"]["mean"] == row["control"]["mean"] == 1.0, site
        assert all(r["exact"] for r in row.values())
    assert a.verdict[0].startswith("Yes: a strided 1x1 conv reads one position in four")


def test_a_stride_1_shortcut_reaches_everything_and_the_verdict_changes():
    net = shortcut.network(FAST, model="resnet18", variants=("stride",))
    sites = [s for s in net.sites if s.kind == "shortcut"]
    for s in sites:  # the same network, its shortcuts at stride 1
        dict(net.variants["stride"].model.named_modules())[s.path].stride = (1, 1)
    x, _ = shortcut.images(FAST, net, 2)
    found = shortcut.shares(net, ["stride"], x, sites)
    assert all(found[s.path]["stride"][0].mean == 1.0 for s in sites)
    said = shortcut.verdict(found, ["stride"])
    assert said[0].startswith("No: here the strided 1x1 shortcut reaches 1.00")


def test_global_pooling_after_avg_and_blur_is_invariant_at_the_accumulated_stride():
    a = ask("gap", dataclasses.replace(FAST, variants=("max", "avg", "stride", "blur")))
    assert a.numbers["accumulated_stride"] == 8
    at = a.numbers["change"]["8"]
    assert at["avg"]["ci95"][1] < 1e-5 and at["blur"]["ci95"][1] < 1e-5
    assert at["stride"]["ci95"][0] > 1e-3 and at["max"]["ci95"][0] > 1e-3
    assert all(e["ci95"][0] > 1e-5 for e in a.numbers["change"]["1"].values())  # 1 px: none
    head = a.numbers["head"]
    assert head["gap_params"] == 128 * 6 + 6 and head["flatten_params"] == 128 * 16 * 6 + 6
    assert "avg-pool and blur-pool give the same pooled features" in " ".join(a.verdict)


def test_bad_questions_and_networks_are_one_line_errors(tmp_path):
    with pytest.raises(PoolScopeError, match="unknown question 'why'"):
        ask("why", FAST)
    seg = tmp_path / "seg.py"
    seg.write_text(textwrap.dedent('''
        from torch import nn
        def build():
            return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.MaxPool2d(2),
                                 nn.Conv2d(8, 2, 1))
        '''))
    with pytest.raises(PoolScopeError, match="no linear classifier head"):
        ask("gap", Setup(model=f"{seg}:build", input_size=32, samples=2))
    with pytest.raises(PoolScopeError, match="no such file"):
        ask("nonlinearity", Setup(source=str(tmp_path / "none.png"), samples=2))


def test_a_photo_gives_seeded_crops(rgb_png):
    from engine.answers.inputs import images, network

    setup = Setup(source=str(rgb_png), samples=5)
    net = network(setup, variants=("max",))
    a, where = images(setup, net, 5)
    b, _ = images(setup, net, 5)
    assert a.shape == (5, 3, 64, 64) and torch.equal(a, b) and "5 crops" in where
    assert len({tuple(t.flatten()[::97].tolist()) for t in a}) > 1   # not one crop 5 times
