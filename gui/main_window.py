"""The main window: input view, feature grid, zoom strip, controls dock and status bar.

The GUI thread only sends commands to the session (through a transport) and hands finished
uint8 images to Qt; everything else happens in the session, which runs in a process of its own
(gui.remote) unless the window is made with ``engine_process=False`` (a thread).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from engine import (
    EngineConfig,
    EngineInfo,
    Freeze,
    Mirror,
    Nudge,
    Rebuild,
    Seek,
    SetSource,
    SetView,
    Shown,
    SourceInfo,
    StepFrame,
    Zoom,
    colormap,
    mosaic_size,
    shrink_for,
)
from gui.controls import Controls
from gui.controls_dock import controls_dock
from gui.export_actions import ExportActions
from gui.grid import FeatureGrid
from gui.guide_actions import GuideActions
from gui.help import HelpOverlay
from gui.input_panel import InputPanel
from gui.measure_actions import MeasureActions
from gui.menus import make_menus
from gui.open_actions import OpenActions
from gui.record_actions import RecordActions
from gui.remote import ProcessTransport
from gui.settings import save_settings
from gui.status import rates_text
from gui.transport import ThreadTransport
from gui.zoom import ZoomStrip

DISPLAY_MAX_SIDE = 384  # mosaics are shrunk for the screen, to about a row's size on it
                        # (the grid asks for 128-1024 px as it zooms); exports stay native
BANNER = ("Random, untrained weights: the maps show what each architecture does to the input, "
          "not learned features.")


class MainWindow(OpenActions, ExportActions, MeasureActions, GuideActions, RecordActions,
                 QMainWindow):
    """PoolScope's window. ``displayed(float)`` fires with the latency (s) of each shown frame."""

    displayed = Signal(float)

    def __init__(self, config: EngineConfig, source: str | None, settings: QSettings,
                 cameras: list[int] | None = None, export_folder: str | None = None,
                 engine_process: bool = True):
        super().__init__()
        self.settings = settings
        self.config = config
        self.setWindowTitle("PoolScope")
        self.setAcceptDrops(True)
        self.info: EngineInfo | None = None
        self.source_info: SourceInfo | None = None
        self.last: Shown | None = None
        self.frozen = False
        self.export_folder = export_folder or str(Path.home() / "PoolScope")
        self._shown_times: deque[float] = deque(maxlen=30)
        self.latencies: deque[float] = deque(maxlen=10_000)
        self.frames_shown = 0
        self.last_error = ""

        self.banner = QLabel(BANNER)
        self.banner.setStyleSheet("background:#5a4a12; color:#fff3c4; padding:4px;")
        self.banner.hide()   # until the built network says its weights are random
        self.grid = FeatureGrid()
        self.zoom = ZoomStrip()
        self.panel = InputPanel()
        self.input_item = self.panel.image
        self.readout = self.panel.readout
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.panel)
        top.addWidget(self.grid)
        top.setSizes([280, 1200])
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(top)
        main.addWidget(self.zoom)
        main.setSizes([760, 220])
        central = QWidget()
        cv = QVBoxLayout(central)
        cv.setContentsMargins(0, 0, 0, 0)
        cv.addWidget(self.banner)
        cv.addWidget(main, 1)
        self.setCentralWidget(central)
        self.help = HelpOverlay(central)

        self.controls = Controls(cameras or [])
        self.controls_dock = controls_dock(self, self.controls)
        self.controls.folder_label.setText(self.export_folder)
        self.controls.set_state(model=config.model, variants=config.variants, fit=config.fit,
                                weights=f"trained:{Path(config.trained).resolve()}"
                                if config.trained else config.weights)  # before it is built

        sb = self.statusBar()
        self.status_rates = QLabel("")
        self.status_device = QLabel("")
        self.status_message = QLabel("")
        sb.addWidget(self.status_rates)
        sb.addWidget(self.status_device)
        sb.addWidget(self.status_message, 1)

        # in a process of its own the engine's Python no longer takes turns with Qt's painting
        self.transport = (ProcessTransport if engine_process else ThreadTransport)(config, source)
        self.transport.result_ready.connect(self._on_result)
        self.transport.failed.connect(self.show_error)
        self.transport.engine_changed.connect(self._on_engine)
        self.transport.source_changed.connect(self._on_source)
        self.transport.exported.connect(lambda p: self.show_message(f"exported to {p}"))
        self.grid.channel_clicked.connect(self._on_channel_clicked)
        self.grid.hovered.connect(self.readout.setText)
        self.grid.viewport_changed.connect(self.send_viewport)
        self.zoom.hovered.connect(self.readout.setText)
        self._wire_controls()
        make_menus(self)
        self._make_measures()
        self._make_guide()
        self.set_colormap(config.colormap)

    # -- wiring -----------------------------------------------------------------------------
    def _wire_controls(self) -> None:
        c, send = self.controls, self.send
        c.source_requested.connect(self.open_source)
        c.open_file_requested.connect(self.open_file_dialog)
        c.open_folder_requested.connect(self.open_folder_dialog)
        c.model_changed.connect(self._model_request)
        c.weights_changed.connect(lambda w: self._engine_request("weights", w))
        c.weights_file_requested.connect(self.open_weights_dialog)
        c.model_file_requested.connect(self.open_model_dialog)
        c.variants_changed.connect(lambda v: self._engine_request("variants", tuple(v)))
        c.layers_changed.connect(lambda ly: send(SetView(layers=ly)))
        c.device_changed.connect(lambda d: self._engine_request("device", d))
        c.input_size_changed.connect(lambda n: self._engine_request("input_size", n or None))
        c.norm_changed.connect(self.set_norm)
        c.fit_changed.connect(lambda f: self._engine_request("fit", f))
        c.colormap_changed.connect(self.set_colormap)
        c.gamma_changed.connect(self.set_gamma)
        c.freeze_toggled.connect(self.set_frozen)
        c.play_toggled.connect(lambda playing: self.set_frozen(not playing))
        c.step_requested.connect(lambda: send(StepFrame()))
        c.seek_requested.connect(lambda i: send(Seek(i)))
        c.mirror_toggled.connect(lambda on: send(Mirror(on)))
        c.export_requested.connect(self.export_activations)
        c.screenshot_requested.connect(self.save_screenshot)
        c.export_folder_requested.connect(self.choose_export_folder)
        for v in c.variant_boxes.values():
            v.toggled.connect(self._check_variant_count)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self.transport.start()

    def send(self, command) -> None:
        """Send one command (:mod:`engine.session.commands`) to the session."""
        self.transport.send(command)

    def shutdown(self) -> None:
        """Stop the session's process (or thread) cleanly and wait for it; safe to call twice."""
        self.guide.job.cancel()   # an answer being worked out in its own process
        self.stop_recording()
        if self.transport.running():
            self.transport.stop()

    def closeEvent(self, event):  # noqa: N802 - Qt API
        self.save_settings()
        self.shutdown()
        super().closeEvent(event)

    def save_settings(self) -> None:
        save_settings(self, self.settings)

    # -- requests ---------------------------------------------------------------------------
    def open_source(self, spec: str) -> None:
        """Open another source; if it fails, the one that runs goes on as it was."""
        self.show_message(f"opening {spec} …")
        self.send(SetSource(spec))

    def _engine_request(self, what: str, value) -> None:
        """Rebuild the engine with one setting changed (model, weights, variants, ...)."""
        self.show_message(f"building {what} = {value} …")
        self.send(Rebuild(**{what: value}))

    def _model_request(self, model: str) -> None:
        """Another network: it opens with its own default weights and input size, unless the
        user set a size in the box (that size is kept)."""
        size = self.controls.input_size.value()
        self.show_message(f"building model = {model} …")
        self.send(Rebuild(model=model, **({"input_size": size} if size else {})))

    def _check_variant_count(self) -> None:
        n = len(self.controls.chosen_variants())
        if not 2 <= n <= 5:
            self.show_message(f"choose 2 to 5 variants ({n} chosen)")

    def set_frozen(self, on: bool) -> None:
        if on == self.frozen:
            return
        self.frozen = on
        self.send(Freeze(on))
        for b, checked in ((self.controls.freeze, on), (self.controls.play, on)):
            b.blockSignals(True)
            b.setChecked(checked)
            b.blockSignals(False)
        self.controls.play.setText("Play" if on else "Pause")
        self.controls.show_frozen(on)
        if not on:
            self.measures_panel.probe.stop_animation()

    def nudge(self, dx: float, dy: float) -> None:
        if not self.frozen:
            self.show_message("freeze first (Space), then nudge with the arrow keys")
            return
        self.send(Nudge(dx, dy))

    def set_colormap(self, name: str) -> None:
        self.config = replace(self.config, colormap=name)
        self._show_colours()
        self.send(SetView(colormap=name))

    def set_norm(self, mode: str) -> None:
        self.config = replace(self.config, norm=mode)
        self.send(SetView(norm=mode))

    def set_gamma(self, gamma: float) -> None:
        self.config = replace(self.config, gamma=gamma)
        self._show_colours()
        self.send(SetView(gamma=gamma))

    def _show_colours(self) -> None:
        cmap = colormap(self.config.colormap, self.config.gamma)
        self.zoom.set_lut(cmap.lut)
        self.panel.show_colours(cmap.lut, self.config.gamma)

    def _on_channel_clicked(self, layer: str, variant: str, channel: int) -> None:
        self.send(Zoom(layer, channel))
        self.show_message(f"zoom: {layer} channel {channel}")

    # -- the session's signals ---------------------------------------------------------------------
    def _on_engine(self, info: EngineInfo) -> None:
        self.info = info
        # the network settings the engine really runs with (a failed change is undone); the
        # display settings are the window's own
        self.config = replace(info.config, norm=self.config.norm,
                              colormap=self.config.colormap, gamma=self.config.gamma)
        shapes = {k: mosaic_size(s, shrink_for(s, DISPLAY_MAX_SIDE)) for k, s in
                  info.shapes.items()}
        layer_names = [ly.name for ly in info.layers]
        self.grid.set_layout(info.variants, layer_names, info.shapes, shapes, info.titles,
                             info.captions)
        self.zoom.set_variants(info.variants)
        self._measures_engine(info)
        self.controls.set_state(model=info.model, variants=info.variants, device=self.config.device,
                                norm=self.config.norm, cmap=self.config.colormap,
                                fit=info.config.fit,
                                gamma=self.config.gamma,
                                weights=(f"trained:{Path(self.config.trained).resolve()}"
                                         if self.config.trained else self.config.weights),
                                all_layers=info.all_layers, layers=layer_names)
        self.banner.setVisible(info.untrained)
        self.zoom.separately_trained = bool(info.config.trained)
        self.measures_panel.difference.separately_trained = bool(info.config.trained)
        if self.zoom.key is None or self.zoom.key[0] not in layer_names:
            first = next((ly.name for ly in info.layers if "site" in ly.kind), None)
            if first is not None:  # follow channel 0 of the first downsampling site
                self.send(Zoom(first, 0))
        self.status_device.setText(f"device {info.device}")
        self.show_message(f"{info.model}: {len(info.variants)} variants x "
                          f"{len(layer_names)} layers")

    def _on_source(self, info: SourceInfo) -> None:
        self.set_frozen(False)  # a new source opened: live (the session unfroze too)
        self.source_info = info
        self.controls.show_source(info.name, info.size)
        self.controls.set_video(info.frame_count)
        self.show_message(f"source {info.name}")

    def _on_result(self) -> None:
        shown = self.transport.take_latest()
        if shown is None:
            return
        r = shown.result
        if self.info is None or r.variants != self.info.variants or r.layers != tuple(
                ly.name for ly in self.info.layers):
            return  # made before the last layout change: drop it
        self.last = shown
        self.grid.show_result(r, shown.lut)
        self.panel.show_input(r.input_image)
        if shown.zoom:
            self.zoom.show_zoom(shown.zoom, shown.zoom_key)
        self._show_measures(shown)
        if self.source_info is not None:
            self.controls.set_position(shown.source_position, self.source_info.frame_count)
        now = time.monotonic()
        latency = now - r.captured_at
        if not shown.stats.get("frozen"):   # a frozen frame was captured long ago
            self.latencies.append(latency)
        self._shown_times.append(now)
        self.frames_shown += 1
        self._update_rates(shown)
        self._record_frame(shown)
        self.displayed.emit(latency)

    def _update_rates(self, shown: Shown) -> None:
        """Every frame shown: the status describes the frame on screen, never an older one."""
        t = self._shown_times
        disp = (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 0.0
        lat = sorted(list(self.latencies)[-30:])
        live = lat and not shown.stats.get("frozen")
        self.status_rates.setText(rates_text(shown, disp, 1000 * lat[len(lat) // 2]
                                             if live else None))

    def show_error(self, message: str) -> None:
        self.last_error = message
        self.status_message.setText(f"⚠ {message}")
        self.status_message.setToolTip(message)   # the whole line, however narrow the window
        self.status_message.setStyleSheet("color:#ff9a8a;")

    def show_message(self, message: str) -> None:
        self.status_message.setText(message + (f"   (last error: {self.last_error})"
                                               if self.last_error else ""))
        self.status_message.setStyleSheet("")

