"""One colour per variant, the same in every plot, legend, box and caption of the window."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen

from engine import variant_color

BACKGROUND = (24, 24, 28)
TEXT = (225, 225, 230)


def color(variant: str, order: tuple[str, ...] = ()) -> tuple[int, int, int]:
    """The RGB colour of ``variant`` (the engine's table, which ``ask``'s figures use too)."""
    return variant_color(variant, order)


def pen(variant: str, width: float = 2.0, order: tuple[str, ...] = ()) -> QPen:
    """A cosmetic pen in the variant's colour."""
    p = pg.mkPen(color=color(variant, order), width=width)
    p.setCosmetic(True)
    return p


def dashed_pen(variant: str, place: int, count: int, width: float = 2.0,
               order: tuple[str, ...] = ()) -> QPen:
    """A dashed pen whose dashes interleave with the other ``count - 1`` variants' pens.

    Boxes that coincide (several variants share a receptive field) then show every colour
    along the shared edge instead of only the one drawn last.
    """
    p = pen(variant, width, order)
    if count > 1:
        dash = 4.0
        p.setStyle(Qt.PenStyle.CustomDashLine)
        p.setDashPattern([dash, dash * (count - 1)])
        p.setDashOffset(dash * place)
    return p


def hex_color(variant: str, order: tuple[str, ...] = ()) -> str:
    return QColor(*color(variant, order)).name()


def legend_html(variants, order: tuple[str, ...] = ()) -> str:
    """A one-line legend: a coloured square and the name of each variant."""
    return "&nbsp;&nbsp;".join(
        f"<span style='color:{hex_color(v, order)}; font-size:15pt'>&#9632;</span>"
        f"&nbsp;<b>{v}</b>" for v in variants)
