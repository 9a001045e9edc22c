"""``info`` against science.md sections 3-4 and torchvision's own numbers (exact)."""

import json
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from engine.network.info import network_info
from engine.network.load import load_network
from engine.network.nets import build_network
from engine.output.info_table import format_info

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "torchvision_reference.json").read_text())


def _rows(info, variant):
    return {r["name"]: r for r in info["variants"][variant]["layers"]}


@pytest.fixture(scope="module")
def vgg():
    return network_info(load_network("vgg16", ["plain", "max", "stride", "blur"]))


@pytest.fixture(scope="module")
def resnet():
    return network_info(load_network("resnet18", ["plain", "max", "stride", "blur"]))


def test_vgg16_pool5_receptive_field_jump_and_padding(vgg):
    for variant in ("plain", "max"):
        pool5 = _rows(vgg, variant)["features.30"]
        assert (pool5["rf"], pool5["jump"], pool5["padding"]) == (212, 32, 90)


def test_total_macs_of_each_networks_own_form(vgg, resnet):
    assert vgg["variants"]["max"]["total_macs"] == 15_470_264_320
    assert vgg["variants"]["plain"]["total_macs"] == 15_470_264_320
    assert resnet["variants"]["stride"]["total_macs"] == 1_814_073_344
    assert resnet["variants"]["plain"]["total_macs"] == 1_814_073_344
    assert REFERENCE["vgg16"]["total_macs"] == 15_470_264_320
    assert REFERENCE["resnet18"]["total_macs"] == 1_814_073_344


def test_resnet18_stem_macs_at_stride_2_and_stride_1(resnet):
    assert _rows(resnet, "plain")["conv1"]["macs"] == 118_013_952
    assert _rows(resnet, "max")["conv1"]["macs"] == 472_055_808  # the stem at stride 1


def test_resnet18_receptive_field_of_the_torchvision_layout(resnet):
    last = _rows(resnet, "plain")["layer4.1"]
    assert (last["rf"], last["jump"]) == (435, 32)


def test_per_stage_receptive_fields_of_pooling_and_striding():
    """3 stages of conv3 + downsample: conv+max2 4/2, 10/4, 22/8; strided conv3 3/2, 7/4, 15/8."""
    info = network_info(load_network("tiny", ["max", "stride"], input_size=64))
    sites = ["features.2", "features.5", "features.8"]
    assert [(_rows(info, "max")[s]["rf"], _rows(info, "max")[s]["jump"]) for s in sites] == \
        [(4, 2), (10, 4), (22, 8)]
    assert [(_rows(info, "stride")[s]["rf"], _rows(info, "stride")[s]["jump"]) for s in sites] == \
        [(3, 2), (7, 4), (15, 8)]


def test_allcnn_c_reaches_27_and_its_strided_form_21():
    info = network_info(load_network("allcnn-c", ["max", "stride"]))
    assert _rows(info, "max")["features.16"]["rf"] == 27
    assert _rows(info, "stride")["features.16"]["rf"] == 21


def test_stride_variant_shows_the_4x_saving_of_the_folded_conv():
    info = network_info(load_network("tiny", ["max", "stride"]))
    rows_max, rows_stride = _rows(info, "max"), _rows(info, "stride")
    assert rows_max["features.0"]["macs"] == 4 * rows_stride["features.0"]["macs"]


@pytest.mark.parametrize("model,size", [("tiny", 224), ("allcnn-c", 32), ("resnet18", 96)])
def test_macs_agree_with_torch_flop_counter(model, size):
    net = load_network(model, ["plain", "max", "avg", "stride", "blur"], input_size=size)
    info = network_info(net)
    for name, v in net.variants.items():
        with torch.inference_mode(), FlopCounterMode(display=False) as fc:
            v.model(torch.zeros(1, 3, size, size))
        assert info["variants"][name]["total_macs"] == fc.get_total_flops() // 2, name


def test_info_json_shape_and_table(vgg):
    assert vgg["model"] == "vgg16" and vgg["input_size"] == [224, 224]
    row = vgg["variants"]["max"]["layers"][0]
    assert set(row) >= {"name", "shape", "params", "macs", "rf", "jump"}
    assert row["shape"] == [64, 224, 224]
    assert len(vgg["variants"]["max"]["layers"]) == 18  # 13 convs + 5 pools
    assert vgg["variants"]["max"]["total_params"] == 138_357_544
    text = format_info(vgg)
    assert "features.30" in text and "15,470,264,320" in text


def _fixture_state(name):
    rows = []
    for line in (FIXTURES / f"{name}_state_dict.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _, shape = line.partition("\t")
        rows.append((key, tuple(int(s) for s in shape.split(",")) if shape else ()))
    return rows


@pytest.mark.parametrize("name", ["vgg16", "resnet18"])
def test_state_dict_keys_and_shapes_are_torchvisions(name):
    ours = [(k, tuple(t.shape)) for k, t in build_network(name).state_dict().items()]
    assert ours == _fixture_state(name)
    # so a published checkpoint (same keys and shapes) loads strictly
    fake = {k: torch.zeros(s) if s else torch.tensor(0) for k, s in _fixture_state(name)}
    build_network(name).load_state_dict(fake, strict=True)


def test_weight_urls_are_torchvisions():
    weights = json.loads((FIXTURES / "torchvision_weights.json").read_text())
    assert weights["vgg16"]["url"] == "https://download.pytorch.org/models/vgg16-397923af.pth"
    assert weights["resnet18"]["url"] == "https://download.pytorch.org/models/resnet18-f37072fd.pth"


@pytest.mark.parametrize("name", ["vgg16", "resnet18"])
def test_leaf_output_shapes_match_torchvision(name):
    net = load_network(name, ["plain"])
    shapes = {n.path: list(n.out_shape) for n in net.trace.nodes if n.path and n.leaf}
    for path, shape in REFERENCE[name]["leaf_output_shapes"].items():
        assert shapes[path] == shape, path
