"""The mechanism made visible, as a user drives it: the Aligned error and Phases tabs follow
the nudges of a frozen frame."""

import numpy as np
import pytest


def _tab(w, name: str):
    tabs = w.measures_panel.tabs
    i = next(k for k in range(tabs.count()) if tabs.tabText(k) == name)
    tabs.setCurrentIndex(i)
    return tabs.widget(i)


def _frozen(make_window, qtbot, **config):
    w = make_window(variants=("max", "avg", "stride", "blur"), input_size=64, **config)
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=30_000)
    w.set_frozen(True)
    qtbot.waitUntil(lambda: w.last.stats.get("frozen"), timeout=20_000)
    return w


def _aligned_for(w, qtbot, panel, shift):
    qtbot.waitUntil(lambda: panel.shown is not None and panel.shown.shift == shift
                    and panel.shown.layer == panel.key()[0], timeout=30_000)
    return panel.shown


@pytest.mark.parametrize("row", ["features.5", "features.8"])
def test_aligned_error_is_zero_for_a_circular_network_at_whole_jumps(make_window, qtbot, row):
    w = _frozen(make_window, qtbot, circular=True)
    panel = _tab(w, "Aligned error")
    panel.layer.setCurrentText(row)
    jump = {"features.5": 4, "features.8": 8}[row]
    w.nudge(jump, 0)                            # the view window right: the content left
    a = _aligned_for(w, qtbot, panel, (-float(jump), 0.0))
    assert a.nudged and a.border == 0 and set(a.rel) == set(w.info.variants)
    assert all(r < 1e-6 for r in a.rel.values()), a.rel
    assert all(float(m.max()) < 1e-5 for m in a.maps.values())
    assert all(panel.images[v].image.max() == 0 for v in w.info.variants)   # dark on screen
    w.nudge(jump, 0)                            # two jumps
    a = _aligned_for(w, qtbot, panel, (-2.0 * jump, 0.0))
    assert all(r < 1e-6 for r in a.rel.values())
    w.nudge(1 - 2 * jump, 0)                    # one pixel: stride lights up
    a = _aligned_for(w, qtbot, panel, (-1.0, 0.0))
    assert a.rel["stride"] > 0.05 and a.rel["blur"] < a.rel["stride"]
    assert panel.images["stride"].image.max() > 0
    assert f"error {a.rel['stride']:.3f}" in panel.titles["stride"].text
    assert "the nudge" in panel.caption.text() and "circular padding" in panel.caption.text()


def test_the_kept_phase_follows_a_one_pixel_nudge(make_window, qtbot):
    w = _frozen(make_window, qtbot)
    panel = _tab(w, "Phases")
    assert panel.site.currentText() == "features.2"
    variants = w.info.variants

    def kept(want):
        qtbot.waitUntil(lambda: panel.shown is not None
                        and all(panel.kept.get(v) == want for v in variants), timeout=30_000)
        for v in variants:
            shown = [key for (fv, key), f in panel.frames.items() if fv == v and f.isVisible()]
            assert shown == [want]
            assert f"keeps phase {want[0]},{want[1]}" in panel.titles[v].text
    kept((0, 0))
    dense = panel.images[("max", "dense")].image
    assert dense.shape == (63, 63) and dense.max() > dense.min()
    assert panel.images[("max", (1, 1))].image.shape == (31, 31)
    w.nudge(1, 0)
    kept((0, 1))
    w.nudge(0, 1)
    kept((1, 1))
    w.nudge(-1, 0)
    kept((1, 0))
    assert np.array_equal(panel.images[("max", "dense")].image, dense)  # the frame before nudges
    w.nudge(0.25, 0)                               # a quarter pixel: between phases
    qtbot.waitUntil(lambda: all(panel.kept.get(v) is None for v in variants), timeout=30_000)
    assert "between phases" in panel.titles["stride"].text
    assert not any(f.isVisible() for f in panel.frames.values())
