"""The one rewrite mechanism: what each operator becomes at each kind of downsampling site."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import ModelError
from engine.network.capture import Capture
from engine.network.downsamplers import BlurPool, DenseMax, SiteOp
from engine.network.load import analyse, load_network
from engine.network.nets import NetworkSpec
from engine.network.rewrite import OP_CHILD, make_variant

ATOL = 1e-5
ALL = ["plain", "max", "avg", "stride", "blur"]


def _maps(net, name, x):
    v = net.variants[name].model
    with torch.inference_mode(), Capture(v, net.layers) as cap:
        v(x)
    return cap.maps


@pytest.fixture(scope="module")
def tiny():
    return load_network("tiny", ALL, input_size=64)


@pytest.fixture(scope="module")
def resnet():
    return load_network("resnet18", ALL, input_size=64)


@pytest.mark.parametrize("model,size", [("tiny", 64), ("allcnn-c", 32), ("vgg16", 64),
                                        ("resnet18", 64)])
def test_every_site_row_has_the_plain_shape_in_every_variant(model, size):
    net = load_network(model, ALL, input_size=size)
    x = torch.randn(1, 3, size, size)
    plain = _maps(net, "plain", x)
    for name in ALL:
        maps = _maps(net, name, x)
        for layer in net.layers:
            assert tuple(plain[layer.name].shape) == layer.shape
            if "site" in layer.kind or layer.kind == "block":
                assert maps[layer.name].shape == plain[layer.name].shape, (name, layer.name)


def test_variants_share_the_very_same_weight_tensors(resnet):
    plain = dict(resnet.plain.named_parameters())
    for v in resnet.variants.values():
        for key, p in v.model.named_parameters():
            if OP_CHILD not in key:
                assert p.data_ptr() == plain[key].data_ptr(), key


def test_state_dict_keys_are_kept(resnet):
    keys = set(resnet.plain.state_dict())
    for v in resnet.variants.values():
        assert set(v.model.state_dict()) == keys


def test_pool_site_under_each_operator(tiny):
    """tiny's features.2 is MaxPool2d(2) after conv features.0 + ReLU."""
    mods = {n: dict(v.model.named_modules()) for n, v in tiny.variants.items()}
    assert isinstance(mods["max"]["features.2"], nn.MaxPool2d)          # kept
    avg = mods["avg"]["features.2"]
    assert isinstance(avg, SiteOp) and isinstance(avg[0], nn.AvgPool2d)
    assert avg[0].kernel_size == (2, 2) and avg[0].stride == (2, 2)
    assert isinstance(mods["stride"]["features.2"], nn.Identity)        # folded
    assert mods["stride"]["features.0"].stride == (2, 2)
    assert mods["plain"]["features.0"].stride == (1, 1)
    blur = mods["blur"]["features.2"]
    assert isinstance(blur[0], DenseMax) and blur[0].kernel == (2, 2)
    assert isinstance(blur[1], BlurPool) and blur[1].size == 4 and blur[1].stride == (2, 2)
    assert "folded into features.0" in tiny.variants["stride"].notes["features.2"]


def test_pool_site_values(tiny):
    torch.manual_seed(0)
    x = torch.randn(1, 3, 64, 64)
    pre = _maps(tiny, "plain", x)["features.0"][None]   # conv + ReLU at full resolution
    expect = {
        "max": F.max_pool2d(pre, 2),
        "avg": F.avg_pool2d(pre, 2),
        "stride": pre[..., ::2, ::2],
        "blur": BlurPool(4, 2)(F.max_pool2d(pre, 2, 1)),
    }
    for name, e in expect.items():
        got = _maps(tiny, name, x)["features.2"][None]
        assert torch.allclose(got, e, atol=ATOL), name


def test_kept_pool_geometry_3x3_stride_2():
    net = load_network("allcnn-c", ALL)
    site = net.sites[0]
    assert site.geometry.kernel == (3, 3) and site.geometry.stride == (2, 2)
    avg = dict(net.variants["avg"].model.named_modules())[site.path][0]
    assert avg.kernel_size == (3, 3) and avg.stride == (2, 2) and avg.padding == (1, 1)
    blur = dict(net.variants["blur"].model.named_modules())[site.path]
    assert blur[0].kernel == (3, 3) and blur[1].stride == (2, 2)


def test_strided_conv_site_runs_at_stride_1_with_op_after_bn_relu(resnet):
    """ResNet layer2.0.conv1 (3x3/2) -> bn1 -> relu: the op goes after the ReLU."""
    torch.manual_seed(0)
    x = torch.randn(1, 3, 64, 64)
    site = next(s for s in resnet.sites if s.path == "layer2.0.conv1")
    assert site.kind == "conv" and site.chain == ("layer2.0.bn1", "layer2.0.relu")
    m = dict(resnet.plain.named_modules())
    ops = {"max": lambda t: F.max_pool2d(t, 2, ceil_mode=True), "avg": lambda t: F.avg_pool2d(t, 2),
           "blur": BlurPool(4, 2), "stride": lambda t: t[..., ::2, ::2]}
    for name, op in ops.items():
        maps = _maps(resnet, name, x)
        with torch.inference_mode():
            y = F.conv2d(maps["layer1.1"][None], m["layer2.0.conv1"].weight, None, 1, 1)
            e = op(torch.relu(m["layer2.0.bn1"](y)))
        got = maps["layer2.0.conv1"][None]
        assert torch.allclose(got, e, atol=1e-4), name
        conv = dict(resnet.variants[name].model.named_modules())["layer2.0.conv1"]
        assert conv.stride == ((2, 2) if name == "stride" else (1, 1))


def test_1x1_shortcut_gets_the_op_before_the_conv(resnet):
    """ResNet-D style: downsampling op, then the 1x1 conv at stride 1, then its BN."""
    torch.manual_seed(0)
    x = torch.randn(1, 3, 64, 64)
    site = next(s for s in resnet.sites if s.path == "layer2.0.downsample.0")
    assert site.kind == "shortcut"
    m = dict(resnet.plain.named_modules())
    conv, bn = m["layer2.0.downsample.0"], m["layer2.0.downsample.1"]
    ops = {"max": lambda t: F.max_pool2d(t, 2, ceil_mode=True), "avg": lambda t: F.avg_pool2d(t, 2),
           "blur": BlurPool(4, 2), "stride": lambda t: t[..., ::2, ::2]}
    for name, op in ops.items():
        maps = _maps(resnet, name, x)
        with torch.inference_mode():
            e = bn(F.conv2d(op(maps["layer1.1"][None]), conv.weight))
        got = maps["layer2.0.downsample.0"][None]
        assert torch.allclose(got, e, atol=1e-4), name
        assert "before the 1x1 conv" in resnet.variants[name].notes[site.path] or name == "stride"


def test_stride_does_not_fold_into_a_conv_that_is_itself_a_site(resnet):
    """ResNet's stem conv is 7x7/2: folding the max-pool into it would halve the stem's row."""
    mods = dict(resnet.variants["stride"].model.named_modules())
    assert mods["conv1"].stride == (2, 2)
    assert isinstance(mods["maxpool"], SiteOp)
    assert "subsampled" in resnet.variants["stride"].notes["maxpool"]


class MyConv(nn.Conv2d):
    """A user's own conv subclass: matched as a conv, not by our classes."""


class UserNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = MyConv(1, 4, 3, stride=[2, 2], padding=1)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.b = nn.Conv2d(4, 8, 3, padding=1)

    def forward(self, x):
        x = self.pool(self.act(self.a(x)))
        return self.pool(F.relu(self.b(x)))   # the same pool module used twice


def test_rewrite_handles_a_user_model_with_subclass_list_stride_and_reused_pool():
    spec = NetworkSpec("user", UserNet, (32, 32), (0.5,), (0.5,), 0, "test")
    net = analyse(spec, UserNet(), ALL, (32, 32))
    kinds = {(s.path, s.kind) for s in net.sites}
    assert ("a", "conv") in kinds and ("pool", "pool") in kinds
    names = [ly.name for ly in net.layers]
    assert "pool" in names and "pool#2" in names
    x = torch.randn(1, 1, 32, 32)
    for name in ALL:
        maps = _maps(net, name, x)
        assert maps["pool#2"].shape == (8, 4, 4), name


def test_capture_removes_its_hooks(tiny):
    model = tiny.variants["blur"].model
    before = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
    with pytest.raises(RuntimeError), Capture(model, tiny.layers):
        model(torch.randn(1, 5, 64, 64))  # wrong channel count: the forward fails
    after = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
    assert after == before


def test_unknown_or_repeated_variant_is_a_model_error():
    with pytest.raises(ModelError, match="unknown variant 'maxx'"):
        load_network("tiny", ["maxx"])
    with pytest.raises(ModelError, match="twice"):
        load_network("tiny", ["max", "max"])
    with pytest.raises(ModelError, match="unknown model"):
        load_network("alexnet")


def test_make_variant_leaves_the_plain_network_untouched(tiny):
    before = {n: (getattr(m, "stride", None), type(m)) for n, m in tiny.plain.named_modules()}
    make_variant(tiny.plain, tiny.sites, "stride")
    after = {n: (getattr(m, "stride", None), type(m)) for n, m in tiny.plain.named_modules()}
    assert before == after


def test_learned_operator_starts_as_a_box_filter_per_channel():
    """All-CNN's learned 3x3/2 conv; untrained it averages 3x3 windows, channel by channel."""
    net = load_network("tiny", ["plain", "learned"], input_size=64)
    x = torch.randn(1, 3, 64, 64)
    pre = _maps(net, "plain", x)["features.0"][None]
    got = _maps(net, "learned", x)["features.2"][None]
    expect = F.avg_pool2d(pre, 3, 2, 1, count_include_pad=True)
    assert torch.allclose(got, expect, atol=ATOL)
    convs = [m for n, m in net.variants["learned"].model.named_modules()
             if isinstance(m, nn.Conv2d) and n.startswith("features") and m.kernel_size == (3, 3)
             and m.in_channels == m.out_channels and m.stride == (2, 2)]
    assert len(convs) == 4 and convs[0].weight.shape == (16, 16, 3, 3)
    plain_params = sum(p.numel() for p in net.plain.parameters())
    learned_params = sum(p.numel() for p in net.variants["learned"].model.parameters())
    assert learned_params - plain_params == sum(c * c * 9 + c for c in (16, 32, 64, 128))


def test_learned_operator_at_resnet_strided_conv_and_shortcut_sites():
    net = load_network("resnet18", ["plain", "learned"], input_size=64)
    x = torch.randn(1, 3, 64, 64)
    plain, learned = _maps(net, "plain", x), _maps(net, "learned", x)
    for layer in net.layers:
        if "site" in layer.kind or layer.kind == "block":
            assert learned[layer.name].shape == plain[layer.name].shape, layer.name
    assert "Conv(3x3, stride 2, learned)" in net.variants["learned"].notes["layer2.0.conv1"]
