"""``ask`` as a user runs it: every question on the default set-up, one illustrated HTML
report whose pictures are all there, and one-line errors that leave the others running."""

from html.parser import HTMLParser

import cv2

import main as cli


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs, self.tags = [], 0

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        if tag == "img":
            self.srcs.append(dict(attrs)["src"])


def test_ask_all_writes_a_report_whose_every_picture_decodes(tmp_path, capsys):
    assert cli.main(["ask", "all", "--out", str(tmp_path), "--samples", "6"]) == 0
    out = capsys.readouterr().out
    for title in ("Does pooling add non-linearity?", "Which is cheaper",
                  "ignore three quarters", "global average pooling"):
        assert title in out
    (index,) = tmp_path.rglob("index.html")
    parser = Images()
    parser.feed(index.read_text(encoding="utf-8"))
    assert parser.tags > 50 and len(parser.srcs) >= 6
    for src in parser.srcs:
        img = cv2.imread(str(index.parent / src))
        assert img is not None and img.shape[0] > 100 and img.shape[1] > 100, src
    text = index.read_text(encoding="utf-8")
    assert "What was run" in text and "Zhang" in text and "He, Z. Zhang" in text
    assert (index.parent / "answers.json").is_file()


def test_ask_lists_its_questions_and_refuses_an_unknown_one(capsys):
    assert cli.main(["ask", "--list"]) == 0
    listed = capsys.readouterr().out.split()
    assert {"nonlinearity", "cost", "shortcut", "gap"} <= set(listed)
    assert cli.main(["ask", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown question 'nope'" in err


def test_ask_all_goes_on_past_a_question_that_cannot_run_and_says_why(tmp_path, capsys):
    seg = tmp_path / "seg.py"
    seg.write_text("from torch import nn\n\n\ndef build():\n    return nn.Sequential("
                   "nn.Conv2d(3, 8, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(8, 2, 1))\n")
    assert cli.main(["ask", "all", "--model", f"{seg}:build", "--input-size", "32",
                     "--samples", "3", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "skipped gap:" in out and "no linear classifier head" in out
    assert "skipped invariance:" in out
    assert "Shared weights, top-1 consistency: not measured (the network gives no class" in out
    (index,) = (tmp_path / "r").rglob("index.html")
    assert "Skipped <b>gap</b>" in index.read_text(encoding="utf-8")
