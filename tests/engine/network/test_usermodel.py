"""The user's own model and weights files: loaded, rewritten into every variant, and safe."""

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.engine import Engine
from engine.errors import ModelError
from engine.network.checkpoint import read_checkpoint
from engine.network.load import load_network

ROOT = Path(__file__).resolve().parents[3]
ALL = ["plain", "max", "avg", "stride", "blur"]

DIGITS = '''
import torch
from torch import nn


class Digits(nn.Module):
    """A 28x28 grey digit classifier: two conv + max-pool stages, the pool used twice."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc(x.flatten(1))


def make():
    torch.manual_seed(3)
    return Digits()


def not_a_model():
    return 42


def no_sites():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))


def not_a_cnn():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
'''


@pytest.fixture(scope="module")
def digits_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("user") / "digits.py"
    path.write_text(DIGITS)
    return path


def test_user_model_is_rewritten_into_every_variant_with_identical_weights(digits_file):
    net = load_network(f"{digits_file}:make", ALL, input_size=28)
    assert net.in_channels == 1 and net.input_size == (28, 28)
    assert {s.path for s in net.sites} == {"pool"}
    assert [ly.name for ly in net.layers][-1] == "pool#2"
    w = net.plain.conv1.weight
    for v in net.variants.values():
        assert v.model.conv1.weight.data_ptr() == w.data_ptr()
    e = Engine(network=net, device="cpu")
    r = e.step(np.full((100, 80, 3), 200, np.uint8))        # colour frames become grey
    assert r.input_image.shape == (28, 28)
    assert r.views["blur"]["pool#2"].shape == (16, 7, 7)
    assert len(r.predictions["max"]) == 5


def test_weights_file_loads_into_every_variant(digits_file, tmp_path):
    net = load_network(f"{digits_file}:make", ["max"], input_size=28)
    state = {k: torch.randn_like(t) for k, t in net.plain.state_dict().items()}
    path = tmp_path / "w.pt"
    torch.save({"state_dict": state, "epochs": 3}, path)
    loaded = load_network(f"{digits_file}:make", ["max", "blur"], input_size=28,
                          weights=str(path))
    assert not loaded.untrained and loaded.weights["meta"] == {"epochs": 3}
    for v in loaded.variants.values():
        assert torch.equal(v.model.conv2.weight, state["conv2.weight"])


def test_builtin_network_takes_a_weights_file(tmp_path):
    plain = load_network("tiny", ["max"]).plain
    state = {k: t + 1 for k, t in plain.state_dict().items()}
    torch.save(state, tmp_path / "tiny.pt")
    net = load_network("tiny", ["max", "stride"], weights=str(tmp_path / "tiny.pt"))
    assert torch.equal(net.variants["stride"].model.fc.bias, state["fc.bias"])


class Evil:
    def __reduce__(self):
        return (print, ("this ran while unpickling",))


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {"w": torch.zeros(1)}, "payload": Evil()}, path)
    with pytest.raises(ModelError, match="refused"):
        read_checkpoint(path)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ModelError) as e:
        read_checkpoint(raw)
    assert "raw.pkl" in str(e.value)


def test_wrong_and_broken_weights_are_clear_errors(tmp_path, digits_file):
    torch.save({"conv9.weight": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ModelError, match="does not fit this model .*missing: conv1.weight"):
        load_network(f"{digits_file}:make", ["max"], input_size=28,
                     weights=str(tmp_path / "other.pt"))
    (tmp_path / "junk.pt").write_bytes(b"\x00" * 100)
    with pytest.raises(ModelError, match="not a PyTorch weights file"):
        load_network("tiny", ["max"], weights=str(tmp_path / "junk.pt"))
    with pytest.raises(ModelError, match="no such file"):
        load_network("tiny", ["max"], weights=str(tmp_path / "none.pt"))


@pytest.mark.parametrize("spec,needle", [
    ("{d}:nope", "has no function 'nope'"),
    ("{d}:not_a_model", "not a torch nn.Module"),
    ("{d}:no_sites", "no downsampling sites"),
    ("{d}:not_a_cnn", "no Conv2d layer"),
    ("missing_dir/model.py:make", "no such file"),
    ("no_such_package.models:make", "cannot import"),
])
def test_bad_user_models_are_one_line_errors(digits_file, spec, needle):
    with pytest.raises(ModelError, match=needle):
        load_network(spec.format(d=digits_file), ["max"], input_size=28)


def test_package_module_form(tmp_path, monkeypatch):
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "nets.py").write_text(DIGITS)
    monkeypatch.syspath_prepend(str(tmp_path))
    net = load_network("mypkg.nets:make", ["max", "avg"], input_size=28)
    assert net.spec.name == "mypkg.nets:make"


def test_cli_export_with_a_user_model(digits_file, tmp_path, rgb_png):
    p = subprocess.run([sys.executable, "main.py", "export", "--source", str(rgb_png), "--out",
                        str(tmp_path / "out"), "--model", f"{digits_file}:make",
                        "--input-size", "28", "--mean", "0.1307", "--std", "0.3081"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    (folder,) = (tmp_path / "out").iterdir()
    assert (folder / "frame_0000" / "blur" / "pool#2.png").is_file()
