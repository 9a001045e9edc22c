"""The meter stands alone: given a network's models once and fed each step as one frozen
StepData, it measures without any engine to read back."""

import dataclasses
import math

import pytest
import torch

from engine.measures.catalogue import NETWORK_ROW
from engine.measures.meter import Meter, StepData
from engine.network.capture import Capture
from engine.network.load import load_network


@pytest.fixture(scope="module")
def fed():
    net = load_network("tiny", ("max", "stride"), input_size=32)
    models = {v: var.model for v, var in net.variants.items()}
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    maps, logits = {}, {}
    with torch.inference_mode():
        for v, model in models.items():
            with Capture(model, net.layers) as cap:
                logits[v] = model(x)[0]
            maps[v] = cap.maps
    step = StepData(x, 7, tuple(net.layers), maps, maps, logits, {"max": {"features.0": 1.5}})
    return net, models, step


def test_measure_all_from_one_step(fed):
    net, models, step = fed
    meter = Meter(net, models, torch.device("cpu"))
    m = meter.measure_all(step)
    assert m.frame_index == 7
    site = net.sites[0].path
    for v in models:
        assert 0.0 <= m.get("shift_cosine", v, site) <= 2.0
        assert 0.0 <= m.get("consistency", v, NETWORK_ROW) <= 1.0
        assert m.get("flicker", v, site) == 0.0        # previous maps are these maps
    assert m.get("ms", "max", "features.0") == 1.5     # the step's running means
    assert math.isnan(m.get("ms", "stride", "features.0"))


def test_ticks_run_one_job_at_a_time_until_every_kind_ran(fed):
    net, models, step = fed
    meter = Meter(net, models, torch.device("cpu"))
    jobs = 3 * len(models)
    for i in range(jobs):
        assert not meter.cycled
        meter.tick(dataclasses.replace(step, index=i))
    assert meter.cycled and meter.ticks == jobs
    assert meter.snapshot(0).count("consistency", "max", NETWORK_ROW) == 2  # 2 pairs a tick


def test_without_a_classifier_only_the_shift_job_runs(fed):
    net, models, step = fed
    meter = Meter(net, models, torch.device("cpu"))
    for _ in range(4):
        m = meter.tick(dataclasses.replace(step, logits={}))
    assert "shift_cosine" in m.values and "consistency" not in m.values


def test_a_frozen_frame_accumulates_200_crop_pairs_and_a_new_frame_forgets_them(fed):
    net, models, step = fed
    meter = Meter(net, models, torch.device("cpu"))
    for i in range(30):                                   # live: a window of recent pairs
        meter._job_consistency(meter.live, dataclasses.replace(step, index=i))
    assert meter.snapshot(0).count("consistency", "max", NETWORK_ROW) == 60
    frozen = dataclasses.replace(step, index=99)
    for _ in range(30):                                   # the same frame again and again
        meter._job_consistency(meter.live, frozen)
    n = meter.snapshot(0).count("consistency", "max", NETWORK_ROW)
    assert n >= 200 and n == 2 + 29 * 8                   # this frame's pairs only, 8 a job
    meter._job_consistency(meter.live, dataclasses.replace(step, index=100))
    assert meter.snapshot(0).count("consistency", "max", NETWORK_ROW) == 2 + 2  # live again
