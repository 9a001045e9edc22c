"""Answers on disk and on the terminal: one folder per ``ask`` run (never overwritten) with
``answers.json``, every figure as a PNG, and ``index.html``, an illustrated report: for each
question the verdict, the figures beside the numbers, what was run, and the sources cited."""

from __future__ import annotations

import html
import json
from pathlib import Path

from engine.answers.base import CITES, Answer, Table
from engine.errors import ExportError
from engine.output.export import new_export_dir

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #1d1d22; }
h1 { font-size: 1.6em; } h2 { margin-top: 2.2em; border-top: 1px solid #ccc;
       padding-top: .8em; }
.verdict li { margin: .35em 0; } figure { margin: 1em 0; } figure img { max-width: 100%; }
figcaption { color: #555; font-size: .9em; }
table { border-collapse: collapse; margin: .6em 0 .2em; font-size: .88em; }
td, th { border: 1px solid #ccc; padding: .25em .55em; text-align: right; }
th { background: #f0f0f3; } td:first-child, th:first-child { text-align: left; }
.scale { color: #555; font-size: .85em; margin-bottom: 1em; }
.run { color: #444; font-size: .85em; } .skipped { color: #a33; }
"""


def write(out: str | Path, answers: list[Answer], skipped: dict[str, str] | None = None,
          title: str = "PoolScope: why pool, when a bigger stride also shrinks the map?") -> Path:
    """Write ``answers`` into a new folder under ``out``; returns that folder."""
    folder = new_export_dir(out)
    try:
        for a in answers:
            for f in a.figures:
                (folder / f"{f.name}.png").write_bytes(f.png)
        (folder / "answers.json").write_text(json.dumps(
            {"answers": [a.record() for a in answers], "skipped": skipped or {}}, indent=2,
            default=str), encoding="utf-8")
        (folder / "index.html").write_text(page(answers, skipped or {}, title),
                                           encoding="utf-8")
    except OSError as e:
        raise ExportError(f"{folder}: cannot write the report ({e.strerror or e})") from None
    return folder


def page(answers: list[Answer], skipped: dict[str, str], title: str) -> str:
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}"
             f"</title><style>{STYLE}</style></head><body><h1>{e(title)}</h1>"]
    if answers:
        parts.append("<p>Each answer is an experiment run now on a real network; every "
                     "sentence quotes the numbers it rests on.</p><ul>")
        parts += [f"<li><a href='#{e(a.question)}'>{e(a.title)}</a></li>" for a in answers]
        parts.append("</ul>")
    for name, why in skipped.items():
        parts.append(f"<p class='skipped'>Skipped <b>{e(name)}</b>: {e(why)}</p>")
    for a in answers:
        parts.append(f"<h2 id='{e(a.question)}'>{e(a.title)}</h2><ul class='verdict'>")
        parts += [f"<li>{e(s)}</li>" for s in a.verdict]
        parts.append("</ul>")
        for f in a.figures:
            parts.append(f"<figure><img src='{e(f.name)}.png' alt='{e(f.caption)}'>"
                         f"<figcaption>{e(f.caption)}</figcaption></figure>")
        parts += [_table(t) for t in a.tables]
        parts.append(_run(a))
    parts.append("</body></html>")
    return "\n".join(parts)


def _table(t: Table) -> str:
    e = html.escape
    head = "".join(f"<th>{e(str(c))}</th>" for c in t.columns)
    rows = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>"
                   for r in t.rows)
    return (f"<table><caption>{e(t.title)}</caption><tr>{head}</tr>{rows}</table>"
            f"<div class='scale'>{e(t.scale)}</div>")


def _run(a: Answer) -> str:
    e = html.escape
    s = a.setup
    keys = ("model", "weights", "trained", "source", "variants", "samples", "seed", "network",
            "inputs", "pairs", "timing_input", "circular")
    items = "; ".join(f"{k}: {e(str(s[k]))}" for k in keys if s.get(k) not in (None, ""))
    ver = s.get("versions", {})
    versions = ", ".join(f"{k} {e(str(v))}" for k, v in ver.items() if k != "platform")
    cites = "".join(f"<li>{e(CITES[c])}</li>" for c in a.cites)
    return (f"<p class='run'>What was run: {items}. {versions}. Took {a.seconds:.1f} s.</p>"
            f"<p class='run'>Sources:</p><ul class='run'>{cites}</ul>")


def command(question: str | None, setup, out: str | None, say=print) -> int:
    """``main.py ask``: list the questions (None), or answer one or ``all`` on ``setup``,
    printing each answer as it comes and writing the report if ``out`` is given."""
    from engine.answers.asking import ask, ask_all, questions

    if not question:
        for name, q in questions().items():
            say(f"{name:14} {q.title}")
        return 0
    if question == "all":
        answers, skipped = ask_all(setup, lambda name, a, why: say(
            text(a) if a else f"skipped {name}: {why}\n"))
    else:
        answers, skipped = [ask(question, setup)], {}
        say(text(answers[0]))
    if out and answers:
        say(f"report: {write(out, answers, skipped) / 'index.html'}")
    return 0 if answers else 2


def text(a: Answer) -> str:
    """The answer for the terminal: its title, its verdict, and its tables."""
    lines = [a.title, "=" * len(a.title), *(f"- {s}" for s in a.verdict), ""]
    for t in a.tables:
        widths = [max(len(str(c)) for c in col) for col in zip(t.columns, *t.rows, strict=True)]
        lines.append(t.title)
        for row in (t.columns, *t.rows):
            lines.append("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths,
                                                                         strict=True)))
        if t.scale:
            lines.append(f"  ({t.scale})")
        lines.append("")
    return "\n".join(lines)
