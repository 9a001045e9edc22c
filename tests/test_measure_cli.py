"""``measure`` and the measures every export writes: long-form CSV and JSON."""

import csv
import json
import math

import main as cli

METRICS = {"shift_cosine", "polyphase_dispersion", "alias_fraction", "flicker", "consistency",
           "ms", "macs", "params"}


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_measure_writes_long_form_csv_and_json_and_prints_a_summary(tmp_path, capsys):
    out = tmp_path / "m"
    code = cli.main(["measure", "--source", "pattern:shapes", "--input-size", "48",
                     "--frames", "3", "--trained", "resources/checkpoints", "--out", str(out)])
    assert code == 0
    (folder,) = list(out.iterdir())
    rows = _read(folder / "measures.csv")
    assert list(rows[0]) == ["frame", "variant", "layer", "metric", "value"]
    assert METRICS <= {r["metric"] for r in rows}
    assert {r["frame"] for r in rows} == {"0", "1", "2"}
    assert {r["variant"] for r in rows} == {"max", "avg", "stride", "blur"}
    for r in rows:
        if r["metric"] in ("shift_cosine", "polyphase_dispersion", "alias_fraction",
                           "consistency"):
            assert 0 <= float(r["value"]) <= 1, r
    macs = {(r["variant"], r["layer"]): int(r["value"]) for r in rows
            if r["metric"] == "macs" and r["frame"] == "0"}
    assert macs[("max", "features.0")] == 48 * 48 * 16 * 27 == 4 * macs[("stride", "features.0")]
    record = json.loads((folder / "measures.json").read_text())
    assert record["frames"] == 3 and record["variants"] == ["max", "avg", "stride", "blur"]
    assert math.isfinite(record["mean"]["shift_cosine"]["stride"]["features.2"])
    assert len(record["per_frame"]) == 3
    text = capsys.readouterr().out
    assert "measured 3 frames" in text
    # each table says its scale, from the metric catalogue
    assert ("shift_cosine, mean over frames (cosine distance; 0 = moves exactly with the input;"
            in text) and "consistency, mean over frames (fraction of crop pairs" in text
    assert "higher is better" in text and "lower is better" in text


def test_measure_never_overwrites_and_reports_bad_input_in_one_line(tmp_path, capsys):
    args = ["measure", "--source", "pattern:grating", "--input-size", "32", "--frames", "1",
            "--variants", "max,blur", "--out", str(tmp_path / "m")]
    assert cli.main(args) == 0 and cli.main(args) == 0
    assert len(list((tmp_path / "m").iterdir())) == 2
    capsys.readouterr()
    assert cli.main(["measure", "--source", str(tmp_path / "nothing.png"),
                     "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("poolscope: error:") and "\n" not in err


def test_export_writes_the_measures_as_csv_and_in_the_record(tmp_path):
    out = tmp_path / "e"
    assert cli.main(["export", "--source", "pattern:checker", "--input-size", "48",
                     "--variants", "max,stride,blur", "--out", str(out)]) == 0
    (folder,) = list(out.iterdir())
    frame = folder / "frame_0000"
    rows = _read(frame / "measures.csv")
    assert {"shift_cosine", "polyphase_dispersion", "alias_fraction", "macs"} <= \
        {r["metric"] for r in rows}
    record = json.loads((frame / "record.json").read_text())
    assert "measures.csv" in record["files"]
    values = record["measures"]["values"]
    csv_value = next(float(r["value"]) for r in rows if r["metric"] == "polyphase_dispersion"
                     and r["variant"] == "stride" and r["layer"] == "features.2")
    assert values["polyphase_dispersion"]["stride"]["features.2"] == \
        round(csv_value, 8) or abs(values["polyphase_dispersion"]["stride"]["features.2"]
                                   - csv_value) < 1e-7


def test_info_reports_measured_milliseconds_per_layer(capsys):
    assert cli.main(["info", "--input-size", "32", "--variants", "max,stride", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    rows = info["variants"]["stride"]["layers"]
    assert all(r["ms"] is not None and r["ms"] >= 0 for r in rows)
    assert cli.main(["info", "--input-size", "32", "--variants", "max"]) == 0
    header = next(ln for ln in capsys.readouterr().out.splitlines() if "kind" in ln)
    assert header.split()[-1] == "ms"


def test_circular_option_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "c"
    assert cli.main(["measure", "--source", "pattern:shapes", "--input-size", "32",
                     "--variants", "max,blur", "--circular", "--frames", "1",
                     "--out", str(out)]) == 0
    record = json.loads(next(out.iterdir()).joinpath("measures.json").read_text())
    assert record["circular"] is True
    # a circular network: the stride-1 first conv is exactly equivariant
    assert record["mean"]["shift_cosine"]["max"]["features.0"] < 1e-9
