"""The metric catalogue: every measure the engine reports is in it with its scale, statistical
values carry their sample count, and a new metric is one registry entry."""

import dataclasses

import numpy as np
import pytest

from engine.engine import Engine
from engine.measures import catalogue
from engine.measures.catalogue import METRICS, NETWORK_ROW, Metric, register


@pytest.fixture(scope="module")
def measured():
    engine = Engine(model="tiny", variants=("max", "stride"), device="cpu", input_size=64,
                    trained=None)
    image = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    engine.step(image)
    engine.step(image)
    return engine, engine.measure()


def test_every_measure_reported_is_in_the_catalogue_and_every_entry_is_reported(measured):
    _, m = measured
    assert set(m.values) == set(METRICS)


def test_every_entry_says_its_scale():
    for metric in METRICS.values():
        assert metric.title and metric.description and metric.unit, metric.name
        assert metric.better in ("lower", "higher", ""), metric.name
        assert metric.where in catalogue.WHERE and metric.job in catalogue.JOBS
        if metric.family == "invariance":  # shares and distances: 0 and 1 mean something
            assert metric.zero and metric.one, metric.name
    assert METRICS["shift_cosine"].scale() == (
        "cosine distance; 0 = moves exactly with the input; 1 = unrelated to the moved map; "
        "lower is better")
    assert METRICS["consistency"].better == "higher"
    assert METRICS["consistency"].scale().endswith("higher is better")
    assert [m.name for m in catalogue.of(family="cost")] == ["params", "macs", "ms"]
    assert {m.name for m in catalogue.of(where="site")} == {"polyphase_dispersion",
                                                             "alias_fraction"}


def test_statistical_values_carry_their_sample_count(measured):
    engine, m = measured
    stat = {name for name, metric in METRICS.items() if metric.statistical}
    assert stat == {"consistency", "top1_change"}
    for v in engine.variant_names:
        assert m.count("consistency", v, NETWORK_ROW) == 4      # measure(): 4 fresh pairs
        assert m.count("top1_change", v, NETWORK_ROW) == len(m.diagonal_shifts) - 1
        assert m.count("shift_cosine", v, "features.2") is None  # not statistical


def test_the_catalogue_refuses_a_repeated_or_unknown_kind_of_metric():
    with pytest.raises(ValueError, match="registered already"):
        register(METRICS["flicker"])
    odd = dataclasses.replace(METRICS["flicker"], name="odd", where="everywhere")
    with pytest.raises(ValueError, match="where must be one of"):
        register(odd)
    with pytest.raises(ValueError, match="a site metric needs compute"):
        register(dataclasses.replace(METRICS["alias_fraction"], name="odd", compute=None))
    assert "odd" not in METRICS


def test_a_new_site_metric_is_one_entry_and_the_meter_computes_it():
    def peak(presample, stride):
        return float(presample.abs().max())

    register(Metric("test_peak", "peak", "largest |value| the stride samples", "activation",
                    "", "", "", "site", "shift", compute=peak))
    try:
        engine = Engine(model="tiny", variants=("max", "blur"), device="cpu", input_size=32,
                        trained=None)
        engine.step(np.full((32, 32, 3), 200, np.uint8))
        m = engine.measure(("shift",))
        sites = [s.path for s in engine.network.sites]
        for v in engine.variant_names:
            got = [m.get("test_peak", v, s) for s in sites]
            assert all(x > 0 for x in got), got
            tap = engine.meter.site_maps[v][sites[0]]
            assert got[0] == pytest.approx(float(tap.presample.abs().max()))
    finally:
        METRICS.pop("test_peak")
