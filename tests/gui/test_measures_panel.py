"""The measures dock as a user drives it: live plots, network measures, cost, the shift probe,
receptive fields of a clicked unit, spectra, differences, and the export of the measures.

Every window here runs the shipped trained tiny network (64x64 input), with a measure job at
every frame it may take, so measures arrive within seconds.
"""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt

from engine.display.mosaic import GAP
from engine.engine import Engine, EngineConfig
from engine.measures.catalogue import NETWORK_ROW
from engine.measures.probes import receptive_field
from engine.measures.throttle import Throttle
from engine.session.commands import ShowSpectrum
from gui.app import SHIPPED
from gui.rf_panel import INACTIVE

SITES = ("features.2", "features.5", "features.8", "features.11")


@pytest.fixture
def mwin(make_window, qtbot):
    w = make_window(trained=SHIPPED, measure_every=1, measure_budget=0.5)
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=30_000)
    return w


@pytest.fixture(scope="module")
def reference():
    """An engine of its own, for what the window should show (no threads)."""
    e = Engine(EngineConfig(device="cpu", trained=SHIPPED))
    e.step(np.zeros((64, 64, 3), np.uint8))
    return e


def _tab(w, name: str):
    tabs = w.measures_panel.tabs
    i = next(k for k in range(tabs.count()) if tabs.tabText(k) == name)
    tabs.setCurrentIndex(i)
    return tabs.widget(i)


def _finite(curve) -> np.ndarray:
    """The y data of a curve (empty for a curve not made yet)."""
    if curve is None:
        return np.zeros(0)
    _, ys = curve.getData()
    return np.asarray(ys if ys is not None else [], dtype=float)


def test_live_plots_fill_with_the_measures_and_read_out_on_hover(mwin, qtbot):
    live = mwin.measures_panel.live
    assert live.isVisible() and live.chosen == "shift_cosine"
    variants = mwin.info.variants
    qtbot.waitUntil(lambda: live.count >= 3 and all(
        len(_finite(live.profile_curves.get(v))) >= 6 for v in variants), timeout=60_000)
    live.redraw(force=True)
    rows = [ly.name for ly in mwin.info.layers]
    assert set(live.plots) == set(rows)                        # one small plot per row
    m = mwin.measures_panel.measures
    for v in variants:
        xs, ys = live.profile_curves[v].getData()
        assert np.isfinite(ys).all() and len(ys) >= 6
        expect = [m.get("shift_cosine", v, rows[int(x)]) for x in xs]
        assert np.allclose(ys, expect)                         # the newest values by row
        assert 0 <= ys.min() and ys.max() <= 2                 # a cosine distance
        hist = _finite(live.curves[("features.2", v)])
        assert len(hist) >= 1 and np.isfinite(hist).all()
    # hovering a point names its variant, row, metric and value
    qtbot.wait(100)  # the plots take their new ranges when drawn
    p = live.plots["features.2"]
    xs, ys = live.curves[("features.2", "blur")].getData()
    live.hover._moved(p.getViewBox().mapViewToScene(QPointF(xs[-1], ys[-1])))
    text = live.readout.text()
    assert "features.2" in text and "shift_cosine" in text and f"{ys[-1]:.4g}" in text
    # site-only measures: one plot per downsampling site
    live.metric.setCurrentIndex(live.metric.findData("alias_fraction"))
    assert set(live.plots) == set(SITES)
    ys = _finite(live.profile_curves["max"])
    assert len(ys) == 4 and np.isfinite(ys).all() and (0 <= ys).all() and (ys <= 1).all()


def test_live_history_ends_at_zero_and_its_y_range_moves_only_with_the_data(mwin, qtbot):
    """x counts measure updates back from the newest (0); a redraw whose values stay inside
    the y range and fill a third of it keeps the range (and the axis drawn as it was)."""
    from gui.live_plots import HISTORY, _follow

    live = mwin.measures_panel.live
    qtbot.waitUntil(lambda: live.count >= 3 and all(
        len(_finite(live.curves.get(("features.2", v)))) >= 2 for v in mwin.info.variants),
        timeout=60_000)
    live.redraw(force=True)
    xs, _ = live.curves[("features.2", "max")].getData()
    assert xs.max() <= 0 and xs.min() >= 1 - HISTORY and xs.max() > -live.count
    p = live.plots["features.2"]
    y0, y1 = p.getViewBox().viewRange()[1]
    span = y1 - y0
    _follow(p, [np.array([y0 + 0.3 * span, y0 + 0.7 * span])])   # inside, 40% of it
    assert p.getViewBox().viewRange()[1] == [y0, y1]
    _follow(p, [np.array([y0 + 0.3 * span, y1 + span])])         # one value above it
    lo, hi = p.getViewBox().viewRange()[1]
    assert lo <= y0 + 0.3 * span and hi >= y1 + span
    _follow(p, [np.array([0.5, 0.5 + 1e-3 * span])])             # far narrower: zooms in
    lo, hi = p.getViewBox().viewRange()[1]
    assert lo <= 0.5 and 0.5 + 1e-3 * span <= hi and hi - lo < span / 10


def test_network_tab_shows_consistency_and_the_diagonal_test(mwin, qtbot):
    net = _tab(mwin, "Network")
    variants = mwin.info.variants

    def ready():
        m = mwin.measures_panel.measures
        return bool(m is not None and m.diagonal and all(
            np.isfinite(net.values.get("consistency", {}).get(v, np.nan)) for v in variants)
            and all(len(_finite(net.diagonal_curves.get(v))) for v in variants))

    qtbot.waitUntil(ready, timeout=60_000)
    assert not net.note.isVisible() and net.canvas.isVisible()
    m = mwin.measures_panel.measures
    heights = net.bars["consistency"].opts["height"]
    for i, v in enumerate(variants):
        assert 0 <= heights[i] <= 1
        assert net.values["consistency"][v] == pytest.approx(
            heights[i]) or np.isnan(m.get("consistency", v, NETWORK_ROW))
        ys = _finite(net.diagonal_curves[v])
        assert np.isfinite(ys).all() and (0 < ys).all() and (ys <= 1).all()
        n = net.counts[("consistency", v)]                # every share says its n and interval
        text = net.bar_labels[("consistency", v)].toPlainText()
        assert n and text.endswith(f"n={n}") and "–" in text.splitlines()[1]
    assert "95% interval" in net.bars["consistency"].parentItem().parentItem().titleLabel.text \
        if hasattr(net.bars["consistency"].parentItem().parentItem(), "titleLabel") else True
    mwin.set_frozen(True)                                 # a frozen frame: 200 pairs or more
    qtbot.waitUntil(lambda: all(mwin.measures_panel.measures.count(
        "consistency", v, NETWORK_ROW) >= 200 for v in variants), timeout=90_000)
    mwin.set_frozen(False)


def test_network_tab_says_so_when_there_is_no_classifier(qtbot):
    from gui.network_plots import NetworkPlots

    net = NetworkPlots()
    qtbot.addWidget(net)
    net.set_layout(("max", "blur"))
    net.show()
    net.show_measures(None, has_classifier=False)
    assert net.note.isVisible() and not net.canvas.isVisible()
    assert "no classifier" in net.note.text()


def test_cost_table_has_the_macs_of_every_row(mwin, qtbot, reference):
    table = _tab(mwin, "Cost")
    rows = [ly.name for ly in mwin.info.layers]
    qtbot.waitUntil(lambda: table.value("max", rows[0], "macs") is not None, timeout=60_000)
    cost = reference.meter.cost()
    assert table.rowCount() == len(rows) + 1
    for v in mwin.info.variants:
        for ly in rows:
            params, macs = cost[v][ly]
            assert table.value(v, ly, "macs") == macs
            assert table.value(v, ly, "params") == params
        assert table.value(v, rows[0], "ms") > 0
        assert table.value(v, "total (these rows)", "macs") == sum(cost[v][ly][1] for ly in rows)
    col = table.column("stride", 1)
    assert table.horizontalHeaderItem(col).text() == "stride\nMACs"
    assert table.item(0, col).text() == f"{cost['stride'][rows[0]][1]:,}"


def _click_unit(w, layer: str, variant: str, channel: int, y: int, x: int) -> tuple[int, int]:
    """A left click on the mosaic pixel of unit (channel, y, x); the (y, x) it selects."""
    item = w.grid.cells[(variant, layer)]
    v = item.view_info
    c, h, wd = v.shape
    th, tw = h // v.shrink, wd // v.shrink
    _, cols = v.grid
    px = (channel % cols) * (tw + GAP) + x // v.shrink + 0.5
    py = (channel // cols) * (th + GAP) + y // v.shrink + 0.5
    hit = item.channel_at(px, py)
    assert hit[0] == channel

    class Click:
        def button(self):
            return Qt.MouseButton.LeftButton

        def pos(self):
            return QPointF(px, py)

        def accept(self):
            pass

    item.mouseClickEvent(Click())
    return hit[1], hit[2]


def test_clicking_a_unit_draws_its_receptive_fields_and_the_erf_arrives(mwin, qtbot,
                                                                         reference):
    rf = _tab(mwin, "Receptive field")
    layer, ch = "features.5", 3
    mwin.grid.channel_clicked.emit(layer, "max", ch)             # follow it in the zoom strip
    qtbot.waitUntil(lambda: mwin.last.zoom_key == (layer, ch), timeout=20_000)
    z = mwin.last.zoom["max"]
    y, x = (int(i) for i in np.unravel_index(np.argmax(z), z.shape))  # an active unit
    y, x = _click_unit(mwin, layer, "max", ch, y, x)
    boxes = mwin.panel.rf_boxes
    qtbot.waitUntil(lambda: len(boxes) == len(mwin.info.variants), timeout=20_000)
    assert mwin.zoom.key == (layer, ch)                          # the zoom still follows
    for v, item in boxes.items():
        top, left, bottom, right = receptive_field(reference, v, layer, y, x)
        assert item.rect() == QRectF(left, top, right - left + 1, bottom - top + 1)
        assert item.scene() is mwin.panel.box.scene() and item.isVisible()
    assert "features.5 ch 3" in mwin.panel.rf_label.text()
    qtbot.waitUntil(lambda: set(rf.erf) == set(mwin.info.variants), timeout=30_000)
    for v, g in rf.erf.items():
        assert g.shape == (64, 64) and np.isfinite(g).all()
        caption = rf.captions[v].text
        assert caption == INACTIVE if g.max() == 0 else caption.startswith("peak")
    assert rf.erf["max"].max() > 0                               # the unit we chose is active
    img = rf.images["max"].image
    assert img.shape == (64, 64) and img.max() == 255
    rf.clear.click()
    qtbot.waitUntil(lambda: not mwin.panel.rf_boxes, timeout=20_000)
    assert not rf.erf


def test_the_shift_probe_button_delivers_curves_and_animates(mwin, qtbot):
    probe = _tab(mwin, "Shift probe")
    with qtbot.waitSignal(mwin.transport.probe_ready, timeout=90_000) as sig:
        qtbot.mouseClick(probe.run, Qt.MouseButton.LeftButton)
    assert mwin.frozen and sig.args[0] is not None
    assert probe.run.isEnabled() and probe.animate.isEnabled()
    probe.layer.setCurrentText("features.5")
    assert set(probe.curves) == set(mwin.info.variants)
    for curve in probe.curves.values():
        xs, ys = curve.getData()
        ok = np.isfinite(ys)
        assert ok.sum() >= 8 and xs[ok].max() == pytest.approx(8.0)   # up to twice the jump
        assert (ys[ok] >= -1e-6).all() and ys[0] == pytest.approx(0.0, abs=1e-5)
    assert [line.value() for line in probe.jump_lines] == [4.0 * k for k in range(1, 9)]
    # Animate replays the sweep through the grid by nudging the frozen frame
    probe.animate.setChecked(True)
    qtbot.waitUntil(lambda: mwin.last.stats["nudge"][0] < 0, timeout=20_000)
    assert probe.marker.isVisible()
    probe.animate.setChecked(False)
    qtbot.waitUntil(lambda: mwin.last.stats["nudge"] == (0.0, 0.0), timeout=20_000)


def test_spectrum_shows_before_and_after_with_the_nyquist_square(mwin, qtbot):
    spec = _tab(mwin, "Spectrum")
    assert [spec.site.itemText(i) for i in range(spec.site.count())] == list(SITES)
    spec.site.setCurrentText("features.2")
    spec.channel.setValue(1)
    qtbot.waitUntil(lambda: spec.shown is not None and
                    mwin.last.probes.spectrum_key == ("features.2", 1), timeout=20_000)
    for v in mwin.info.variants:
        before = spec.images[(v, "before")].image
        after = spec.images[(v, "after")].image
        assert before.shape == (64, 64) and after.shape == (32, 32)
        assert before.max() == 255 and before.min() == 0
        assert spec.nyquist[v].rect() == QRectF(16.5, 16.5, 32, 32)   # the central half
    # a channel zoomed in the grid is followed
    mwin.grid.channel_clicked.emit("features.5", "avg", 7)
    assert spec.key() == ("features.5", 7)
    qtbot.waitUntil(lambda: mwin.last.probes.spectrum_key == ("features.5", 7),
                    timeout=20_000)
    # leaving the tab stops the work
    _tab(mwin, "Live")
    qtbot.waitUntil(lambda: mwin.last.probes.spectrum_key is None, timeout=20_000)


def test_difference_shows_the_mosaic_of_a_minus_b(mwin, qtbot):
    diff = _tab(mwin, "Difference")
    diff.layer.setCurrentText("features.5")
    diff.a.setCurrentText("max")
    diff.b.setCurrentText("blur")
    qtbot.waitUntil(lambda: diff.shown is not None and
                    mwin.last.probes.difference_key == ("features.5", "max", "blur"),
                    timeout=20_000)
    img = diff.image.image
    rgb, view, how = diff.shown
    assert how == "unit by unit"
    assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8
    assert img.shape[:2] == view.mosaic.shape and img.max() > img.min()
    assert view.shape == (32, 16, 16) and view.hi > 0
    for pane in ("a", "b"):                                      # beside A and B as in the grid
        assert diff.images[pane].image.shape == mwin.grid.cells[("max", "features.5")].image.shape
    assert "|max − blur| of features.5" in diff.caption.text()
    assert "trained separately: the channels are different features" in diff.caption.text()
    diff.b.setCurrentText("max")                                 # A - A: nothing to show
    assert diff.key() is None and "two different" in diff.caption.text()


def test_a_bad_probe_request_is_reported_and_the_display_goes_on(mwin, qtbot):
    mwin.send(ShowSpectrum(("features.0", 0)))                      # not a downsampling site
    qtbot.waitUntil(lambda: "not a downsampling site" in mwin.last_error, timeout=20_000)
    start = mwin.frames_shown
    qtbot.waitUntil(lambda: mwin.frames_shown > start + 2, timeout=20_000)
    assert mwin.last.probes.spectrum_key is None


def test_ctrl_e_exports_the_measures_too_and_leaves_the_live_ones(mwin, qtbot):
    qtbot.waitUntil(lambda: mwin.measures_panel.measures is not None and
                    (mwin.measures_panel.measures.count("consistency", "max", NETWORK_ROW) or 0)
                    >= 6, timeout=60_000)                  # a few live pairs gathered
    pairs = mwin.measures_panel.measures.count("consistency", "max", NETWORK_ROW)
    with qtbot.waitSignal(mwin.transport.exported, timeout=60_000) as sig:
        qtbot.keyClick(mwin, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    folder = Path(sig.args[0])
    found = list(folder.rglob("measures.csv"))
    assert found, f"no measures.csv in {sorted(p.name for p in folder.rglob('*'))}"
    text = found[0].read_text()
    assert "shift_cosine" in text and "blur" in text
    start = mwin.frames_shown
    qtbot.waitUntil(lambda: mwin.frames_shown > start + 2, timeout=20_000)
    now = mwin.last.result.measures                     # the Network tab's window goes on
    assert now.count("consistency", "max", NETWORK_ROW) >= pairs  # not reset to 4 fresh pairs


def test_a_throttle_runs_new_requests_at_once_and_keeps_to_its_budget():
    t = Throttle(interval=0.2, budget=0.1)
    assert t.due("a", 0.0)
    t.ran("a", 0.0, 0.5)                  # a job of 0.5 s: next one 4.5 s later
    assert not t.due("a", 1.0) and t.remaining(1.0) == pytest.approx(4.0)
    assert t.due("a", 5.0)
    assert t.due("b", 1.0)                # another request: at once


def test_the_none_variant_in_the_window(make_window, qtbot):
    """Full-resolution rows beside downsampled ones: drawn at the same height, labelled with
    their real shapes; a unit clicked in max selects the unit at the same input position in
    none; the difference is taken at max's resolution and says so; site measures say no site."""
    w = make_window(weights=str(Path(SHIPPED) / "tiny-max.pt"), variants=("max", "none"),
                    measure_every=1, measure_budget=0.5)
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=30_000)
    layer = "features.2"
    cells = {v: w.grid.cells[(v, layer)] for v in ("max", "none")}
    assert cells["max"].cell.height() == cells["none"].cell.height()
    assert cells["none"].view_info.shape == (16, 64, 64)
    assert cells["max"].view_info.shape == (16, 32, 32)
    texts = [item.text() for item in w.grid._static]
    assert "none: 16x64x64" in texts
    w.grid.channel_clicked.emit(layer, "max", 0)             # the zoom strip: each at full size
    zoom = w.zoom
    qtbot.waitUntil(lambda: zoom.key == (layer, 0) and zoom.images["none"].image is not None,
                    timeout=20_000)
    assert zoom.images["none"].image.shape == (64, 64)
    assert zoom.images["max"].image.shape == (32, 32)
    assert abs(zoom.boxes["none"].width() - zoom.boxes["max"].width()) <= 1
    for v, side in (("max", 32), ("none", 64)):    # the whole map fills its box's height
        _, (y0, y1) = zoom.boxes[v].viewRange()
        assert side <= y1 - y0 <= 1.2 * side, v
    y, x = _click_unit(w, layer, "max", 0, 5, 9)
    boxes = w.panel.rf_boxes
    qtbot.waitUntil(lambda: len(boxes) == 2, timeout=20_000)
    centre = {v: b.rect().center() for v, b in boxes.items()}
    assert abs(centre["none"].x() - centre["max"].x()) <= 1
    assert abs(centre["none"].y() - centre["max"].y()) <= 1
    diff = _tab(w, "Difference")
    diff.layer.setCurrentText(layer)
    diff.a.setCurrentText("max")
    diff.b.setCurrentText("none")
    qtbot.waitUntil(lambda: diff.shown is not None, timeout=20_000)
    assert diff.shown[1].shape == (16, 32, 32)
    assert "compared at max's 32x32 units" in diff.caption.text()
    live = _tab(w, "Live")
    i = live.metric.findData("polyphase_dispersion")
    live.metric.setCurrentIndex(i)
    qtbot.waitUntil(lambda: live.profile is not None and "no site" in live.profile.titleLabel.text,
                    timeout=30_000)
    assert "none: no site" in live.profile.titleLabel.text
