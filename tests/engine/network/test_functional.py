"""Lifting functional calls, and models that fail: what cannot be lifted is named and the rest
still gets its variants; an error is one line naming the module, its traceback in a log."""

import textwrap

import pytest

from engine.engine import EngineConfig
from engine.errors import ModelError
from engine.network.load import load_network
from engine.session import commands as c
from engine.session.messages import EngineInfo, Failed
from engine.session.session import Session

SHARED = '''
import torch.nn.functional as F
from torch import nn


class Twice(nn.Module):          # one block run twice: its pool call cannot be told apart
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        return F.max_pool2d(F.relu(self.conv(x)), 2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.block = Twice()

    def forward(self, x):
        return self.block(self.block(self.pool(self.stem(x))))


def build():
    return Net()
'''

BROKEN = '''
from torch import nn


class Odd(nn.Module):
    def forward(self, x):
        if x.shape[-1] > 8:
            raise RuntimeError("this block only takes small maps")
        return x


def build():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.MaxPool2d(2), Odd())
'''


def _write(tmp_path, name, text):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    return f"{path}:build"


def test_what_cannot_be_lifted_is_named_and_the_other_sites_keep_their_variants(tmp_path):
    net = load_network(_write(tmp_path, "shared", SHARED), ("max", "avg"), input_size=32)
    assert [s.path for s in net.sites] == ["pool"]
    assert net.variants["avg"].notes["pool"].startswith("replaced by AvgPool")
    assert net.warnings == ["functional max_pool2d #0 in block cannot be rewritten: block runs "
                            "more than once per forward pass",
                            "functional max_pool2d #1 in block cannot be rewritten: block runs "
                            "more than once per forward pass"]


def test_a_failing_model_is_one_line_naming_the_module_and_its_log(tmp_path, monkeypatch):
    monkeypatch.setenv("POOLSCOPE_LOG_DIR", str(tmp_path / "logs"))
    with pytest.raises(ModelError) as e:
        load_network(_write(tmp_path, "broken", BROKEN), ("max",), input_size=32)
    line = str(e.value)
    assert "\n" not in line and "forward pass at 32x32 in 2: RuntimeError: this block only " \
        "takes small maps" in line
    (log,) = (tmp_path / "logs").glob("error-*.log")
    assert f"traceback in {log}" in line
    assert "Traceback (most recent call last)" in log.read_text() and "class Odd" not in line


def test_the_window_keeps_its_model_when_another_fails(tmp_path):
    s = Session(EngineConfig(device="cpu", variants=("max", "blur"), input_size=32),
                "pattern:shapes,fps=1000")
    s.start()
    events = s.handle(c.Rebuild(model=_write(tmp_path, "broken", BROKEN)))
    assert [type(e) for e in events] == [Failed, EngineInfo]
    assert "in 2: RuntimeError" in events[0].message and events[1].model == "tiny"
    assert s.engine.network.spec.name == "tiny" and s.step()[0] is not None
    s.close()


def test_a_model_failing_on_one_frame_is_reported_and_the_source_keeps_running(tmp_path):
    odd = _write(tmp_path, "odd", BROKEN.replace("if x.shape[-1] > 8:", "if self.fail:")
                 .replace("class Odd(nn.Module):", "class Odd(nn.Module):\n    fail = False"))
    s = Session(EngineConfig(model=odd, device="cpu", variants=("max", "avg"), input_size=32),
                "pattern:shapes,fps=1000")
    s.start()
    assert s.step()[0] is not None                         # an ordinary frame: fine
    for model in s.engine.models.values():
        model[2].fail = True                               # now the model fails on a frame
    shown, events = s.step()
    assert shown is None and [type(e) for e in events] == [Failed]
    assert "(max): forward pass in 2: RuntimeError" in events[0].message
    assert s.source is not None                            # the source is not the culprit
    for model in s.engine.models.values():
        model[2].fail = False
    assert s.step()[0] is not None                         # and the next frame shows
    s.close()


STEM = '''
import torch.nn.functional as F
from torch import nn


class Stem(nn.Module):            # ResNet's stem, its max-pool as a function
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 4)

    def forward(s, x):            # not called self: the owner is found all the same
        x = F.max_pool2d(F.relu(s.bn1(s.conv1(x))), 3, 2, 1)
        return s.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def build():
    return Stem()
'''

HIDDEN = '''
import torch
import torch.nn.functional as F
from torch import nn


class Down(nn.Module):            # no children: a layer, its pool inside
    def forward(self, x):
        return F.max_pool2d(x, 2)


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class Pooled(nn.Sequential):      # a Sequential that pools after its children
    def forward(self, x):
        return F.avg_pool2d(super().forward(x), 2)


class Direct(nn.Module):          # its pool's module is run by .forward(), not called
    def __init__(self):
        super().__init__()
        self.inner = Down()

    def forward(self, x):
        return self.inner.forward(x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.down = nn.Conv2d(3, 8, 3, padding=1), Down()
        self.c2, self.halve = nn.Conv2d(8, 8, 3, padding=1), Lambda(lambda t: F.avg_pool2d(t, 2))
        self.block = Pooled(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.direct = Direct()

    def forward(self, x):
        x = self.halve(self.c2(self.down(torch.relu(self.c1(x)))))
        x = F.avg_pool2d(input=self.block(x), kernel_size=2)
        return self.direct(x)


def build():
    return Net()
'''


def test_a_functional_pool_measures_like_a_pool_layer(tmp_path):
    """The taps and captures of the measures call torch functions in hooks: they are no
    module's own calls, so the lifted pool is still the one the model calls."""
    import numpy as np

    from engine.engine import Engine
    from engine.measures.site_taps import SiteTap

    net = load_network(_write(tmp_path, "stem", STEM), ("max", "blur"), input_size=64)
    assert [s.path for s in net.sites] == ["conv1", "F_max_pool2d_0"]
    engine = Engine(network=net, device="cpu", variants=("max", "blur"))
    result = engine.step(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8))
    assert result.views["max"]["F_max_pool2d_0"].shape == (8, 16, 16)
    m = engine.measure()
    assert 0 <= m.get("shift_cosine", "blur", "F_max_pool2d_0") <= 2
    model = net.variants["max"].model
    with __import__("torch").no_grad(), SiteTap(model, net.sites, net.variants["max"].changed,
                                                net.trace) as tap:
        model(engine.last_input.contiguous())
    assert tap.maps["conv1"].entering.shape[-2:] == (64, 64)      # conv1 at stride 1


def test_pools_inside_layers_and_odd_calls_are_lifted_or_named(tmp_path):
    net = load_network(_write(tmp_path, "hidden", HIDDEN), ("max", "avg"), input_size=32)
    assert [s.path for s in net.sites] == ["down.F_max_pool2d_0", "halve.F_avg_pool2d_0",
                                           "F_avg_pool2d_0"]   # input= keyword too
    assert net.warnings == [
        "functional avg_pool2d #0 in block cannot be rewritten: block runs every child in "
        "turn (a Sequential)",
        "functional max_pool2d #0 in direct.inner cannot be rewritten: their calls do not pass "
        "through the module's call (its forward run directly?)"]


def test_a_strided_conv_s_receptive_field_uses_its_own_padding_in_every_variant(tmp_path):
    from engine.network.rows import tensor_at
    from engine.network.trace import trace

    cat = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.s = nn.Conv2d(3, 8, 3, 2, 1)
        self.head = nn.Conv2d(16, 8, 3, padding=1)

    def forward(self, x):
        y = self.s(x)
        return self.head(torch.cat([y, y], 1))


def build():
    return Net()
'''
    net = load_network(_write(tmp_path, "cat", cat), ("max",), input_size=32)
    model = net.variants["max"].model
    tr = trace(model, net.probe())
    row = next(ly for ly in net.layers if ly.name == "s")
    conv = next(n for n in tr.nodes if n.path == "s")
    assert conv.own_shape[-2:] == (32, 32) and conv.out_shape[-2:] == (16, 16)
    assert tr.rf[conv.output].start == 0.0                        # its declared padding, 1
    assert tr.rf[tensor_at(tr, row.point)[0]].size == 4           # 3x3/1, then max 2x2/2


def test_a_failure_on_every_frame_is_logged_once(tmp_path, monkeypatch):
    from engine.network.failures import failure

    monkeypatch.setenv("POOLSCOPE_LOG_DIR", str(tmp_path / "logs"))
    lines = []
    for _ in range(3):
        try:
            raise RuntimeError("the same each frame")
        except RuntimeError as e:
            lines.append(str(failure(e, None, "net (max): forward pass")))
    assert len(set(lines)) == 1 and len(list((tmp_path / "logs").iterdir())) == 1
