"""The ``none`` variant: no downsampling anywhere, so its rows keep full resolution; and every
consumer of the old rule that all variants' rows have one size, each checked."""

import json

import numpy as np
import pytest
import torch

from engine.display.sheet import shape_lines
from engine.engine import Engine, EngineConfig
from engine.errors import ModelError
from engine.measures import probes
from engine.network.cost_estimate import none_macs
from engine.network.load import load_network
from engine.output.export import export_frame, new_export_dir
from engine.output.records import format_summary, summarise

SHIPPED = "resources/checkpoints/tiny-max.pt"


@pytest.fixture(scope="module")
def engine():
    e = Engine(EngineConfig(device="cpu", variants=("max", "stride", "none"), weights=SHIPPED))
    rng = np.random.default_rng(0)
    e.step((rng.random((64, 64, 3)) * 255).astype(np.uint8))
    return e


def test_none_keeps_full_resolution_and_its_receptive_field_grows_by_two_per_conv(engine):
    net = engine.network
    for ly in net.layers:
        c, h, w = engine.last_maps["none"][ly.name].shape
        assert (h, w) == (64, 64), ly.name
    rf = engine.meter.rf("none")
    convs = 0
    for ly in net.layers:                 # tiny: conv3x3, then a pool site, four times
        convs += ly.kind == "conv"
        assert (rf[ly.name].size, rf[ly.name].jump) == (1 + 2 * convs, 1), ly.name
    assert all(note.startswith("removed") for note in net.variants["none"].notes.values())


def test_resnet18_at_64_px_runs_without_downsampling():
    net = load_network("resnet18", ("max", "none"), 64)
    with torch.inference_mode():
        out = net.variants["none"].model(torch.zeros(1, 3, 64, 64))
    assert out.shape == (1, 1000)
    assert "1x1 conv at stride 1 (no downsampling)" in net.variants["none"].notes.values()


def test_none_is_refused_above_the_cost_cap_and_without_a_global_pool(tmp_path):
    with pytest.raises(ModelError, match=r"about 738 GMAC per image at 224x224") as e:
        load_network("vgg16", ("max", "none"), 224)
    assert "\n" not in str(e.value)
    fixed = tmp_path / "fixed.py"
    fixed.write_text("from torch import nn\n\n\ndef build():\n    return nn.Sequential("
                     "nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), "
                     "nn.Linear(4 * 16 * 16, 3))\n")
    with pytest.raises(ModelError, match="head takes only its own input size"):
        load_network(f"{fixed}:build", ("max", "none"), 32)
    net = load_network(f"{fixed}:build", ("max",), 32)       # without none it is fine
    assert none_macs(net.trace) == 4 * 27 * 32 * 32 + 1024 * 3  # the conv is before any stride


def test_the_site_measures_say_no_site_for_none_not_zero(engine):
    m = engine.measure()
    for metric in ("polyphase_dispersion", "alias_fraction"):
        assert "none" not in m.values[metric]
        assert set(m.values[metric]["max"]) == {s.path for s in engine.network.sites}
    assert m.values["shift_cosine"]["none"]["features.11"] >= 0.0  # row measures still there
    text = format_summary(summarise(m.rows()), engine.variant_names,
                          [ly.name for ly in engine.layers])
    block = text.split("polyphase_dispersion")[1].split("\n\n")[0]
    assert block.count("no site") == len(engine.network.sites)


def test_a_unit_maps_to_another_variant_through_its_input_position(engine):
    ra, rn = engine.meter.rf("max")["features.2"], engine.meter.rf("none")["features.2"]
    assert ra.jump == 2 and rn.jump == 1
    y, x = probes.unit_in(engine, "max", "none", "features.2", 5, 9)
    assert (y, x) == (round(ra.start + 5 * 2 - rn.start), round(ra.start + 9 * 2 - rn.start))
    assert probes.unit_in(engine, "none", "max", "features.2", y, x) == (5, 9)  # and back
    assert probes.unit_in(engine, "max", "none", "features.2", 31, 31)[0] <= 63  # clamped
    boxes = {v: probes.receptive_field(engine, v, "features.2", *at)
             for v, at in probes.units(engine, "max", "features.2", 5, 9).items()}
    centres = {v: ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for v, b in boxes.items()}
    for v, (cy, cx) in centres.items():   # every variant's unit sits on the same input spot
        assert abs(cy - centres["max"][0]) <= 1 and abs(cx - centres["max"][1]) <= 1, v
    erf = probes.ERF().update(engine, "features.2", 0, 5, 9, clicked="max")
    assert set(erf) == {"max", "stride", "none"} and all(g.shape == (64, 64) for g in erf.values())


def test_the_difference_of_max_and_none_is_taken_at_max_s_units(engine):
    view, how = probes.difference(engine, "features.2", "max", "none")
    assert view.shape == (16, 32, 32)
    assert "at max's 32x32 units" in how and "input position" in how
    view, how = probes.difference(engine, "features.0", "none", "stride")  # a folded row
    assert view.shape == (16, 32, 32) and "stride's" in how


def test_exports_record_each_variant_s_real_shape_and_the_sheet_says_it(engine, tmp_path):
    result = engine.step(np.zeros((64, 64, 3), np.uint8))
    folder = new_export_dir(tmp_path)
    export_frame(folder, engine, result, source="test", npz=True)
    record = json.loads((folder / "frame_0000" / "record.json").read_text())
    row = next(r for r in record["layers"] if r["name"] == "features.2")
    assert row["shape"] == {"max": [16, 32, 32], "stride": [16, 32, 32], "none": [16, 64, 64]}
    assert (folder / "frame_0000" / "none" / "features.11.png").is_file()
    with np.load(folder / "frame_0000" / "activations.npz") as npz:
        assert npz["none/features.11"].shape == (128, 64, 64)
        assert npz["max/features.11"].shape == (128, 4, 4)
    assert shape_lines({"max": (16, 32, 32), "stride": (16, 32, 32), "none": (16, 64, 64)}) == [
        "16x32x32: max, stride", "16x64x64: none"]
    assert shape_lines({"max": (4, 2, 2), "avg": (4, 2, 2)}) == ["4x2x2"]


def test_resnet18_at_64_px_with_none_in_info_and_measure(tmp_path, capsys):
    import main as cli

    assert cli.main(["info", "--model", "resnet18", "--variants", "max,none", "--input-size",
                     "64", "--no-timing"]) == 0
    out = capsys.readouterr().out
    assert "[none]  total 45,740,183,552 MACs" in out and "512x64x64" in out
    assert cli.main(["measure", "--model", "resnet18", "--variants", "max,none",
                     "--input-size", "64", "--source", "pattern:shapes", "--frames", "1",
                     "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    poly = out.split("polyphase_dispersion")[1].split("\n\n")[0]
    assert poly.count("no site") == 8                     # resnet18's eight sites


def test_the_sheet_keeps_long_class_names_in_their_column(engine):
    import dataclasses

    import cv2

    from engine.display.sheet import make_sheet
    from engine.engine import Prediction

    result = engine.step(np.zeros((64, 64, 3), np.uint8))
    long = "Greater Swiss Mountain dog, a very long ImageNet class name"
    result = dataclasses.replace(result, predictions={
        v: [Prediction(0, long, 0.5)] for v in result.variants})
    sheet = make_sheet(result, engine.cmap, "t")
    short = make_sheet(dataclasses.replace(result, predictions={
        v: [Prediction(0, "x", 0.5)] for v in result.variants}), engine.cmap, "t")
    assert sheet.shape == short.shape               # the name did not widen anything
    grey = cv2.cvtColor(sheet, cv2.COLOR_RGB2GRAY).astype(int)
    bare = cv2.cvtColor(short, cv2.COLOR_RGB2GRAY).astype(int)
    changed = np.nonzero((np.abs(grey - bare) > 40).any(axis=0))[0]
    assert changed.max() < sheet.shape[1] - 8       # and no text ran off the last column
