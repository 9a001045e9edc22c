"""The pooling calculator, interactive: edit a small matrix, pick kernel, stride and padding,
and every operator's output is shown, value by value (the code of ``ask calculator``)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from engine import calculate, parse_matrix

CLASSIC = "1,3,2,4; 5,6,1,2; 0,1,3,1; 2,4,5,2"


class CalculatorPanel(QWidget):
    """``computed(dict)``: operator -> {"values", "how", ("weights")} after each change."""

    computed = Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrix = QLineEdit(CLASSIC)
        self.matrix.setToolTip("rows separated by ';', values by ','")
        self.kernel, self.stride, self.padding = QSpinBox(), QSpinBox(), QSpinBox()
        for box, lo, hi, value in ((self.kernel, 1, 7, 2), (self.stride, 1, 7, 2),
                                   (self.padding, 0, 3, 0)):
            box.setRange(lo, hi)
            box.setValue(value)
            box.valueChanged.connect(self.recompute)
        self.matrix.textChanged.connect(self.recompute)
        form = QFormLayout()
        form.addRow("Matrix", self.matrix)
        row = QHBoxLayout()
        for name, box in (("kernel", self.kernel), ("stride", self.stride),
                          ("padding", self.padding)):
            row.addWidget(QLabel(name))
            row.addWidget(box)
        row.addStretch(1)
        form.addRow(row)
        self.error = QLabel("")
        self.error.setStyleSheet("color:#ff9a8a;")
        self.out = QTextBrowser()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.out, 1)
        self.result: dict = {}
        self.recompute()

    def recompute(self, *_) -> None:
        """Every operator on the matrix now; a bad matrix or setting says why in one line."""
        try:
            m = parse_matrix(self.matrix.text())
            res = calculate(m, self.kernel.value(), self.stride.value(), self.padding.value())
        except Exception as e:  # noqa: BLE001 - a PoolScopeError or a bad size: one line
            self.error.setText(str(e).splitlines()[0])
            return
        self.error.setText("")
        self.result = res
        self.out.setHtml(_html(m.tolist(), res))
        self.computed.emit(res)


def _table(values) -> str:
    cells = "".join("<tr>" + "".join(f"<td style='padding:2px 8px'>{_num(v)}</td>" for v in row)
                    + "</tr>" for row in values)
    return f"<table border='1' cellspacing='0'>{cells}</table>"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.4g}"


def _html(m, res: dict) -> str:
    parts = [f"<b>input</b>{_table(m)}"]
    for name, r in res.items():
        parts.append(f"<p><b>{name}</b>: {r['how']}</p>{_table(r['values'])}")
        if "weights" in r:
            parts.append(f"<p><i>{name}'s weights</i></p>{_table(r['weights'])}")
    return "".join(parts)
