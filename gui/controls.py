"""The side dock: source, model, variants, layers, device, input size, normalisation, colours,
video transport and export settings. It only emits what the user asked for; the main window
turns that into commands for the session."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import COLORMAPS, NETWORKS, NORM_MODES, OPERATORS, PATTERNS, PUBLISHED, RESOURCES

DEVICES = ("auto", "cpu", "cuda", "mps")


class Controls(QWidget):
    """Signals carry plain values; nothing here touches the engine."""

    source_requested = Signal(str)          # a source spec ("camera:0", "pattern:shapes", path)
    open_file_requested = Signal()
    open_folder_requested = Signal()
    model_changed = Signal(str)
    model_file_requested = Signal()
    weights_changed = Signal(object)        # None (random), "imagenet", or a file path
    weights_file_requested = Signal()
    variants_changed = Signal(list)
    layers_changed = Signal(list)
    device_changed = Signal(str)
    input_size_changed = Signal(int)        # 0: the network's own
    norm_changed = Signal(str)
    fit_changed = Signal(str)               # crop, squash or letterbox
    colormap_changed = Signal(str)
    gamma_changed = Signal(float)
    freeze_toggled = Signal(bool)
    step_requested = Signal()
    seek_requested = Signal(int)
    play_toggled = Signal(bool)
    mirror_toggled = Signal(bool)
    export_requested = Signal()
    screenshot_requested = Signal()
    export_folder_requested = Signal()

    def __init__(self, cameras: list[int], parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)

        src = QGroupBox("Source")
        f = QFormLayout(src)
        self.camera = QComboBox()
        self.camera.addItem("(choose a camera)" if cameras else "no camera found", None)
        for i in cameras:
            self.camera.addItem(f"Camera {i}", f"camera:{i}")
        self.camera.activated.connect(lambda _: self._emit_combo(self.camera))
        self.pattern = QComboBox()
        self.pattern.addItem("(choose a pattern)", None)
        for name in PATTERNS:
            self.pattern.addItem(name, f"pattern:{name}")
        self.pattern.activated.connect(lambda _: self._emit_combo(self.pattern))
        buttons = QHBoxLayout()
        self.open_file = QPushButton("Open file…")
        self.open_folder = QPushButton("Open folder…")
        self.open_file.clicked.connect(self.open_file_requested)
        self.open_folder.clicked.connect(self.open_folder_requested)
        buttons.addWidget(self.open_file)
        buttons.addWidget(self.open_folder)
        self.source_label = QLabel("—")
        self.source_label.setWordWrap(True)
        self.mirror = QCheckBox("Mirror (M)")
        self.mirror.toggled.connect(self.mirror_toggled)
        f.addRow("Camera", self.camera)
        f.addRow("Pattern", self.pattern)
        f.addRow(buttons)
        f.addRow("Now", self.source_label)
        f.addRow(self.mirror)
        lay.addWidget(src)

        video = QGroupBox("Frame")
        v = QVBoxLayout(video)
        row = QHBoxLayout()
        self.freeze = QPushButton("Freeze (Space)")
        self.freeze.setCheckable(True)
        self.freeze.toggled.connect(self.freeze_toggled)
        self.play = QPushButton("Pause")
        self.play.setCheckable(True)
        self.play.toggled.connect(lambda on: self.play_toggled.emit(not on))
        self.step = QPushButton("Step (.)")
        self.step.clicked.connect(self.step_requested)
        for b in (self.freeze, self.play, self.step):
            row.addWidget(b)
        v.addLayout(row)
        self.seek = QSlider(Qt.Orientation.Horizontal)
        self.seek.setEnabled(False)
        self.seek.sliderReleased.connect(lambda: self.seek_requested.emit(self.seek.value()))
        self.position = QLabel("")
        v.addWidget(self.seek)
        v.addWidget(self.position)
        self.nudge_label = QLabel("While frozen: arrows nudge 1 px, Shift+arrows ¼ px, "
                                  "Home resets")
        self.nudge_label.setWordWrap(True)
        v.addWidget(self.nudge_label)
        lay.addWidget(video)

        net = QGroupBox("Network")
        f = QFormLayout(net)
        self.model = QComboBox()
        for name, spec in NETWORKS.items():
            self.model.addItem(name, name)
            self.model.setItemData(self.model.count() - 1, spec.description,
                                   Qt.ItemDataRole.ToolTipRole)
        self.model.addItem("Open model…", "__open__")
        self.model.setItemData(self.model.count() - 1, "your own: a .py file and the function "
                               "in it that returns an nn.Module", Qt.ItemDataRole.ToolTipRole)
        self.model.activated.connect(lambda _: self._chosen(
            self.model, self.model_file_requested, self.model_changed))
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        self.device.activated.connect(lambda _: self.device_changed.emit(self.device.currentText()))
        self.input_size = QSpinBox()
        self.input_size.setRange(0, 1024)
        self.input_size.setSingleStep(16)
        self.input_size.setSpecialValueText("network's own")
        self.input_size.editingFinished.connect(
            lambda: self.input_size_changed.emit(self.input_size.value()))
        self.weights = QComboBox()
        self._weights_for = None
        self.set_weight_choices("tiny")
        self.weights.activated.connect(lambda _: self._chosen(
            self.weights, self.weights_file_requested, self.weights_changed))
        f.addRow("Model", self.model)
        f.addRow("Weights", self.weights)
        f.addRow("Device", self.device)
        f.addRow("Input size", self.input_size)
        self.variant_boxes: dict[str, QCheckBox] = {}
        vgrid = QGridLayout()
        for i, name in enumerate(OPERATORS):
            box = QCheckBox(name)
            box.setToolTip(OPERATORS[name].label)
            box.toggled.connect(self._variants_toggled)
            self.variant_boxes[name] = box
            vgrid.addWidget(box, i // 3, i % 3)
        f.addRow("Variants", vgrid)
        lay.addWidget(net)

        view = QGroupBox("View")
        f = QFormLayout(view)
        self.fit = QComboBox()
        for name, tip in (("crop", "the centre of the frame at the network's aspect ratio"),
                          ("squash", "the whole frame, stretched"),
                          ("letterbox", "the whole frame, shrunk inside, bands filled")):
            self.fit.addItem(name, name)
            self.fit.setItemData(self.fit.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.fit.activated.connect(lambda _: self.fit_changed.emit(self.fit.currentData()))
        f.addRow("Frame fit", self.fit)
        self.norm = QComboBox()
        self.norm.addItems(NORM_MODES)
        self.norm.setToolTip("shared: one range per layer across variants (fair comparison)")
        self.norm.activated.connect(lambda _: self.norm_changed.emit(self.norm.currentText()))
        self.cmap = QComboBox()
        self.cmap.addItems(list(COLORMAPS))
        self.cmap.activated.connect(lambda _: self.colormap_changed.emit(self.cmap.currentText()))
        self.gamma = QDoubleSpinBox()
        self.gamma.setRange(0.2, 2.0)
        self.gamma.setSingleStep(0.1)
        self.gamma.setValue(0.5)
        self.gamma.setToolTip("display gamma: below 1 lifts small values, the same way in "
                              "every variant (the colour bar shows the mapping)")
        self.gamma.valueChanged.connect(lambda g: None if self._quiet else
                                        self.gamma_changed.emit(float(g)))
        f.addRow("Normalisation", self.norm)
        f.addRow("Colour map", self.cmap)
        f.addRow("Gamma", self.gamma)
        self.layers = QListWidget()
        self.layers.setMinimumHeight(120)
        self.layers.itemChanged.connect(self._layers_toggled)
        f.addRow("Layers", self.layers)
        lay.addWidget(view)

        ex = QGroupBox("Export")
        e = QVBoxLayout(ex)
        self.folder_label = QLabel("")
        self.folder_label.setWordWrap(True)
        choose = QPushButton("Export folder…")
        choose.clicked.connect(self.export_folder_requested)
        self.npz = QCheckBox("Include float activations (.npz)")
        export = QPushButton("Export activations (Ctrl+E)")
        export.clicked.connect(self.export_requested)
        shot = QPushButton("Save screenshot (Ctrl+S)")
        shot.clicked.connect(self.screenshot_requested)
        for w in (self.folder_label, choose, self.npz, export, shot):
            e.addWidget(w)
        lay.addWidget(ex)
        lay.addStretch(1)
        adjust = QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        for combo in self.findChildren(QComboBox):  # long entries must not widen the dock
            combo.setSizeAdjustPolicy(adjust)
            combo.setMinimumContentsLength(10)
        self._quiet = False

    # -- helpers ----------------------------------------------------------------------------
    def _emit_combo(self, combo: QComboBox) -> None:
        spec = combo.currentData()
        if spec:
            self.source_requested.emit(spec)

    @staticmethod
    def _chosen(combo: QComboBox, open_file, changed) -> None:
        """A choice in a combo whose last entry asks for a file ("Open …")."""
        value = combo.currentData()
        if value == "__open__":
            open_file.emit()
        else:
            changed.emit(value)

    def _variants_toggled(self) -> None:
        if self._quiet:
            return
        chosen = [n for n, b in self.variant_boxes.items() if b.isChecked()]
        if not 2 <= len(chosen) <= 5:
            return  # the main window says why in the status bar
        self.variants_changed.emit(chosen)

    def chosen_variants(self) -> list[str]:
        return [n for n, b in self.variant_boxes.items() if b.isChecked()]

    def _layers_toggled(self, _item=None) -> None:
        if self._quiet:
            return
        chosen = [self.layers.item(i).data(Qt.ItemDataRole.UserRole)
                  for i in range(self.layers.count())
                  if self.layers.item(i).checkState() == Qt.CheckState.Checked]
        if chosen:
            self.layers_changed.emit(chosen)

    def set_weight_choices(self, model: str) -> None:
        """Offer only the weights that fit ``model``: tiny's shipped checkpoints (shared in
        every column, the default, or each variant its own), ImageNet for the networks that
        have published weights, random, or a file."""
        if model == self._weights_for:
            return
        self._weights_for = model
        w = self.weights
        w.clear()
        shipped = RESOURCES / "checkpoints"
        if model == "tiny" and (shipped / "tiny-max.pt").is_file():
            w.addItem("shared weights: trained max (shipped)", str(shipped / "tiny-max.pt"))
            w.setItemData(w.count() - 1, "one trained network in every column: only the "
                          "operator differs, so channels compare", Qt.ItemDataRole.ToolTipRole)
            w.addItem("trained separately (shipped)", f"trained:{shipped.resolve()}")
            w.setItemData(w.count() - 1, "each variant trained its own way: channel k is not "
                          "the same feature in each column", Qt.ItemDataRole.ToolTipRole)
        w.addItem("random (seeded)", None)
        if model in PUBLISHED:
            w.addItem("ImageNet (download)", "imagenet")
            w.setItemData(w.count() - 1, "the published torchvision weights",
                          Qt.ItemDataRole.ToolTipRole)
        w.addItem("Open weights file…", "__open__")

    def set_state(self, *, model=None, variants=None, device=None, norm=None, cmap=None,
                  gamma=None, all_layers=None, layers=None, input_size=None,
                  weights=False, fit=None) -> None:
        """Show the engine's state without echoing it back as requests."""
        self._quiet = True
        try:
            if model is not None:
                if self.model.findData(model) < 0:  # the user's own model
                    self.model.insertItem(self.model.count() - 1, model.rsplit("/", 1)[-1],
                                          model)
                self.model.setCurrentIndex(self.model.findData(model))
                self.set_weight_choices(model)
            if variants is not None:
                for n, b in self.variant_boxes.items():
                    b.setChecked(n in variants)
            if device is not None:
                self.device.setCurrentText(device)
            if weights is not False:
                if self.weights.findData(weights) < 0:  # a file or a folder
                    self.weights.insertItem(self.weights.count() - 1,
                                            str(weights).rsplit("/", 1)[-1], weights)
                self.weights.setCurrentIndex(self.weights.findData(weights))
            if norm is not None:
                self.norm.setCurrentText(norm)
            if fit is not None:
                self.fit.setCurrentIndex(max(0, self.fit.findData(fit)))
            if cmap is not None:
                self.cmap.setCurrentText(cmap)
            if gamma is not None:
                self.gamma.setValue(gamma)
            if input_size is not None:
                self.input_size.setValue(input_size)
            if all_layers is not None:
                self.layers.clear()
                shown = set(layers or [])
                for ly in all_layers:
                    item = QListWidgetItem(f"{ly.name}  ({ly.kind})")
                    item.setData(Qt.ItemDataRole.UserRole, ly.name)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Checked if ly.name in shown
                                       else Qt.CheckState.Unchecked)
                    self.layers.addItem(item)
        finally:
            self._quiet = False

    def show_source(self, name: str, size) -> None:
        """The source now running: named, and chosen in its box (a pattern, a camera)."""
        self.source_label.setText(f"{name} ({size[0]}x{size[1]})")
        for combo in (self.pattern, self.camera):
            i = combo.findData(name)
            combo.setCurrentIndex(i if i >= 0 else 0)

    def show_frozen(self, on: bool) -> None:
        """The Freeze button says what it does now, and shows it is held down."""
        self.freeze.setText("Frozen: Space resumes" if on else "Freeze (Space)")

    def set_video(self, frame_count: int) -> None:
        self.seek.setEnabled(frame_count > 0)
        self.seek.setRange(0, max(0, frame_count - 1))
        self.play.setEnabled(frame_count > 0)
        self.step.setEnabled(frame_count > 0)

    def set_position(self, index: int | None, frame_count: int) -> None:
        if index is None:
            self.position.setText("")
            return
        if not self.seek.isSliderDown():
            self.seek.setValue(index)
        self.position.setText(f"frame {index + 1} / {frame_count}")

