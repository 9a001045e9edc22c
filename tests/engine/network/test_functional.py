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
