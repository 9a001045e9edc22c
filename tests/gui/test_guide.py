"""The guide as a student uses it: every question sets the window up and shows its verdict;
an on-demand answer shows progress and can be cancelled while the window goes on; leaving puts
the set-up back; the calculator gives ask calculator's values."""

import html

import pytest

from engine.answers.asking import ask, questions
from engine.answers.base import Setup
from gui.app import SHIPPED

QUICK = Setup(samples=4)


@pytest.fixture
def gwin(make_window, qtbot):
    w = make_window(weights=f"{SHIPPED}/tiny-max.pt", variants=("max", "blur"),
                    measure_every=1, measure_budget=0.5)
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=30_000)
    w.guide.setup = QUICK
    return w


def _tab(w) -> str:
    tabs = w.measures_panel.tabs
    return tabs.tabText(tabs.currentIndex())


@pytest.mark.parametrize("name", list(questions()))
def test_each_question_sets_the_window_up_and_shows_its_verdict(gwin, qtbot, name):
    q = questions()[name]
    gwin.guide.pick(name)
    want = q.window
    if "variants" in want:
        qtbot.waitUntil(lambda: gwin.info.variants == tuple(want["variants"]), timeout=60_000)
    if "tab" in want:
        assert _tab(gwin) == want["tab"]
    if "metric" in want:
        assert gwin.measures_panel.live.metric.currentData() == want["metric"]
    assert html.escape(q.hint) in gwin.guide.hint.text()       # what to do, in one line
    assert ("Live." if q.live else "On demand.") in gwin.guide.hint.text()
    if name == "calculator":
        assert gwin.guide.calculator.isVisible() and gwin.guide.calculator.result
        return
    qtbot.waitUntil(lambda: gwin.guide.shown is not None, timeout=120_000)
    a = gwin.guide.shown
    assert a.question == name and a.verdict
    assert a.verdict[0][:40] in gwin.guide.answer.toPlainText()


def test_an_on_demand_answer_shows_progress_and_can_be_cancelled(gwin, qtbot):
    g = gwin.guide
    g.pick("position")
    assert g.bar.isVisible() and g.cancel.isVisible() and g.job.running
    qtbot.waitUntil(lambda: g.bar.value() > 0, timeout=30_000)
    shown = gwin.frames_shown
    qtbot.waitUntil(lambda: gwin.frames_shown > shown + 5, timeout=30_000)  # the display goes on
    g.cancel.click()
    assert not g.job.running and not g.bar.isVisible()
    assert "cancelled" in g.answer.toPlainText()
    shown = gwin.frames_shown
    qtbot.waitUntil(lambda: gwin.frames_shown > shown + 5, timeout=30_000)


def test_leaving_puts_back_the_set_up_the_user_had(gwin, qtbot):
    panel = gwin.measures_panel
    panel.tabs.setCurrentIndex(next(k for k in range(panel.tabs.count())
                                    if panel.tabs.tabText(k) == "Cost"))
    live = panel.live
    live.metric.setCurrentIndex(live.metric.findData("flicker"))
    gwin.guide.pick("receptive")
    qtbot.waitUntil(lambda: gwin.info.variants == ("max", "stride", "blur", "none"),
                    timeout=60_000)
    assert _tab(gwin) == "Receptive field"
    gwin.guide.pick("stride")                      # another question: still the user's set-up
    qtbot.waitUntil(lambda: len(gwin.info.variants) == 5, timeout=60_000)
    assert live.metric.currentData() == "shift_cosine"
    gwin.guide.leave.click()
    qtbot.waitUntil(lambda: gwin.info.variants == ("max", "blur"), timeout=60_000)
    assert _tab(gwin) == "Cost" and live.metric.currentData() == "flicker"
    assert not gwin.guide.job.running


def test_the_calculator_gives_ask_calculator_s_values(gwin):
    calc = gwin.guide.calculator
    calc.matrix.setText("1,2,3,4,5; 6,7,8,9,10; 1,0,1,0,1; 2,2,2,2,2; 5,4,3,2,1")
    calc.kernel.setValue(3)
    calc.stride.setValue(2)
    calc.padding.setValue(1)
    want = ask("calculator", Setup(matrix=calc.matrix.text(), kernel=3, stride=2,
                                   padding=1)).numbers["outputs"]
    assert calc.result == want
    assert "[[" not in calc.error.text()
    calc.matrix.setText("1,2;3")                     # a bad matrix: one line, values stay
    assert "same number of values" in calc.error.text() and calc.result == want
