"""The measures dock's contents: a colour legend of the variants over nine tabs (Live,
Network, Cost, Shift probe, Receptive field, Spectrum, Difference, Aligned error, Phases).

It takes every :class:`engine.Shown` but does real work only when something new arrived:
new measures (a new :class:`engine.Measures` object), or new probe answers. What the
session should keep computing follows what is on screen: ``request(command)`` asks for
the spectrum, the difference, the aligned error and the phases only while their tab is shown.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from engine import ShowAligned, ShowDifference, ShowPhases, ShowSpectrum
from gui.aligned_panel import AlignedPanel
from gui.colors import legend_html
from gui.cost_table import CostTable
from gui.difference_panel import DifferencePanel
from gui.live_plots import LivePlots
from gui.network_plots import NetworkPlots
from gui.phases_panel import PhasesPanel
from gui.probe_panel import ProbePanel
from gui.rf_panel import RFPanel
from gui.spectrum_panel import SpectrumPanel

SLOW_TABS_S = 0.5   # the Network and Cost tabs refresh at most twice a second


class MeasuresPanel(QWidget):
    """``request(command)``: a probe for the session to keep live (or to stop)."""

    request = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.legend = QLabel("")
        self.tabs = QTabWidget()
        self.live = LivePlots()
        self.network = NetworkPlots()
        self.cost = CostTable()
        self.probe = ProbePanel()
        self.rf = RFPanel()
        self.spectrum = SpectrumPanel()
        self.difference = DifferencePanel()
        self.aligned = AlignedPanel()
        self.phases = PhasesPanel()
        for widget, name in ((self.live, "Live"), (self.network, "Network"),
                             (self.cost, "Cost"), (self.probe, "Shift probe"),
                             (self.rf, "Receptive field"), (self.spectrum, "Spectrum"),
                             (self.difference, "Difference"), (self.aligned, "Aligned error"),
                             (self.phases, "Phases")):
            self.tabs.addTab(widget, name)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 0, 2, 2)
        lay.setSpacing(2)
        lay.addWidget(self.legend)
        lay.addWidget(self.tabs, 1)
        self.measures = None
        self.has_classifier = True
        self._slow_at = 0.0
        self._posted: dict[str, object] = {}
        self.on_screen = True  # the dock is shown
        self.tabs.currentChanged.connect(lambda _: self.sync_requests())
        self.spectrum.request_changed.connect(lambda _: self.sync_requests())
        for panel in (self.difference, self.aligned, self.phases):
            panel.request_changed.connect(lambda _: self.sync_requests())

    def set_engine(self, info) -> None:
        """Lay every tab out for a new network, variants or rows (an :class:`EngineInfo`)."""
        variants = info.variants
        layers = [ly.name for ly in info.layers]
        sites = {ly.name: info.shapes[(variants[0], ly.name)][0] for ly in info.layers
                 if "site" in ly.kind}
        self.legend.setText("Variants: " + legend_html(variants, variants))
        self.measures = None
        self._posted.clear()  # the session forgot its requests
        self.live.set_layout(variants, layers)
        self.network.set_layout(variants)
        self.cost.set_layout(variants, layers)
        self.probe.set_layout(variants, layers)
        self.rf.set_layout(variants)
        self.rf.separately_trained = bool(info.config.trained)
        self.spectrum.set_layout(variants, sites)
        self.difference.set_layout(variants, layers)
        self.aligned.set_layout(variants, layers)
        self.phases.set_layout(variants, sites)
        self.sync_requests()

    def show_shown(self, shown) -> None:
        """Update from one :class:`gui.messages.Shown` (cheap unless something is new)."""
        r = shown.result
        self.has_classifier = bool(r.predictions)
        m = r.measures
        if m is not None and m is not self.measures:
            self.measures = m
            self.live.add(m)
        now = time.monotonic()
        if self.measures is not None and now - self._slow_at >= SLOW_TABS_S:
            current = self.tabs.currentWidget()
            if current is self.network:
                self.network.show_measures(self.measures, self.has_classifier)
                self._slow_at = now
            elif current is self.cost:
                self.cost.show_measures(self.measures)
                self._slow_at = now
        views = shown.probes
        self.rf.show_views(views)
        self.spectrum.show_views(views)
        self.difference.show_views(views, shown.result, shown.lut)
        self.aligned.show_views(views)
        self.phases.show_views(views, shown.lut)

    def refresh(self) -> None:
        """Redraw the tab on screen now (after switching to it)."""
        self._slow_at = 0.0
        if self.measures is not None:
            self.network.show_measures(self.measures, self.has_classifier)
            self.cost.show_measures(self.measures)

    def sync_requests(self) -> None:
        """Ask the session for a live probe only while its tab is on screen."""
        current = self.tabs.currentWidget()
        want = {command: panel.key() if current is panel else None
                for command, panel in ((ShowSpectrum, self.spectrum),
                                       (ShowDifference, self.difference),
                                       (ShowAligned, self.aligned), (ShowPhases, self.phases))}
        for command, key in want.items():
            key = key if self.on_screen else None
            if self._posted.get(command, None) != key:
                self._posted[command] = key
                self.request.emit(command(key))
        if current in (self.network, self.cost):
            self.refresh()
