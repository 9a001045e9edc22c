"""The meter stands alone: given a network's models once and fed each step as one frozen
StepData, it measures without any engine to read back."""

import dataclasses
import math

import pytest
import torch

from engine.measures import diagonal_job
from engine.measures.catalogue import NETWORK_ROW
from engine.measures.meter import Meter
from engine.measures.shift_job import PIECES
from engine.measures.tally import StepData
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
    # the shift job in pieces (one more per site after the first), consistency, the diagonal
    # path of 4 px in pieces
    assert meter.shift_pieces == PIECES + tuple(range(len(PIECES), len(PIECES) +
                                                     len(net.sites) - 1))
    jobs = (len(meter.shift_pieces) + 1 + math.ceil(4 / diagonal_job.STEPS)) * len(models)
    for i in range(jobs):
        assert not meter.cycled
        meter.tick(dataclasses.replace(step, index=i))
    assert meter.cycled and meter.ticks == jobs
    assert meter.snapshot(0).count("consistency", "max", NETWORK_ROW) == 2  # 2 pairs a tick


def test_the_shift_job_in_pieces_of_one_image_gives_what_the_whole_job_gives(fed):
    net, models, step = fed
    meter = Meter(net, models, torch.device("cpu"))
    meter.rf("max"), meter.rf("stride"), meter.cost()   # their traces run once, first
    sizes = []
    hooks = [m.register_forward_pre_hook(lambda mod, a: sizes.append(a[0].shape[0]))
             for m in models.values()]
    for _ in range(len(meter.shift_pieces) * len(models)):  # every shift piece, same frame
        meter.tick(dataclasses.replace(step, logits={}))
    for h in hooks:
        h.remove()
    assert sizes == [1] * len(PIECES) * len(models)        # one image per forward pass,
    #                                                        none in the site pieces
    live, whole = meter.snapshot(0), meter.measure_all(step)
    for v in models:
        for ly in step.layers:
            for metric in ("shift_cosine", "shift_cosine_subpx"):
                a, b = live.get(metric, v, ly.name), whole.get(metric, v, ly.name)
                assert a == pytest.approx(b, abs=1e-5) or (math.isnan(a) and math.isnan(b))
        for s in net.sites:
            assert live.get("polyphase_dispersion", v, s.path) == pytest.approx(
                whole.get("polyphase_dispersion", v, s.path), abs=1e-6)


def test_the_diagonal_path_in_pieces_gives_on_one_frame_what_the_whole_path_gives(fed):
    net, models, step = fed
    meter = Meter(net, models, torch.device("cpu"))
    sizes = []
    hooks = [m.register_forward_pre_hook(lambda mod, a: sizes.append(a[0].shape[0]))
             for m in models.values()]
    while not meter.cycled:
        meter.tick(step)
    for h in hooks:
        h.remove()
    live, whole = meter.snapshot(0), meter.measure_all(step, jobs=("diagonal",))
    assert whole.diagonal_shifts == live.diagonal_shifts == (0, 1, 2, 3, 4)  # 1/8 of 32 px
    assert max(sizes) <= diagonal_job.STEPS + 2      # no forward pass takes the whole path
    for v in models:
        assert live.diagonal[v] == pytest.approx(whole.diagonal[v], abs=1e-5)
        assert live.get("top1_change", v, NETWORK_ROW) == whole.get("top1_change", v,
                                                                     NETWORK_ROW)
        assert live.count("top1_change", v, NETWORK_ROW) == 4


def test_each_diagonal_piece_takes_its_class_from_crop_0_of_its_own_frame(fed):
    net, models, step = fed
    meter = Meter(net, models, torch.device("cpu"))
    seen = []
    real = meter._classify
    meter._classify = lambda batch, *a, **k: (seen.append(batch.clone()), real(batch, *a, **k))[1]
    other = dataclasses.replace(step, input=torch.flip(step.input, (-1,)), index=8)
    diagonal_job.piece(meter, meter.live, step, "max", 0)     # shifts 0..2 of frame 7
    assert "max" not in meter.live.diagonal                  # the path is not complete yet
    diagonal_job.piece(meter, meter.live, other, "max", 1)    # crop 0, shifts 2..4 of frame 8
    first, second = seen
    assert len(first) == 3 and len(second) == 4
    assert torch.equal(first[0], step.input[0, :, :28, :28])   # crop 0 of frame 7 ...
    assert torch.equal(second[0], other.input[0, :, :28, :28])  # ... and of frame 8
    assert torch.equal(second[1], other.input[0, :, 2:30, 2:30])
    assert len(meter.live.diagonal["max"]) == 5


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
