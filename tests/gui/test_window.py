"""The explorer as a user drives it: live results, grid changes, freeze and nudge, export,
bad files, shortcuts, settings, and a clean shutdown."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication

from engine.display.colormaps import colormap
from engine.display.mosaic import mosaic_size, shrink_for
from engine.session.commands import Seek, StepFrame
from engine.sources.preprocess import shift_image


def wait_new(qtbot, w, cond=lambda shown: True, timeout=20_000):
    """Wait for a result shown after now that satisfies ``cond``; return it."""
    start = w.frames_shown
    qtbot.waitUntil(lambda: w.frames_shown > start and cond(w.last), timeout=timeout)
    return w.last


def test_window_opens_on_a_pattern_and_results_arrive(window, qtbot):
    qtbot.waitUntil(lambda: window.frames_shown >= 5, timeout=20_000)
    info = window.info
    assert info.model == "tiny" and info.variants == ("max", "avg", "stride", "blur")
    assert len(window.grid.cells) == 4 * 8
    item = window.grid.cells[("blur", "features.2")]
    side = window.grid.resolution                   # what the grid asked for at its zoom
    assert 64 <= side <= 1024 and window.transport.config.max_side == side
    expect = mosaic_size((16, 112, 112), shrink_for((16, 112, 112), side))
    assert item.image.shape == expect and item.image.dtype == np.uint8
    assert item.view_info.mosaic.shape == expect and item.view_info.mosaic.max() > 0
    painted = item.rendered()                      # Qt colours it with the engine's table
    assert painted.shape == (*expect, 3) and painted.max() > painted.min()
    lut = {tuple(c) for c in colormap("viridis").lut.tolist()}
    assert {tuple(c) for c in painted.reshape(-1, 3)[::50].tolist()} <= lut
    assert window.input_item.image.shape == (224, 224, 3)
    assert "display" in window.status_rates.text() and "network" in window.status_rates.text()
    assert window.banner.isVisible()


def test_only_rows_on_screen_get_mosaics_and_rows_scrolled_to_are_filled(window, qtbot):
    grid = window.grid
    first, last = grid.layers[0], grid.layers[-1]

    def only(cell, row):
        """Show ``cell`` (again, if a late resize fitted the grid) until the engine builds
        exactly its row and the zoom strip's; the newest result."""
        def shown() -> bool:
            if not grid.view.viewRect().contains(cell.center()) or \
                    grid.view.viewRect().width() > 2 * cell.width():
                grid.view.setRange(cell, padding=0)
            last = window.last
            zoomed = {last.zoom_key[0]} if last.zoom_key else set()
            return set(last.result.views["max"]) == {row} | zoomed
        qtbot.waitUntil(shown, timeout=30_000)
        return window.last.result

    top = grid.cells[("max", first)]
    r = only(top.cell, first)                              # zoom into one cell
    assert grid.rows_on_screen == (first,)
    assert r.layers == tuple(grid.layers)                  # every row still runs and is known
    side = grid.resolution                                 # one cell fills the view: larger
    assert max(r.views["max"][first].mosaic.shape) <= side and side > 64
    low = grid.cells[("avg", last)]                       # the last row: off screen now
    before = low.image.copy()
    r = only(low.cell, last)                               # scroll down to it
    assert len(r.views["max"]) <= 2                     # that row and the zoomed one
    assert first not in r.views["avg"]                     # and the top row is off screen now
    qtbot.waitUntil(lambda: np.array_equal(low.image, low.view_info.mosaic), timeout=20_000)
    assert low.image.max() > 0 and not np.array_equal(low.image, before)
    grid.fit()                                            # every row again
    wait_new(qtbot, window, lambda s: set(s.result.views["max"]) == set(grid.layers))


def test_grid_follows_variant_and_layer_changes(window, qtbot):
    window.controls.variant_boxes["avg"].setChecked(False)
    qtbot.waitUntil(lambda: window.info.variants == ("max", "stride", "blur"), timeout=30_000)
    assert {v for v, _ in window.grid.cells} == {"max", "stride", "blur"}
    wait_new(qtbot, window)
    layers = window.controls.layers
    for i in range(layers.count()):
        if layers.item(i).data(Qt.ItemDataRole.UserRole) != "features.5":
            layers.item(i).setCheckState(Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: [ly.name for ly in window.info.layers] == ["features.5"],
                    timeout=30_000)
    assert {ly for _, ly in window.grid.cells} == {"features.5"}
    shown = wait_new(qtbot, window)
    assert shown.result.layers == ("features.5",)


def test_too_few_variants_are_refused_with_a_message(window, qtbot):
    for name in ("avg", "stride", "blur"):
        window.controls.variant_boxes[name].setChecked(False)
    assert "choose 2 to 5 variants" in window.status_message.text()
    assert len(window.info.variants) >= 2


def test_freeze_and_nudge_shift_the_input_exactly(window, qtbot):
    window.set_frozen(True)
    base = wait_new(qtbot, window, lambda s: s.stats["frozen"]).result.input_image
    window.nudge(1, 0)
    moved = wait_new(qtbot, window, lambda s: s.stats["nudge"] == (1.0, 0.0)).result.input_image
    assert (moved[:, :-1] == base[:, 1:]).all()             # the window moved right one pixel
    assert (moved[:, -1] == base[:, -1]).all()               # the edge repeats: no wrap-around
    window.nudge(0.25, 0)
    quarter = wait_new(qtbot, window, lambda s: s.stats["nudge"] == (1.25, 0.0))
    assert (quarter.result.input_image == shift_image(base, 1.25, 0)).all()
    frozen_index = quarter.result.frame_index
    status = window.status_rates.text()       # the frame on screen, as soon as it is shown
    assert status.startswith(f"frame {frozen_index}  ·  FROZEN, nudge (+1.25, +0) px")
    assert "latency" not in status            # a frozen frame's age says nothing
    window.set_frozen(False)
    live = wait_new(qtbot, window, lambda s: not s.stats["frozen"])
    assert live.result.frame_index > frozen_index


def test_nudge_needs_a_frozen_frame(window):
    window.nudge(1, 0)
    assert "freeze first" in window.status_message.text()


def test_screenshot_writes_a_png_and_never_overwrites(window, qtbot):
    a, b = window.save_screenshot(), window.save_screenshot()
    assert a != b and a.is_file() and b.is_file() and a.stat().st_size > 10_000


def test_export_activations_writes_what_the_command_writes(window, qtbot):
    window.controls.npz.setChecked(True)
    shown = wait_new(qtbot, window)
    on_screen = shown.result.views["blur"]["features.0"].mosaic.shape
    with qtbot.waitSignal(window.transport.exported, timeout=30_000) as sig:
        window.export_activations()
    folder = Path(sig.args[0])
    frame = folder / "frame_0000"
    assert (frame / "sheet.png").is_file() and (frame / "input.png").is_file()
    record = json.loads((frame / "record.json").read_text())
    assert record["frame_index"] == window.last.result.frame_index or record["frame_index"] >= 0
    assert len(list((frame / "blur").glob("*.png"))) == 8
    assert np.load(frame / "activations.npz")["max/features.2"].shape == (16, 112, 112)
    # the mosaics at native resolution, as `main.py export` writes them, not as shown
    png = cv2.imread(str(frame / "blur" / "features.0.png"))
    assert png.shape[:2] == mosaic_size((16, 224, 224)) == (899, 899) != on_screen
    assert str(folder) in window.status_message.text()


def test_a_failed_open_keeps_the_video_playing(make_window, qtbot, video_files, not_image):
    w = make_window(str(video_files["avi"]))
    qtbot.waitUntil(lambda: w.frames_shown >= 2 and w.source_info is not None, timeout=30_000)
    w.open_source(str(not_image))
    qtbot.waitUntil(lambda: "notes.png" in w.last_error, timeout=20_000)
    assert w.source_info.name == str(video_files["avi"])
    assert w.controls.source_label.text().startswith(str(video_files["avi"]))
    seen = {wait_new(qtbot, w).source_position for _ in range(4)}
    assert len(seen) >= 2                                    # it still plays
    qtbot.keyClick(w, Qt.Key.Key_Space)                      # and Space and step still work
    at = wait_new(qtbot, w, lambda s: s.stats["frozen"]).source_position
    w.send(StepFrame())
    assert wait_new(qtbot, w, lambda s: s.source_position != at).source_position == (at + 1) % 12


def test_copy_sheet_puts_an_image_on_the_clipboard(window):
    window.copy_sheet()
    image = QGuiApplication.clipboard().image()
    assert not image.isNull() and image.width() > 500


def _drop(window, path: Path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_a_bad_dropped_file_shows_its_error_and_the_next_good_one_works(window, qtbot,
                                                                        not_image, rgb_png):
    _drop(window, not_image)
    qtbot.waitUntil(lambda: "not an image" in window.last_error, timeout=20_000)
    assert "notes.png" in window.status_message.text()
    _drop(window, rgb_png)
    qtbot.waitUntil(lambda: window.source_info.name == str(rgb_png), timeout=20_000)
    shown = wait_new(qtbot, window)
    assert shown.result.input_image.shape == (224, 224, 3)


def test_a_video_can_be_paused_stepped_and_sought(make_window, qtbot, video_files):
    w = make_window(str(video_files["avi"]))
    qtbot.waitUntil(lambda: w.frames_shown >= 2 and w.source_info is not None, timeout=30_000)
    assert w.controls.seek.isEnabled() and w.controls.seek.maximum() == 11
    w.set_frozen(True)
    now = wait_new(qtbot, w, lambda s: s.stats["frozen"]).source_position
    w.send(StepFrame())
    stepped = wait_new(qtbot, w, lambda s: s.source_position != now)
    assert stepped.source_position == (now + 1) % 12
    w.send(Seek(7))
    sought = wait_new(qtbot, w, lambda s: s.source_position == 7)
    assert sought.result.frame_index == 7


def test_an_absent_camera_is_reported_and_the_window_keeps_working(window, qtbot):
    window.open_source("camera:9")
    qtbot.waitUntil(lambda: "camera 9" in window.last_error, timeout=20_000)
    window.open_source("pattern:checker")
    qtbot.waitUntil(lambda: window.source_info.name == "pattern:checker", timeout=20_000)
    wait_new(qtbot, window)


def test_clicking_a_channel_follows_it_in_the_zoom_strip(window, qtbot):
    window.grid.channel_clicked.emit("features.5", "max", 3)
    shown = wait_new(qtbot, window, lambda s: s.zoom_key == ("features.5", 3))
    assert set(shown.zoom) == set(shown.result.variants)
    assert shown.zoom["blur"].shape == (56, 56)
    assert window.zoom.images["blur"].image.shape == (56, 56)


def test_mosaic_pixel_maps_to_its_channel(window):
    item = window.grid.cells[("max", "features.2")]
    v = item.view_info
    th = v.shape[1] // v.shrink
    rows, cols = 4, 4
    assert item.channel_at(1, 1)[0] == 0
    assert item.channel_at((th + 1) * 2 + 1, (th + 1) * 1 + 1)[0] == cols * 1 + 2
    assert item.channel_at(th, 1) is None  # the gutter
    assert rows * cols == 16


def test_help_overlay_toggles_with_f1_and_question_mark(window, qtbot):
    assert not window.help.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert window.help.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert not window.help.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    assert window.help.isVisible()


def test_space_freezes_and_arrow_keys_nudge(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.frozen
    wait_new(qtbot, window, lambda s: s.stats["frozen"])
    qtbot.keyClick(window, Qt.Key.Key_Right)
    wait_new(qtbot, window, lambda s: s.stats["nudge"] == (1.0, 0.0))
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    wait_new(qtbot, window, lambda s: s.stats["nudge"] == (0.75, 0.0))
    assert "FROZEN" in window.status_rates.text() or window.frames_shown % 5


def test_settings_persist_between_launches(make_window, qtbot, settings):
    w = make_window("pattern:grating", model="tiny", variants=("max", "blur"))
    qtbot.waitUntil(lambda: w.frames_shown >= 1, timeout=30_000)
    w.close()
    assert not w.transport.running()
    from gui.app import make_config

    class Args:
        source = model = variants = device = input_size = None
        seed = 0

    config, source = make_config(Args(), settings)
    assert source == "pattern:grating"
    assert config.variants == ("max", "blur") and config.model == "tiny"


@pytest.mark.parametrize("key", [Qt.Key.Key_Q])
def test_ctrl_q_closes_and_stops_the_thread(window, qtbot, key):
    qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert not window.transport.running()


def test_an_unavailable_device_is_reported_and_the_engine_keeps_running(window, qtbot):
    window.controls.device.setCurrentText("cuda")
    window.controls.device_changed.emit("cuda")
    qtbot.waitUntil(lambda: "cuda" in window.last_error.lower(), timeout=20_000)
    qtbot.waitUntil(lambda: window.config.device == "cpu", timeout=20_000)
    assert window.transport.config.device == "cpu"
    wait_new(qtbot, window)


def test_a_weights_file_loads_and_the_random_weights_banner_goes(window, qtbot, tmp_path):
    import torch

    from engine.network.load import load_network

    state = {k: t + 0.01 for k, t in load_network("tiny", ["max"]).plain.state_dict().items()}
    torch.save(state, tmp_path / "tiny.pt")
    window._engine_request("weights", str(tmp_path / "tiny.pt"))
    qtbot.waitUntil(lambda: not window.info.untrained, timeout=30_000)
    assert not window.banner.isVisible()
    assert window.controls.weights.currentData() == str(tmp_path / "tiny.pt")
    (tmp_path / "bad.pt").write_bytes(b"not weights")
    window._engine_request("weights", str(tmp_path / "bad.pt"))
    qtbot.waitUntil(lambda: "bad.pt" in window.last_error, timeout=30_000)
    assert window.transport.config.weights == str(tmp_path / "tiny.pt")   # the good ones stay


def test_the_app_opens_on_shared_trained_weights_by_default(settings):
    from gui.app import SHIPPED, make_config

    class Args:
        source = model = variants = device = input_size = weights = trained = None
        seed = 0

    config, _ = make_config(Args(), settings)   # one trained network in every column
    assert config.weights == f"{SHIPPED}/tiny-max.pt" and config.trained is None
    settings.setValue("weights_choice", "trained")  # the user chose the trained set last time
    config, _ = make_config(Args(), settings)
    assert config.trained == SHIPPED and config.weights is None
    settings.setValue("weights_choice", "other")    # ... or random weights
    config, _ = make_config(Args(), settings)
    assert config.trained is None and config.weights is None


def test_a_model_switch_brings_its_own_weights_input_size_and_weight_choices(make_window,
                                                                            qtbot):
    from gui.app import SHIPPED

    w = make_window(weights=f"{SHIPPED}/tiny-max.pt")
    qtbot.waitUntil(lambda: w.info is not None and w.info.input_size == (64, 64),
                    timeout=30_000)
    choices = [w.controls.weights.itemText(i) for i in range(w.controls.weights.count())]
    assert choices[0].startswith("shared weights") and "ImageNet (download)" not in choices
    w.controls.model_changed.emit("resnet18")
    qtbot.waitUntil(lambda: w.info.model == "resnet18", timeout=60_000)
    assert w.info.input_size == (224, 224) and w.info.untrained
    choices = [w.controls.weights.itemText(i) for i in range(w.controls.weights.count())]
    assert "ImageNet (download)" in choices and not any("shipped" in c for c in choices)
    w.controls.model_changed.emit("tiny")
    qtbot.waitUntil(lambda: w.info.model == "tiny", timeout=60_000)
    assert w.info.input_size == (64, 64) and not w.info.untrained
    assert w.transport.config.weights == f"{SHIPPED}/tiny-max.pt"
    assert w.controls.weights.currentText().startswith("shared weights")


def test_a_trained_checkpoint_as_shared_weights_brings_its_class_names():
    from engine.network.load import load_network
    from gui.app import SHIPPED

    net = load_network("tiny", ["max", "blur"], weights=f"{SHIPPED}/tiny-max.pt")
    assert net.labels[0] == "circle" and net.input_size == (64, 64)
    assert net.variants["blur"].model.fc.weight.data_ptr() == net.plain.fc.weight.data_ptr()


def test_open_model_loads_the_users_own_model(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    src = tmp_path / "mine.py"
    src.write_text("from torch import nn\n\n\ndef model():\n    return nn.Sequential(\n"
                   "        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),\n"
                   "        nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU())\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(src), ""))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("model", True))
    window.controls.model_file_requested.emit()
    qtbot.waitUntil(lambda: window.info.model == f"{src}:model", timeout=30_000)
    shown = wait_new(qtbot, window)
    assert shown.result.layers[-1] == "3"               # the strided conv site, by its path
    assert window.controls.model.currentData() == f"{src}:model"


def test_top_predictions_are_shown_with_class_names(make_window, qtbot):
    from gui.app import SHIPPED

    w = make_window(trained=SHIPPED)
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=30_000)
    wait_new(qtbot, w)
    text = w.grid.prediction_labels["blur"].text()
    assert text.startswith("top-1: ") and text.split()[1] in (
        "circle", "square", "triangle", "cross", "ring", "stripes")


def test_shared_weights_mode_from_the_shipped_max_network(window, qtbot):
    combo = window.controls.weights
    i = next(k for k in range(combo.count()) if "shared weights" in combo.itemText(k))
    combo.setCurrentIndex(i)
    combo.activated.emit(i)
    qtbot.waitUntil(lambda: window.info.config.weights == combo.itemData(i), timeout=30_000)
    assert not window.info.untrained and window.info.config.trained is None
    shown = wait_new(qtbot, window)
    assert shown.result.predictions["blur"][0].label in ("circle", "square", "triangle",
                                                        "cross", "ring", "stripes")


def test_command_line_circular_option_reaches_the_engine_config(settings):
    import main as cli
    from gui.app import make_config

    args = cli.build_parser().parse_args(["--circular", "--model", "tiny"])
    config, _ = make_config(args, settings)
    assert config.circular is True and config.measure_every > 0
    config, _ = make_config(cli.build_parser().parse_args([]), settings)
    assert config.circular is False


def test_a_folded_row_is_drawn_at_the_same_size_and_labelled(window):
    grid = window.grid
    folded, full = grid.cells[("stride", "features.0")], grid.cells[("max", "features.0")]
    assert folded.view_info is not None and folded.view_info.shape[1:] == (112, 112)
    assert full.view_info.shape[1:] == (224, 224)
    assert folded.cell.height() == full.cell.height()                # same on-screen size
    assert abs(folded.cell.width() - full.cell.width()) < 1.0         # tiles line up
    assert grid.captions[("stride", "features.0")].text() == "stride folded here"
    # every conv whose pool's stride was folded into it, in the stride column only
    assert set(grid.captions) == {("stride", f"features.{i}") for i in (0, 3, 6, 9)}


def test_the_frame_fit_is_chosen_in_the_window(window, qtbot):
    i = window.controls.fit.findData("letterbox")
    window.controls.fit.setCurrentIndex(i)
    window.controls.fit.activated.emit(i)
    qtbot.waitUntil(lambda: window.info.config.fit == "letterbox", timeout=30_000)
    assert window.transport.config.fit == "letterbox"
    assert window.controls.fit.currentData() == "letterbox"


def test_before_the_network_is_built_the_window_shows_what_is_coming(qtbot, settings, tmp_path):
    from engine.engine import EngineConfig
    from gui.app import SHIPPED
    from gui.main_window import DISPLAY_MAX_SIDE, MainWindow

    cfg = EngineConfig(max_side=DISPLAY_MAX_SIDE, device="cpu", variants=("max", "blur"),
                       weights=f"{SHIPPED}/tiny-max.pt")
    w = MainWindow(cfg, "pattern:shapes", settings, cameras=[], export_folder=str(tmp_path))
    qtbot.addWidget(w)
    w.show()                                   # not started: nothing is built yet
    assert not w.banner.isVisible()            # no random-weights warning for trained weights
    ticked = [n for n, b in w.controls.variant_boxes.items() if b.isChecked()]
    assert ticked == ["max", "blur"]
    assert w.controls.weights.currentText().startswith("shared weights")
    w.shutdown()


def test_the_controls_say_what_runs_and_whether_it_is_frozen(window, qtbot):
    assert window.controls.pattern.currentText() == "shapes"       # the pattern that runs
    window.set_frozen(True)
    assert window.controls.freeze.text().startswith("Frozen")
    window.set_frozen(False)
    assert window.controls.freeze.text() == "Freeze (Space)"
    live = window.measures_panel.live
    live.metric.setCurrentIndex(live.metric.findData("shift_cosine"))
    said = live._describe_history(("max", "features.0"), 3, 0.1)
    assert "0 = moves exactly with the input" in said and "lower is better" in said


def test_a_3_second_recording_has_fps_times_elapsed_frames(window, qtbot, tmp_path):
    import time

    import cv2

    from gui.record_actions import RECORD_FPS

    window.toggle_recording()
    rec = window.recorder
    assert rec is not None and rec.codec == "h264"
    t0 = time.monotonic()
    qtbot.wait(3000)
    shown = window.frames_shown
    qtbot.waitUntil(lambda: window.frames_shown > shown, timeout=10_000)  # one more frame
    elapsed = time.monotonic() - t0
    window.toggle_recording()
    assert window.recorder is None and "recorded" in window.status_message.text()
    assert abs(window.recorded_seconds - elapsed) < 0.5
    assert abs(rec.frames - RECORD_FPS * window.recorded_seconds) <= 1
    cap = cv2.VideoCapture(str(rec.path))
    n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        n += 1
        assert frame.shape[1::-1] == rec.size
    assert n == rec.frames and rec.path.parent == tmp_path / "exp"
    window.toggle_recording()                 # a second one is a new file, never the same
    window.toggle_recording()
    assert len(list((tmp_path / "exp").glob("recording-*.mp4"))) == 2
