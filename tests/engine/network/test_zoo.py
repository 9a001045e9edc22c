"""The zoo (tests/zoo/): small seeded networks written from their papers, one per pattern real
models use. For each: the true sites are found, every variant builds and runs, the plain
variant computes exactly what the model does, and ``info`` and ``export`` work as a user runs
them (``--model tests/zoo/NAME.py:build``)."""

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import main as cli
from engine.errors import ModelError
from engine.network.load import load_network
from engine.network.operators import OPERATORS
from engine.network.usermodel import load_user_model

ZOO = Path(__file__).resolve().parents[2] / "zoo"
VARIANTS = tuple(v for v in OPERATORS if v != "none")  # plain, max, avg, stride, blur, learned
NO_NONE = {"vgg_functional": "head takes only its own input size",  # why `none` is refused
           "lenet5": "head takes only its own input size",
           "segnet": "hands its indices to an unpooling layer"}
SITES = {  # name -> (input size, [(site, kind, stride)])
    "efficientnet_same": (64, [("conv_stem", "conv", 2), ("blocks.1.depthwise", "conv", 2),
                               ("blocks.2.depthwise", "conv", 2),
                               ("blocks.3.depthwise", "conv", 2)]),
    "timm_same": (64, [(f"features.{i}", "conv", 2) for i in (0, 5, 10, 15)]),
    "vgg_functional": (32, [(f"F_max_pool2d_{i}", "pool", 2) for i in range(4)]),
    "segnet": (64, [("pool1", "pool", 2), ("pool2", "pool", 2)]),
    "lenet5": (32, [("s2", "pool", 2), ("s4", "pool", 2)]),
    "inception": (32, [("reduce.conv", "conv", 2), ("reduce.pool", "pool", 2)]),
    "convnext": (64, [("downsample.0.0", "conv", 4), ("downsample.1.1", "conv", 2),
                      ("downsample.2.1", "conv", 2)]),
    "densenet": (64, [("features.0", "conv", 2), ("features.3", "pool", 2),
                      ("features.trans0.3", "pool", 2), ("features.trans1.3", "pool", 2)]),
    "mobilenetv2": (64, [("features.0.0", "conv", 2), ("features.2.conv.1.0", "conv", 2),
                         ("features.4.conv.1.0", "conv", 2), ("features.6.conv.1.0", "conv", 2)]),
    "resnet_proj": (32, [("layer2.0.conv1", "conv", 2), ("layer2.0.shortcut.0", "shortcut", 2),
                         ("layer3.0.conv1", "conv", 2), ("layer3.0.shortcut.0", "shortcut", 2)]),
}


def spec(name: str) -> str:
    return f"{ZOO / name}.py:build"


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.fixture(scope="module", params=sorted(SITES))
def built(request):
    name = request.param
    size, _ = SITES[name]
    return name, size, load_network(spec(name), VARIANTS, input_size=size)


def test_the_true_sites_are_found_and_every_variant_runs(built):
    name, size, net = built
    assert [(s.path, s.kind, s.geometry.stride[0]) for s in net.sites] == SITES[name][1]
    assert net.warnings == []
    _, original = load_user_model(spec(name), (size, size))     # built afresh, same seed
    x = torch.rand(1, net.in_channels, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = _first(original(x))
        outs = {v: _first(net.variants[v].model(x)) for v in VARIANTS}
    assert torch.equal(outs["plain"], want)                     # exactly the model
    for v, out in outs.items():
        assert out.shape == want.shape and torch.isfinite(out).all(), v
    differ = [v for v in ("avg", "stride", "blur") if not torch.equal(outs[v], outs["max"])]
    assert differ == ["avg", "stride", "blur"]                  # the columns really differ


@pytest.mark.parametrize("name", sorted(SITES))
def test_none_runs_at_full_resolution_or_is_refused_in_one_line(name):
    size, sites = SITES[name]
    if name in NO_NONE:
        with pytest.raises(ModelError, match=NO_NONE[name]) as e:
            load_network(spec(name), ("max", "none"), input_size=size)
        assert "\n" not in str(e.value) and str(e.value).startswith("none: ")
        return
    net = load_network(spec(name), ("max", "none"), input_size=size)
    x = torch.rand(1, net.in_channels, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = _first(net.variants["max"].model(x)), _first(net.variants["none"].model(x))
    assert a.shape == b.shape and torch.isfinite(b).all()
    first = {ly.name: ly for ly in net.layers}[sites[0][0]]
    from engine.network.capture import Capture
    with torch.no_grad(), Capture(net.variants["none"].model, [first]) as cap:
        net.variants["none"].model(x)
    assert cap.maps[first.name].shape[-2:] == (size, size)      # the first site keeps it all


def test_info_and_export_work_as_a_user_runs_them(built, tmp_path, capsys):
    name, size, _ = built
    assert cli.main(["info", "--model", spec(name), "--input-size", str(size)]) == 0
    text = capsys.readouterr().out
    for site, _, _ in SITES[name][1]:
        assert f"site {site}:" in text
    assert cli.main(["export", "--source", "pattern:shapes", "--model", spec(name),
                     "--input-size", str(size), "--out", str(tmp_path)]) == 0
    (record,) = tmp_path.rglob("record.json")
    sites = json.loads(record.read_text())["variants"]["blur"]["sites"]
    assert list(sites) == [s for s, _, _ in SITES[name][1]]       # stable names on disk
    assert len(list(record.parent.glob("*/*.png"))) >= 4 * len(SITES[name][1])


def test_a_same_padded_conv_at_stride_1_is_a_stride_1_same_conv():
    net = load_network(spec("efficientnet_same"), ("max",), input_size=64)
    stem = net.variants["max"].model.conv_stem
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        y = stem(x)
        same = F.conv2d(F.pad(x, (1, 1, 1, 1)), stem.weight, None, 1)
    assert y.shape == (1, 16, 64, 64) and torch.allclose(y, same, atol=1e-6)
    assert net.variants["max"].notes["conv_stem"].startswith("conv at stride 1")


def test_functional_ops_are_lifted_where_the_rewrite_needs_them():
    net = load_network(spec("inception"), ("plain", "avg"), input_size=32)
    conv = next(s for s in net.sites if s.path == "reduce.conv")
    assert conv.point.path == "reduce.F_relu_0" and conv.note == ""  # after the functional ReLU
    rows = [ly.name for ly in net.layers]
    assert "reduce.conv" in rows and not any("avg_pool2d" in r for r in rows)  # stride 1: no site
    vgg = load_network(spec("vgg_functional"), ("stride",), input_size=32)
    assert vgg.variants["stride"].notes["F_max_pool2d_0"].startswith(
        "stride folded into convs.0")


def test_every_variant_gives_an_unpooling_layer_its_indices():
    net = load_network(spec("segnet"), ("avg", "stride"), input_size=64)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        _, idx = net.variants["stride"].model.pool1(x[:, :1].expand(1, 16, 64, 64))
        y, avg_idx = net.variants["avg"].model.pool1(x[:, :1].expand(1, 16, 64, 64))
    rows, cols = torch.meshgrid(torch.arange(32) * 2, torch.arange(32) * 2, indexing="ij")
    assert torch.equal(idx[0, 0], rows * 64 + cols)              # stride: the sampled pixel
    want = F.max_pool2d(x[:, :1], 2, 2, return_indices=True)[1][0, 0]
    assert torch.equal(avg_idx[0, 0], want) and y.shape == (1, 16, 32, 32)  # avg: the argmax


def test_blur_at_a_stride_4_stem_is_the_stride_2_blur_cascaded():
    net = load_network(spec("convnext"), ("blur",), input_size=64)
    assert "cascaded to stride 4" in net.variants["blur"].notes["downsample.0.0"]


def test_the_published_efficientnet_port_when_installed(tmp_path):
    pytest.importorskip("efficientnet_pytorch")
    net = load_network(spec("published_efficientnet"), ("plain", "max", "avg", "stride", "blur"),
                       input_size=64)
    assert [s.path for s in net.sites] == ["_conv_stem", "_blocks.1._depthwise_conv",
                                           "_blocks.3._depthwise_conv",
                                           "_blocks.5._depthwise_conv",
                                           "_blocks.11._depthwise_conv"]
    _, original = load_user_model(spec("published_efficientnet"), (64, 64))
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(net.variants["plain"].model(x), original(x))
        for v in ("max", "avg", "stride", "blur"):
            assert torch.isfinite(net.variants[v].model(x)).all()
    args = ["--model", spec("published_efficientnet"), "--input-size", "64"]
    assert cli.main(["info", *args]) == 0
    assert cli.main(["export", "--source", "pattern:shapes", "--out", str(tmp_path), *args]) == 0


def test_the_stride_1_map_a_kept_same_conv_samples_is_a_same_conv_s():
    from engine.measures.site_taps import SiteTap

    for name in ("efficientnet_same", "timm_same"):
        net = load_network(spec(name), ("stride",), input_size=64)
        model = net.variants["stride"].model
        with torch.no_grad(), SiteTap(model, net.sites, net.variants["stride"].changed,
                                      net.trace) as tap:
            model(torch.rand(1, 3, 64, 64))
        for site in net.sites:   # what each kept strided conv samples: SAME at stride 1
            assert tap.maps[site.path].presample.shape[-2:] == site.in_shape[-2:], (name, site)
