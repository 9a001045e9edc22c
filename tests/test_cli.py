"""The command line: export writes every file it promises, info and bench print what they say,
bad input gives exit status 2 and one line on stderr (that ``engine`` imports no Qt is in
tests/test_house.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import main as cli

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=ROOT):
    """Run ``python main.py ARGS`` in a subprocess (exactly as a user does)."""
    return subprocess.run([sys.executable, "main.py", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def _export(tmp_path, *args):
    out = tmp_path / "figs"
    code = cli.main(["export", "--out", str(out), *args])
    assert code == 0
    (folder,) = list(out.iterdir())
    return folder


def test_export_from_an_image_writes_every_file(tmp_path, capsys, rgb_png):
    folder = _export(tmp_path, "--source", str(rgb_png), "--npz")
    assert "exported 1 frame" in capsys.readouterr().out
    frame = folder / "frame_0000"
    record = json.loads((frame / "record.json").read_text())
    assert record["model"] == "tiny" and record["source"] == str(rgb_png)
    assert list(record["variants"]) == ["max", "avg", "stride", "blur"]
    assert len(record["layers"]) == 8
    assert record["layers"][1]["shape"]["max"] == [16, 112, 112]
    assert len(record["weights"]["sha256_16"]) == 16
    assert {"torch", "numpy", "opencv", "python", "poolscope"} <= set(record["versions"])
    top5 = record["predictions"]["blur"]
    assert len(top5) == 5 and {"index", "label", "prob"} <= set(top5[0])
    for v in record["variants"]:
        for ly in record["layers"]:
            png = frame / v / f"{ly['name']}.png"
            assert png.is_file() and png.stat().st_size > 0
    assert (frame / "sheet.png").stat().st_size > 10_000
    assert (frame / "input.png").is_file()
    data = np.load(frame / "activations.npz")
    assert data["blur/features.11"].shape == (128, 14, 14)
    assert len(data.files) == 4 * 8
    assert set(record["files"]) >= {"sheet.png", "input.png", "activations.npz"}


def test_export_mosaics_are_native_resolution_and_colour_mapped(tmp_path, rgb_png):
    import cv2

    from engine.display.colormaps import colormap
    from engine.display.mosaic import mosaic_size

    folder = _export(tmp_path, "--source", str(rgb_png), "--cmap", "magma")
    img = cv2.imread(str(folder / "frame_0000" / "max" / "features.0.png"))
    assert img.shape[:2] == mosaic_size((16, 224, 224))
    lut = {tuple(int(c) for c in rgb[::-1]) for rgb in colormap("magma").lut}
    pixels = {tuple(int(c) for c in p) for p in img.reshape(-1, 3)[::97]}
    assert pixels <= lut


def test_export_from_a_video_several_frames_and_layers(tmp_path, video_files):
    folder = _export(tmp_path, "--source", str(video_files["avi"]), "--frames", "3",
                     "--layers", "features.2,features.5", "--variants", "max,blur")
    frames = sorted(p.name for p in folder.iterdir())
    assert frames == ["frame_0000", "frame_0001", "frame_0002"]
    indices = [json.loads((folder / f / "record.json").read_text())["frame_index"]
               for f in frames]
    assert indices == [0, 1, 2]
    assert sorted(p.name for p in (folder / "frame_0001" / "blur").iterdir()) == \
        ["features.2.png", "features.5.png"]


def test_export_never_overwrites(tmp_path):
    out = tmp_path / "figs"
    for _ in range(2):
        assert cli.main(["export", "--source", "pattern:checker", "--out", str(out)]) == 0
    assert len(list(out.iterdir())) == 2


def test_info_json(capsys):
    assert cli.main(["info", "--model", "tiny", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["input_size"] == [224, 224]
    assert set(info["variants"]) == {"plain", "max", "avg", "stride", "blur"}
    row = info["variants"]["max"]["layers"][1]
    assert row == {**row, "name": "features.2", "shape": [16, 112, 112], "rf": 4, "jump": 2}
    assert info["variants"]["max"]["total_macs"] > info["variants"]["stride"]["total_macs"]


def test_info_table(capsys):
    assert cli.main(["info", "--model", "allcnn-c", "--variants", "max,stride"]) == 0
    out = capsys.readouterr().out
    assert "allcnn-c at 32x32" in out and "stride folded into" in out


def test_bench_engine_prints_json_last(capsys):
    assert cli.main(["bench", "--engine", "--seconds", "0.2", "--variants", "max,stride",
                     "--input-size", "64", "--threads", "1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert {"engine_fps", "forward_fps", "ratio", "device", "forward_fps_core_busy"} <= set(result)
    assert result["engine_fps"] > 0 and result["device"] == "cpu"
    if (os.cpu_count() or 1) > 1:   # a core to spare: the forward passes beside a spinner
        assert result["forward_fps_core_busy"] > 0


@pytest.mark.parametrize("args,needle", [
    (["export", "--source", "missing.png", "--out", "{tmp}"], "missing.png"),
    (["export", "--source", "{empty}", "--out", "{tmp}"], "empty"),
    (["export", "--source", "{notimage}", "--out", "{tmp}"], "not an image"),
    (["export", "--source", "pattern:nope", "--out", "{tmp}"], "nope"),
    (["export", "--source", "camera:7", "--out", "{tmp}"], "camera 7"),
    (["export", "--source", "pattern:checker", "--out", "{blocked}"], "cannot"),
    (["export", "--source", "pattern:checker", "--out", "{tmp}", "--model", "alexnet"],
     "unknown model"),
    (["export", "--source", "pattern:checker", "--out", "{tmp}", "--variants", "max,bogus"],
     "unknown variant"),
    (["info", "--model", "tiny", "--input-size", "4"], "too small"),
    (["info", "--frames", "2"], "unrecognized"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, args, needle, empty_file, not_image):
    blocked = tmp_path / "file.txt"
    blocked.write_text("x")
    subs = {"{tmp}": str(tmp_path / "out"), "{empty}": str(empty_file),
            "{notimage}": str(not_image), "{blocked}": str(blocked / "sub")}
    p = run(*[subs.get(a, a) for a in args])
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], p.stderr
    assert "Traceback" not in p.stderr
