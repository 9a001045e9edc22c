"""Synthetic data and separate training of each variant: learns, saves, resumes, reloads."""

import numpy as np
import pytest
import torch

from engine.network.checkpoint import read_checkpoint
from engine.network.load import load_network
from engine.train.dataset import CLASSES, SyntheticShapes, render_sample
from engine.train.train import train_variants


def test_synthetic_samples_are_seeded_and_varied():
    a, la = render_sample(7, 48, seed=1)
    b, lb = render_sample(7, 48, seed=1)
    c, _ = render_sample(7, 48, seed=2)
    assert a.shape == (48, 48, 3) and a.dtype == np.uint8
    assert (a == b).all() and la == lb == 7 % len(CLASSES)
    assert not (a == c).all()
    ds = SyntheticShapes(12, 32)
    x, y = ds[3]
    assert x.shape == (3, 32, 32) and y == 3 and abs(float(x.mean())) < 1


def _quiet(*args, **kwargs):
    pass


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt")
    results = train_variants("tiny", ["max", "learned"], out, epochs=1, input_size=32,
                             train_size=384, test_size=96, batch=32, lr=3e-3, log=_quiet)
    return out, results


def test_training_writes_checkpoints_with_metadata(trained):
    out, results = trained
    assert [r.variant for r in results] == ["max", "learned"]
    state, meta = read_checkpoint(out / "tiny-learned.pt")
    assert meta["architecture"] == "tiny" and meta["variant"] == "learned"
    assert meta["epochs"] == 1 and meta["classes"] == list(CLASSES)
    assert meta["input_size"] == [32, 32] and 0 <= meta["accuracy"] <= 1
    r = results[1]
    assert r.params > results[0].params          # the learned convs add parameters
    assert 0 <= r.consistency <= 1 and r.macs > 0


def test_training_lowers_the_loss_and_resumes(trained):
    out, _ = trained
    _, first = read_checkpoint(out / "tiny-max.pt")
    train_variants("tiny", ["max"], out, epochs=3, input_size=32, train_size=384,
                   test_size=96, batch=32, lr=3e-3, log=_quiet)
    _, later = read_checkpoint(out / "tiny-max.pt")
    assert later["epochs"] == 3
    assert later["loss"] < first["loss"]


def test_a_checkpoint_loads_back_identically(trained):
    out, _ = trained
    state, meta = read_checkpoint(out / "tiny-max.pt")
    net = load_network("tiny", ["max"], input_size=32, num_classes=len(meta["classes"]))
    model = net.variants["max"].model
    model.load_state_dict(state)
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k])


def test_trained_separately_gives_each_variant_its_own_checkpoint(trained):
    from engine.engine import Engine
    from engine.errors import ModelError
    from engine.output.export import frame_record

    out, _ = trained
    net = load_network("tiny", ["max", "learned"], trained=str(out))
    assert not net.untrained and net.input_size == (32, 32) and net.labels == list(CLASSES)
    for v in ("max", "learned"):
        state, _ = read_checkpoint(out / f"tiny-{v}.pt")
        for k, t in net.variants[v].model.state_dict().items():
            assert torch.equal(t, state[k]), (v, k)
    w_max = net.variants["max"].model.features[0].weight
    assert w_max.data_ptr() != net.variants["learned"].model.features[0].weight.data_ptr()
    e = Engine(network=net, device="cpu")
    r = e.step(np.zeros((40, 40, 3), np.uint8))
    assert r.predictions["max"][0].label in CLASSES
    record = frame_record(e, r, "test")
    assert record["weights"]["kind"] == "trained separately"
    assert set(record["weights"]["variants"]) == {"max", "learned"}
    with pytest.raises(ModelError, match="no trained checkpoint for tiny variant blur"):
        load_network("tiny", ["max", "blur"], trained=str(out))


def test_training_on_a_folder_of_class_subfolders(tmp_path):
    import cv2

    root = tmp_path / "images"
    for cls, k in (("circles", 0), ("squares", 1)):
        (root / cls).mkdir(parents=True)
        for i in range(15):
            img, _ = render_sample(6 * i + k, 40)
            cv2.imwrite(str(root / cls / f"{i}.png"), img[:, :, ::-1])
    (root / "circles" / "notes.txt").write_text("not an image")
    results = train_variants("tiny", ["stride"], tmp_path / "ck", epochs=1, dataset=str(root),
                             input_size=32, batch=8, log=_quiet)
    _, meta = read_checkpoint(tmp_path / "ck" / "tiny-stride.pt")
    assert meta["classes"] == ["circles", "squares"] and meta["dataset"] == str(root)
    assert 0 <= results[0].accuracy <= 1 and 0 <= results[0].consistency <= 1


def test_a_folder_without_classes_is_a_clear_error(tmp_path):
    from engine.errors import SourceError

    (tmp_path / "flat").mkdir()
    with pytest.raises(SourceError, match="at least two class sub-folders"):
        train_variants("tiny", ["max"], tmp_path / "ck", dataset=str(tmp_path / "flat"),
                       log=_quiet)
