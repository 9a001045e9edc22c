"""The session in its own process: results, identity of unchanged parts, no Qt in the child,
crashes, and the thread transport."""

import os
import pickle
import signal

from engine.session.wire import SAME, pack, unpack
from gui.remote import ProcessTransport
from gui.transport import ThreadTransport


def test_unchanged_measures_cross_the_pipe_as_the_same_object(make_window, qtbot):
    window = make_window(measure_every=3)
    qtbot.waitUntil(lambda: window.last is not None and
                    window.last.result.measures is not None, timeout=30_000)
    shown = window.last
    packed = pack(shown, shown)                       # nothing new since the last one sent
    assert packed.result.measures is SAME
    wire = pickle.loads(pickle.dumps(packed))
    assert wire.result.measures is SAME                # SAME survives pickling as itself
    back = unpack(wire, shown)
    assert back.result.measures is shown.result.measures
    assert back.result.views.keys() == shown.result.views.keys()
    assert pack(shown, None) is shown


def test_the_window_runs_its_session_in_a_child_process_without_qt(window, qtbot):
    transport = window.transport
    assert isinstance(transport, ProcessTransport) and transport.pid not in (None, os.getpid())
    start = window.frames_shown
    qtbot.waitUntil(lambda: window.frames_shown >= start + 3, timeout=20_000)
    window.shutdown()
    assert not transport.running()
    assert transport.child_qt_modules == []  # the child never imported PySide6 or pyqtgraph


def test_a_killed_engine_process_is_reported_and_restarted_as_it_was(window, qtbot,
                                                                      not_image):
    window.open_source(str(not_image))                     # fails: the pattern goes on
    qtbot.waitUntil(lambda: "notes.png" in window.last_error, timeout=20_000)
    window.set_colormap("magma")
    window.grid.channel_clicked.emit("features.5", "max", 3)
    qtbot.waitUntil(lambda: window.last.zoom_key == ("features.5", 3), timeout=20_000)
    old = window.transport.pid
    os.kill(old, signal.SIGKILL)
    qtbot.waitUntil(lambda: "ended unexpectedly" in window.last_error, timeout=20_000)
    qtbot.waitUntil(lambda: window.transport.pid != old and window.transport.running(),
                    timeout=20_000)
    start = window.frames_shown
    qtbot.waitUntil(lambda: window.frames_shown >= start + 3, timeout=30_000)   # shows again
    shown = window.last                                    # the working source, as it was set
    assert window.source_info.name == "pattern:shapes"
    assert shown.result.colormap == "magma" and shown.zoom_key == ("features.5", 3)


def test_the_engine_can_still_run_in_a_thread(make_window, qtbot):
    w = make_window(engine_process=False)
    qtbot.waitUntil(lambda: w.frames_shown >= 3, timeout=30_000)
    assert isinstance(w.transport, ThreadTransport) and w.transport.running()
    w.shutdown()
    assert not w.transport.running()


def test_a_new_colour_map_reaches_the_grid_through_the_engine_process(window, qtbot):
    from engine.display.colormaps import colormap

    want = colormap("magma", window.config.gamma).lut
    window.set_colormap("magma")
    item = window.grid.cells[("max", window.grid.layers[0])]
    qtbot.waitUntil(lambda: window.last is not None and window.last.result.colormap == "magma",
                    timeout=20_000)
    start = window.frames_shown
    qtbot.waitUntil(lambda: window.frames_shown >= start + 2, timeout=20_000)
    assert (item.lut == want).all()
    painted = {tuple(c) for c in item.rendered().reshape(-1, 3)[::40].tolist()}
    assert painted <= {tuple(c) for c in want.tolist()}


def test_an_answer_crosses_the_pipe_with_its_figures(window, qtbot):
    from engine import Ask

    with qtbot.waitSignal(window.transport.answered, timeout=60_000) as sig:
        window.send(Ask("gap", samples=4))
    answer = sig.args[0]
    assert answer.question == "gap" and answer.verdict
    assert all(f.png[:4] == b"\x89PNG" for f in answer.figures)
    start = window.frames_shown
    qtbot.waitUntil(lambda: window.frames_shown > start + 2, timeout=20_000)  # and it goes on


def test_a_view_that_cannot_be_read_is_reported_and_the_next_ones_are_shown(
        window, qtbot, monkeypatch):
    import gui.remote as remote
    real, failures = remote.unpack_shown, []

    def unpack_once_broken(packed, last):
        if not failures:
            failures.append(1)
            raise ValueError("a broken view")
        return real(packed, last)

    monkeypatch.setattr(remote, "unpack_shown", unpack_once_broken)
    qtbot.waitUntil(lambda: "cannot read a view" in window.last_error, timeout=20_000)
    assert "ValueError: a broken view" in window.last_error
    start = window.frames_shown
    qtbot.waitUntil(lambda: window.frames_shown >= start + 3, timeout=20_000)  # goes on
