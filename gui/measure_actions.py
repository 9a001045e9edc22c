"""The window's measures dock and its wiring: live measures, the shift probe, unit selection
(receptive fields), spectra and differences.

A mixin of :class:`gui.main_window.MainWindow`; it uses the window's ``transport``, ``grid``,
``panel`` (the input view), ``set_frozen`` and status messages.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from engine import Nudge, ResetNudge, SelectUnit, ShiftProbe
from gui.measures_panel import MeasuresPanel

DOCK_HEIGHT = 330  # px the measures dock starts with, under the input and the grid


class MeasureActions:
    """Builds the "Measures" dock and forwards its requests to the session."""

    def _make_measures(self) -> None:
        self.measures_panel = p = MeasuresPanel()
        dock = QDockWidget("Measures", self)
        dock.setObjectName("measures")
        dock.setWidget(p)
        # the controls keep the whole right-hand side; the measures go under input and grid
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.resizeDocks([dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)
        self.measures_dock = dock
        self.view_menu.addAction(dock.toggleViewAction())
        self._shown_boxes = None
        p.request.connect(self.send)
        p.probe.run_requested.connect(self.run_shift_probe)
        p.probe.nudge_requested.connect(lambda dx, dy: self.send(Nudge(dx, dy)))
        p.probe.reset_nudge_requested.connect(lambda: self.send(ResetNudge()))
        p.rf.clear_requested.connect(self.clear_unit)
        self.transport.probe_ready.connect(self._on_probe)
        self.grid.unit_clicked.connect(self.select_unit)
        self.grid.channel_clicked.connect(self._follow_zoom)
        dock.visibilityChanged.connect(self._measures_visible)

    def _measures_visible(self, visible: bool) -> None:
        self.measures_panel.on_screen = visible
        self.measures_panel.sync_requests()

    # -- requests ---------------------------------------------------------------------------
    def select_unit(self, layer: str, variant: str, channel: int, y: int, x: int) -> None:
        """Follow the receptive fields of one unit (a click on a mosaic)."""
        self.send(SelectUnit((variant, layer, channel, y, x)))

    def clear_unit(self) -> None:
        self.send(SelectUnit(None))

    def _follow_zoom(self, layer: str, variant: str, channel: int) -> None:
        self.measures_panel.spectrum.follow_zoom(layer, channel)
        self.measures_panel.difference.set_layer(layer)
        self.measures_panel.aligned.set_layer(layer)

    def run_shift_probe(self) -> None:
        """Freeze the frame and sweep a shift over it (the answer comes by probe_ready)."""
        self.set_frozen(True)
        self.measures_panel.probe.set_running()
        self.send(ShiftProbe())
        self.show_message("shift probe: sweeping the frozen frame …")

    def _on_probe(self, result) -> None:
        self.measures_panel.probe.show_result(result)
        if result is not None:
            self.show_message(f"shift probe: {len(result.shifts)} shifts of "
                              f"0 … {result.shifts[-1]:g} px")

    # -- session results --------------------------------------------------------------------
    def _measures_engine(self, info) -> None:
        self._shown_boxes = None
        self.panel.show_rf_boxes(None)
        self.measures_panel.set_engine(info)

    def _show_measures(self, shown) -> None:
        """Hand a shown frame to the dock and the unit's boxes to the input view."""
        self.measures_panel.show_shown(shown)
        views = shown.probes
        boxes = views.rf_boxes if views is not None and views.unit is not None else None
        if boxes is not self._shown_boxes:
            self._shown_boxes = boxes
            title = ""
            if boxes is not None:
                variant, layer, ch, y, x = views.unit
                title = f"{layer} ch {ch} (y {y}, x {x})"
            self.panel.show_rf_boxes(boxes, title)
