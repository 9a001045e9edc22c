"""Measures on disk: the JSON record carries sample counts, strict JSON refuses NaN with one
line, an unwritable place is a clear error, and the printed tables say their scale."""

import json
import math
from types import MappingProxyType as P

import pytest

from engine.errors import ExportError
from engine.measures.tally import Measures
from engine.output.records import format_summary, measures_record, summarise, write_json


def _measures():
    values = {"consistency": {"max": {"output": 0.75}}, "shift_cosine": {"max": {"c1": 0.1}},
              "alias_fraction": {"max": {"c1": math.nan}}}
    counts = {"consistency": {"max": {"output": 8}}}
    return Measures(3, P({k: P({v: P(d) for v, d in per.items()}) for k, per in values.items()}),
                    P({"max": (0.9, 0.8)}), (0, 1), 1.5,
                    P({k: P({v: P(d) for v, d in per.items()}) for k, per in counts.items()}))


def test_the_record_carries_values_counts_and_the_diagonal():
    rec = measures_record(_measures())
    assert rec["frame"] == 3
    assert rec["values"]["consistency"]["max"]["output"] == 0.75
    assert rec["values"]["alias_fraction"]["max"]["c1"] is None  # NaN: not measurable
    assert rec["counts"] == {"consistency": {"max": {"output": 8}}}
    assert rec["diagonal"] == {"shifts_px": [0, 1], "p_top_class": {"max": [0.9, 0.8]}}
    json.dumps(rec, allow_nan=False)


def test_write_json_is_strict_and_reports_one_line(tmp_path):
    write_json(tmp_path / "ok.json", {"a": 1})
    assert json.loads((tmp_path / "ok.json").read_text()) == {"a": 1}
    with pytest.raises(ExportError) as e:
        write_json(tmp_path / "nan.json", {"a": math.nan})
    assert "\n" not in str(e.value) and "nan.json: cannot write" in str(e.value)
    with pytest.raises(ExportError, match="cannot write"):
        write_json(tmp_path / "missing" / "x.json", {"a": 1})


def test_the_summary_tables_say_their_scale():
    rows = _measures().rows()
    text = format_summary(summarise(rows), ["max"], ["c1"])
    assert "consistency, mean over frames (fraction of crop pairs; 0 = the two crops never " \
           "agree; 1 = they always agree; higher is better)" in text
    assert "shift_cosine, mean over frames (cosine distance;" in text
    assert "alias_fraction" not in text  # only NaN: nothing to show
