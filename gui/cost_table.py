"""The "Cost" tab: parameters, multiply-accumulates and measured milliseconds of every row.

Rows are layers (each counts what ran since the previous row) plus a total; columns are
params, MACs and ms for each variant, headed in the variant's colour. The numbers come with the
live measures (``params``, ``macs``, ``ms``); each cell keeps the raw number under
``Qt.UserRole``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from engine import METRICS
from gui.colors import color

COLUMNS = tuple((name, m.title) for name, m in METRICS.items() if m.family == "cost")
TOTAL = "total (these rows)"


class CostTable(QTableWidget):
    """Cost per variant and layer (see the module docstring)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.variants: tuple[str, ...] = ()
        self.layers: tuple[str, ...] = ()

    def set_layout(self, variants, layers) -> None:
        self.variants, self.layers = tuple(variants), tuple(layers)
        self.clear()
        self.setRowCount(len(self.layers) + 1)
        self.setColumnCount(1 + len(COLUMNS) * len(self.variants))
        self.setHorizontalHeaderItem(0, QTableWidgetItem("layer"))
        for v in self.variants:
            for j, (_, title) in enumerate(COLUMNS):
                head = QTableWidgetItem(f"{v}\n{title}")
                swatch = QPixmap(12, 12)
                swatch.fill(QColor(*color(v, self.variants)))
                head.setIcon(QIcon(swatch))
                self.setHorizontalHeaderItem(self.column(v, j), head)
        for r, name in enumerate((*self.layers, TOTAL)):
            item = QTableWidgetItem(name)
            if name == TOTAL:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.setItem(r, 0, item)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)

    def column(self, variant: str, j: int) -> int:
        return 1 + self.variants.index(variant) * len(COLUMNS) + j

    def show_measures(self, measures) -> None:
        """Fill the cells from :class:`engine.Measures` (``params``, ``macs``, ``ms``)."""
        if measures is None:
            return
        self.setUpdatesEnabled(False)
        for v in self.variants:
            for j, (metric, _) in enumerate(COLUMNS):
                total = 0.0
                for r, layer in enumerate(self.layers):
                    x = measures.get(metric, v, layer)
                    total += 0.0 if math.isnan(x) else x
                    self._put(r, self.column(v, j), metric, x)
                self._put(len(self.layers), self.column(v, j), metric, total)
        self.setUpdatesEnabled(True)

    def _put(self, row: int, col: int, metric: str, value: float) -> None:
        text = ("—" if math.isnan(value) else f"{value:.2f}" if metric == "ms"
                else f"{int(round(value)):,}")
        item = self.item(row, col)
        if item is None:
            item = QTableWidgetItem()
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(row, col, item)
        item.setText(text)
        item.setData(Qt.ItemDataRole.UserRole, value)

    def value(self, variant: str, layer: str, metric: str) -> float | None:
        """The number in a cell (for tests and copying), or None."""
        row = (*self.layers, TOTAL).index(layer)
        col = self.column(variant, [m for m, _ in COLUMNS].index(metric))
        item = self.item(row, col)
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)
