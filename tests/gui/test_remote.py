"""The engine in its own process: results, identity of unchanged parts, crashes, both modes."""

import os
import pickle
import signal

from gui.remote import SAME, RemoteWorker, _pack, _unpack


def test_unchanged_measures_cross_the_pipe_as_the_same_object(make_window, qtbot):
    window = make_window(measure_every=3)
    qtbot.waitUntil(lambda: window.last is not None and
                    window.last.result.measures is not None, timeout=30_000)
    shown = window.last
    packed = _pack(shown, shown)                       # nothing new since the last one sent
    assert packed.result.measures is SAME
    wire = pickle.loads(pickle.dumps(packed))
    assert wire.result.measures is SAME                # SAME survives pickling as itself
    back = _unpack(wire, shown)
    assert back.result.measures is shown.result.measures
    assert back.result.views.keys() == shown.result.views.keys()
    assert _pack(shown, None) is shown


def test_the_window_runs_its_engine_in_a_child_process(window, qtbot):
    worker = window.worker
    assert isinstance(worker, RemoteWorker) and worker.pid not in (None, os.getpid())
    start = window.frames_shown
    qtbot.waitUntil(lambda: window.frames_shown >= start + 3, timeout=20_000)
    window.shutdown()
    assert not worker.is_running() and not window.thread.running()


def test_a_killed_engine_process_is_reported_and_restarted(window, qtbot):
    old = window.worker.pid
    os.kill(old, signal.SIGKILL)
    qtbot.waitUntil(lambda: "ended unexpectedly" in window.last_error, timeout=20_000)
    qtbot.waitUntil(lambda: window.worker.pid != old and window.worker.is_running(),
                    timeout=20_000)
    start = window.frames_shown
    qtbot.waitUntil(lambda: window.frames_shown >= start + 3, timeout=30_000)   # shows again


def test_the_engine_can_still_run_in_a_thread(make_window, qtbot):
    w = make_window(engine_process=False)
    qtbot.waitUntil(lambda: w.frames_shown >= 3, timeout=30_000)
    assert not isinstance(w.worker, RemoteWorker) and w.thread.running()
    w.shutdown()
    assert not w.thread.running()


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
