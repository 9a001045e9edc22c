"""Shared stems (engine.network.stem): a variant whose first rows are another's starts its pass
from that variant's map, and gives the very maps and output of a whole pass; a cut that would
not be exact is not taken."""

import numpy as np
import pytest
import torch

from engine.engine import Engine
from engine.network.capture import Capture
from engine.network.stem import plan

# a model that reads its input again after the first conv: nothing may start past that conv
READS_INPUT_AGAIN = '''
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        y = self.conv2(self.pool(self.relu(self.conv(x))))
        return self.fc(y.mean((2, 3))) + x.mean()

def make():
    torch.manual_seed(0)
    return Net()
'''


def _image(size: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def _whole(engine: Engine, image: np.ndarray):
    """Every variant's maps and logits from whole passes (no stems)."""
    x = engine.prepare(image)
    maps, logits = {}, {}
    with torch.inference_mode():
        for v, model in engine.models.items():
            with Capture(model, engine.layers) as cap:
                logits[v] = model(x)[0]
            maps[v] = cap.maps
    return maps, logits


def test_tiny_variants_that_keep_the_first_conv_start_from_max_s_map():
    e = Engine(input_size=64, measure_every=0)
    assert {v: (s.source, s.row) for v, s in e.stems.items()} == {
        "avg": ("max", "features.0"), "blur": ("max", "features.0")}
    assert "stride" not in e.stems   # its first conv takes the stride: it differs from there
    f = e.forward(_image(96))
    assert f.maps["avg"]["features.0"] is f.maps["max"]["features.0"]


@pytest.mark.parametrize("model,size", [("tiny", 64), ("tests/zoo/inception.py:build", 32),
                                        ("tests/zoo/resnet_proj.py:build", 32)])
def test_a_step_with_stems_gives_the_very_maps_and_scores_of_whole_passes(model, size):
    e = Engine(model=model, input_size=size, measure_every=0)
    assert e.stems   # these networks share their first rows
    image = _image(2 * size)
    maps, logits = _whole(e, image)
    f = e.forward(image)
    for v in e.variant_names:
        assert f.maps[v].keys() == maps[v].keys()
        for row in maps[v]:
            assert torch.equal(f.maps[v][row], maps[v][row]), (v, row)
        assert torch.equal(f.logits[v], logits[v]), v


def test_a_stem_leaves_the_model_as_it_was_even_when_its_pass_fails():
    e = Engine(input_size=64, measure_every=0)
    model, stem = e.models["avg"], e.stems["avg"]
    before = dict(model.named_modules())
    start = e.forward(_image(64)).maps["max"][stem.row]
    with pytest.raises(RuntimeError, match="inside"), stem.skipping(model, start):
        assert dict(model.named_modules()) != before   # the first conv and relu are stubs
        raise RuntimeError("a failure inside the pass")
    assert dict(model.named_modules()) == before


def test_no_stem_where_the_rest_reads_the_input_again(tmp_path):
    path = tmp_path / "again.py"
    path.write_text(READS_INPUT_AGAIN)
    e = Engine(model=f"{path}:make", input_size=32, measure_every=0)
    assert e.stems == {}
    assert plan(e.network.trace, e.layers, e._groups, e.variant_names) == {}


def test_no_stem_where_a_pool_hands_its_indices_on():
    e = Engine(model="tests/zoo/segnet.py:build", input_size=64, measure_every=0)
    assert e.stems == {}


def test_no_stem_between_variants_whose_maps_all_differ():
    e = Engine(input_size=64, measure_every=0)
    apart = {row: [[v] for v in e.variant_names] for row in e._groups}
    assert plan(e.network.trace, e.layers, apart, e.variant_names) == {}


def test_a_shared_row_costs_in_each_variant_what_it_cost_where_it_ran():
    e = Engine(input_size=64, measure_every=0)
    for _ in range(3):
        e.forward(_image(64))
    assert e.layer_ms["avg"]["features.0"] == e.layer_ms["max"]["features.0"]
    assert e.layer_ms["blur"]["features.0"] == e.layer_ms["max"]["features.0"]
    assert e.layer_ms["avg"]["features.2"] != e.layer_ms["max"]["features.2"]


def test_capturing_fewer_rows_moves_the_cut_and_the_maps_stay_exact():
    e = Engine(input_size=64, measure_every=0)
    e.set_layers(["features.3", "features.5"])   # the shared first row is not captured
    assert e.stems == {}
    e.set_layers(None)
    assert set(e.stems) == {"avg", "blur"}
    image = _image(64)
    maps, _ = _whole(e, image)
    f = e.forward(image)
    assert all(torch.equal(f.maps[v][r], maps[v][r]) for v in maps for r in maps[v])
