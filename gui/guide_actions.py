"""Builds the "Guide" dock and sets the window up for the question picked in it: its variants,
its measures tab and measure; leaving the question puts back what the user had."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from engine import Rebuild
from gui.guide import GuidePanel


class GuideActions:
    """A mixin of the main window (it needs ``send``, ``info``, ``config``, the docks)."""

    def _make_guide(self) -> None:
        self.guide = g = GuidePanel()
        dock = QDockWidget("Guide", self)
        dock.setObjectName("guide")
        dock.setWidget(g)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.tabifyDockWidget(self.controls_dock, dock)
        dock.raise_()   # the start page: the questions
        self.guide_dock = dock
        self.view_menu.addAction(dock.toggleViewAction())
        self._before_guide: dict | None = None
        g.setup_requested.connect(self.guide_setup)
        g.leave_requested.connect(self.guide_leave)

    def _variants_now(self) -> tuple[str, ...]:
        return tuple(self.info.variants) if self.info is not None else tuple(self.config.variants)

    def guide_setup(self, q) -> None:
        """Set the window up for question ``q`` (its ``window``: variants, tab, metric)."""
        tabs, live = self.measures_panel.tabs, self.measures_panel.live
        if self._before_guide is None:   # the user's own set-up, to put back on leaving
            self._before_guide = {"variants": self._variants_now(), "tab": tabs.currentIndex(),
                                  "metric": live.metric.currentData()}
        w = q.window
        if "variants" in w and tuple(w["variants"]) != self._variants_now():
            self.send(Rebuild(variants=tuple(w["variants"])))
        self._show_tab(w.get("tab"), w.get("metric"))
        self.show_message(q.hint)

    def guide_leave(self) -> None:
        """Put back the set-up the user had before the first question."""
        before, self._before_guide = self._before_guide, None
        if before is None:
            return
        if before["variants"] != self._variants_now():
            self.send(Rebuild(variants=before["variants"]))
        self.measures_panel.tabs.setCurrentIndex(before["tab"])
        live = self.measures_panel.live
        live.metric.setCurrentIndex(max(0, live.metric.findData(before["metric"])))

    def _show_tab(self, tab: str | None, metric: str | None) -> None:
        tabs = self.measures_panel.tabs
        for k in range(tabs.count()):
            if tabs.tabText(k) == tab:
                tabs.setCurrentIndex(k)
        if metric is not None:
            live = self.measures_panel.live
            live.metric.setCurrentIndex(max(0, live.metric.findData(metric)))
