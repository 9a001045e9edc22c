"""Published weights through the real torch.hub path, from file:// URLs the tests write."""

import hashlib

import pytest
import torch

from engine.errors import ModelError
from engine.network import hub
from engine.network.load import load_network
from engine.network.nets import build_network


def _publish(tmp_path, state, good=True):
    raw = tmp_path / "raw.pth"
    torch.save(state, raw)
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()
    prefix = digest[:8] if good else ("0" * 8 if digest[:8] != "0" * 8 else "1" * 8)
    served = tmp_path / "served" / f"resnet18-{prefix}.pth"
    served.parent.mkdir(exist_ok=True)
    raw.rename(served)
    return served.as_uri()


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    return tmp_path / "torch_home"


def test_published_weights_load_through_the_hub_and_are_cached(tmp_path, torch_home,
                                                              monkeypatch):
    state = {k: torch.randn_like(t) if t.is_floating_point() else t
             for k, t in build_network("resnet18", seed=5).state_dict().items()}
    url = _publish(tmp_path, state)
    monkeypatch.setitem(hub.PUBLISHED, "resnet18", url)
    net = load_network("resnet18", ["max", "stride"], input_size=64, weights="imagenet")
    assert torch.equal(net.variants["max"].model.conv1.weight, state["conv1.weight"])
    assert net.weights["path"] == url and not net.untrained
    cached = list((torch_home / "hub" / "checkpoints").iterdir())
    assert [p.name for p in cached] == [url.rsplit("/", 1)[1]]
    assert net.labels[0] == "tench"          # ImageNet class names ship in resources/


def test_a_hash_mismatch_is_a_clear_error(tmp_path, torch_home, monkeypatch):
    url = _publish(tmp_path, build_network("resnet18").state_dict(), good=False)
    monkeypatch.setitem(hub.PUBLISHED, "resnet18", url)
    with pytest.raises(ModelError, match="hash mismatch"):
        load_network("resnet18", ["max"], input_size=64, weights="imagenet")
    assert not list((torch_home / "hub" / "checkpoints").glob("*.pth"))


def test_offline_is_a_clear_error(torch_home, monkeypatch):
    monkeypatch.setitem(hub.PUBLISHED, "resnet18", "http://127.0.0.1:9/resnet18-abcdef12.pth")
    with pytest.raises(ModelError, match="download failed .*offline"):
        load_network("resnet18", ["max"], input_size=64, weights="imagenet")


def test_no_published_weights_for_tiny():
    with pytest.raises(ModelError, match="no published ImageNet weights for 'tiny'"):
        load_network("tiny", ["max"], weights="imagenet")
