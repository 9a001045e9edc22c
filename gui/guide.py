"""The guide: every question of ``ask`` in the window, one click each.

A list of the questions (each marked *live*: the window's own measures follow it on the input;
or *on demand*: it runs as a job, with progress, and can be cancelled), and for the one picked:
what to do in one line, the answer when it comes (the generated verdict, its tables and
figures), and for the calculator the interactive calculator. Picking a question asks the
window (``setup_requested``) to set itself up for it; leaving asks it to put back what it had
(``leave_requested``).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from engine import questions
from gui.answer_job import AnswerJob
from gui.calculator_panel import CalculatorPanel

START = ("<h3>Why pool, when a bigger stride also shrinks the map?</h3><p>Pick a question: "
         "the window sets itself up for it and the answer comes as numbers, figures and a "
         "verdict generated from them, measured now on a real network. <b>live</b>: the "
         "window's measures follow it on the input; <b>on demand</b>: it runs in the "
         "background (Cancel stops it). Leave puts back your set-up.</p>")


class GuidePanel(QWidget):
    """``setup_requested(question class)``, ``leave_requested()``."""

    setup_requested = Signal(object)
    leave_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.questions = questions()
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setMinimumWidth(300)
        for name, q in self.questions.items():
            item = QListWidgetItem(f"{'● live' if q.live else '◌ on demand'} · {q.title}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(q.hint)
            self.list.addItem(item)
        self.list.itemClicked.connect(lambda item: self.pick(
            item.data(Qt.ItemDataRole.UserRole)))
        self.hint = QLabel(START)
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.hide()
        self.cancel = QPushButton("Cancel")
        self.cancel.hide()
        self.cancel.clicked.connect(self.stop)
        self.leave = QPushButton("Leave (put my set-up back)")
        self.leave.setEnabled(False)
        self.leave.clicked.connect(self.leave_question)
        self.answer = QTextBrowser()
        self.figures = QLabel("")
        self.figures.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidget(self.figures)
        scroll.setWidgetResizable(True)
        self.calculator = CalculatorPanel()
        self.calculator.hide()
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(2, 2, 2, 2)
        rl.addWidget(self.hint)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel)
        row.addWidget(self.leave)
        rl.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.answer)
        split.addWidget(scroll)
        split.setSizes([380, 320])   # the verdict above, its figures below
        rl.addWidget(split, 1)
        rl.addWidget(self.calculator, 1)
        outer = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(self.list)
        outer.addWidget(right)
        outer.setSizes([220, 700])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(outer)
        self.job = AnswerJob(self)
        self.job.progress.connect(lambda f: self.bar.setValue(int(100 * f)))
        self.job.elapsed.connect(lambda s, e: self.bar.setFormat(f"{s:.0f} s of ~{e:.0f} s"))
        self.job.answered.connect(self.show_answer)
        self.job.failed.connect(self._failed)
        self.current: str | None = None
        self.shown = None   # the Answer on screen
        self.setup = None   # what the jobs run on (an engine.Setup); None: ask's default

    def pick(self, name: str) -> None:
        """Set the window up for question ``name`` and start its answer."""
        q = self.questions[name]
        self.current = name
        self.shown = None
        self.setup_requested.emit(q)
        self.leave.setEnabled(True)
        mode = "Live" if q.live else "On demand"
        self.hint.setText(f"<h3>{html.escape(q.title)}</h3><p><b>{mode}.</b> "
                          f"{html.escape(q.hint)}</p>")
        calc = name == "calculator"
        self.calculator.setVisible(calc)
        self.answer.parentWidget().setVisible(not calc)
        self.answer.setHtml("<p>answering …</p>")
        self.figures.clear()
        if calc:
            self.stop()
            return
        self.bar.setValue(0)
        self.bar.show()
        self.cancel.show()
        self.job.start(name, self.setup, q.seconds)

    def stop(self) -> None:
        """Cancel the running answer; the window goes on as it is."""
        was = self.job.running
        self.job.cancel()
        self.bar.hide()
        self.cancel.hide()
        if was:
            self.answer.setHtml("<p>cancelled: pick the question again to answer it</p>")

    def leave_question(self) -> None:
        self.stop()
        self.current = None
        self.leave.setEnabled(False)
        self.calculator.hide()
        self.answer.parentWidget().show()
        self.hint.setText(START)
        self.leave_requested.emit()

    def show_answer(self, a) -> None:
        self.bar.hide()
        self.cancel.hide()
        if a.question != self.current:
            return
        self.shown = a
        self.answer.setHtml(_html(a))
        pix = [QPixmap() for _ in a.figures]
        for p, f in zip(pix, a.figures, strict=True):
            p.loadFromData(f.png, "PNG")
        self.figures.setText("")
        if pix:   # the figures one under the other, at most 640 px wide
            self.figures.setPixmap(_stack(pix, max(300, self.answer.width() - 8)))

    def _failed(self, message: str) -> None:
        self.bar.hide()
        self.cancel.hide()
        self.answer.setHtml(f"<p style='color:#ff9a8a'>{html.escape(message)}</p>")


def _html(a) -> str:
    verdict = "".join(f"<li>{html.escape(s)}</li>" for s in a.verdict)
    tables = []
    for t in a.tables:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.columns)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                       for r in t.rows)
        tables.append(f"<p><b>{html.escape(t.title)}</b></p><table border='1' cellspacing='0' "
                      f"cellpadding='2'><tr>{head}</tr>{rows}</table>"
                      f"<p><small>{html.escape(t.scale)}</small></p>")
    on = html.escape(str(a.setup.get("inputs", "")))
    return (f"<h3>{html.escape(a.title)}</h3><ul>{verdict}</ul>{''.join(tables)}"
            f"<p><small>answered in {a.seconds:.1f} s on {on}</small></p>")


def _stack(pix: list[QPixmap], width: int) -> QPixmap:
    from PySide6.QtGui import QPainter

    scaled = [p.scaledToWidth(min(width, p.width()), Qt.TransformationMode.SmoothTransformation)
              for p in pix]
    out = QPixmap(width, sum(p.height() + 8 for p in scaled))
    out.fill(Qt.GlobalColor.white)
    painter = QPainter(out)
    y = 0
    for p in scaled:
        painter.drawPixmap(0, y, p)
        y += p.height() + 8
    painter.end()
    return out
