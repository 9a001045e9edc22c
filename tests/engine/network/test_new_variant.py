"""A variant that brings a module of its own is one module class, one operator class and one
registry line: nothing else in the engine learns about it, yet the trace, the receptive fields,
the cost, the descriptions, the site taps, the measures and the circular option all work."""

import pytest
import torch
import torch.nn.functional as F

from engine.engine import Engine
from engine.measures.site_taps import SiteTap
from engine.network.capture import Capture
from engine.network.downsamplers import Downsampler
from engine.network.info import network_info
from engine.network.load import load_network
from engine.network.module_facts import dense, macs, rf_geometry, short
from engine.network.operators import OPERATORS, Operator, register
from engine.network.places import pair


class L2Pool(Downsampler):
    """Root-mean-square pooling: sqrt(mean of x^2 over each k x k window), at ``stride``."""

    def __init__(self, kernel, stride):
        super().__init__()
        self.kernel, self.stride = pair(kernel), pair(stride)

    def forward(self, x):
        return F.avg_pool2d(x * x, self.kernel, self.stride).sqrt()

    def rf_geometry(self):
        return self.kernel[0], self.stride[0], 0

    def dense(self, x):
        return F.avg_pool2d(x * x, self.kernel, 1).sqrt()

    def macs(self, out):
        return out[0].numel() * self.kernel[0] * self.kernel[1]

    def short(self):
        return f"L2Pool({self.kernel[0]}x{self.kernel[1]}, stride {self.stride[0]})"


class L2(Operator):
    name, label = "l2test", "L2 pool (a test's own variant)"

    def pool(self, site):
        return [L2Pool(site.geometry.kernel, site.geometry.stride)]

    def conv(self, site):
        return [L2Pool(site.geometry.stride, site.geometry.stride)]

    shortcut = conv


@pytest.fixture
def l2():
    register(L2)  # the one registry line
    yield L2
    OPERATORS.pop(L2.name)


def test_the_new_module_answers_what_the_analysis_asks(l2):
    m = L2Pool(2, 2)
    assert rf_geometry(m) == (2, 2, 0)
    assert short(m) == "L2Pool(2x2, stride 2)"
    x = torch.rand(1, 3, 8, 8)
    assert torch.allclose(dense(m, x)[..., ::2, ::2], m(x))
    assert macs(m, m(x)) == 3 * 4 * 4 * 4


def test_a_network_built_with_it_is_described_costed_and_measured(l2):
    net = load_network("tiny", ("max", "l2test"), input_size=64)
    sites = [s.path for s in net.sites]
    assert len(sites) == 4
    assert all(net.variants["l2test"].notes[s] == "replaced by L2Pool(2x2, stride 2)"
               for s in sites)

    info = network_info(net)
    rows = {v: {r["name"]: r for r in d["layers"]} for v, d in info["variants"].items()}
    for s in sites:  # its geometry is max-pool's: the same receptive fields and jumps
        assert (rows["l2test"][s]["rf"], rows["l2test"][s]["jump"]) == \
            (rows["max"][s]["rf"], rows["max"][s]["jump"])
    pooled = sum(4 * s.out_shape[0] * s.out_shape[1] * s.out_shape[2] for s in net.sites)
    extra = info["variants"]["l2test"]["total_macs"] - info["variants"]["max"]["total_macs"]
    assert extra == pooled  # its declared MACs, counted by the trace

    model = net.variants["l2test"].model
    x = torch.rand(1, 3, 64, 64)
    with torch.inference_mode(), SiteTap(model, net.sites, net.variants["l2test"].changed,
                                         net.trace) as tap:
        model(x)
    first = tap.maps[sites[0]]  # the site tap samples its dense form
    assert torch.allclose(first.presample, F.avg_pool2d(first.entering[None] ** 2, 2, 1)
                          .sqrt()[0], atol=1e-6)

    engine = Engine(network=net, device="cpu", variants=("max", "l2test"))
    result = engine.step(torch.randint(0, 255, (64, 64, 3), dtype=torch.uint8).numpy())
    assert set(result.variants) == {"max", "l2test"}
    m = engine.measure(("shift",))
    for s in sites:
        assert 0.0 <= m.get("polyphase_dispersion", "l2test", s) <= 1.0
        assert 0.0 <= m.get("alias_fraction", "l2test", s) <= 1.0


def test_the_circular_option_takes_it_as_it_is(l2):
    net = load_network("tiny", ("l2test",), input_size=32, circular=True)
    model = net.variants["l2test"].model
    first = next(ly for ly in net.layers if ly.name == net.sites[0].path)  # jump 2
    x = torch.rand(1, 3, 32, 32)
    with torch.inference_mode():
        with Capture(model, [first]) as cap:
            model(x)
        base = cap.maps[first.name]
        with Capture(model, [first]) as cap:
            model(torch.roll(x, (2, 2), (-2, -1)))
    # circularly padded convs around it: exactly equivariant at a multiple of the jump
    assert torch.allclose(cap.maps[first.name], torch.roll(base, (1, 1), (-2, -1)), atol=1e-5)
