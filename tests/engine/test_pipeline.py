"""The pipelined step: a frame's mosaics made on a worker while the next frame's forward passes
run, with the same results as one synchronous step, in order, and failures reported."""

import os
import queue
import sys
import threading
import time

import numpy as np
import pytest

from engine.config import EngineConfig
from engine.engine import Engine
from engine.pipeline import Pipeline
from engine.session import commands as c
from engine.session.loop import HOLD_S, STOP, run
from engine.session.session import Session
from engine.sources.patterns import PATTERNS


@pytest.fixture(scope="module")
def engine():
    return Engine(device="cpu")


@pytest.fixture(scope="module")
def frames():
    pattern = PATTERNS["shapes"](width=320, height=240, realtime=False)
    return [pattern.render(i) for i in range(4)]


def test_forward_then_finish_is_step(engine, frames):
    a = engine.step(frames[0])
    b = engine.finish(engine.forward(frames[0]))
    for v in a.variants:
        for layer in a.layers:
            np.testing.assert_array_equal(a.mosaic(v, layer), b.mosaic(v, layer))
    assert a.predictions == b.predictions


def test_finish_uses_the_settings_of_its_forward_pass(engine, frames):
    forwarded = engine.forward(frames[1])
    engine.set_norm("channel")           # changed while the mosaics are not made yet
    engine.set_max_side(64, ["features.2"])
    try:
        late = engine.finish(forwarded)
    finally:
        engine.set_norm("shared")
        engine.set_max_side(None)
    now = engine.step(frames[1])
    assert late.norm == "shared"
    np.testing.assert_array_equal(late.mosaic("max", "features.3"), now.mosaic("max", "features.3"))


def test_pipelined_frames_match_synchronous_ones_in_order(engine, frames):
    want = [engine.step(f) for f in frames]
    got = []
    with Pipeline(got.append) as pipe:
        for f in frames:
            forwarded = engine.forward(f)
            pipe.put(lambda forwarded=forwarded: engine.finish(forwarded))
    assert [r.frame_index for r in got] == [r.frame_index + len(frames) for r in want]
    for w, g in zip(want, got, strict=True):
        np.testing.assert_array_equal(w.mosaic("stride", "features.5"),
                                      g.mosaic("stride", "features.5"))


def test_one_job_in_hand_at_most():
    started, release, order = threading.Event(), threading.Event(), []

    def slow():
        started.set()
        release.wait(5)
        return "first"

    with Pipeline(order.append) as pipe:
        pipe.put(slow)
        started.wait(5)
        handed = threading.Event()
        t = threading.Thread(target=lambda: (pipe.put(lambda: "second"), handed.set()))
        t.start()
        assert not handed.wait(0.3)   # the second waits while the first is being finished
        release.set()
        assert handed.wait(5)
        t.join(5)
    assert order == ["first", "second"]


def test_a_failing_job_is_reported_and_the_worker_goes_on():
    failures, done = [], []
    with Pipeline(done.append, failures.append) as pipe:
        pipe.put(lambda: 1 / 0)
        pipe.put(lambda: "next")
    assert [type(e) for e in failures] == [ZeroDivisionError] and done == ["next"]
    with pytest.raises(ZeroDivisionError), Pipeline(done.append) as pipe:
        pipe.put(lambda: 1 / 0)   # no ``failed``: raised again in the caller's thread


class _Recording(Session):
    """A session that notes, as each command comes, which frame the engine stepped last and
    which frame its last finished result is of."""

    seen: list

    def handle(self, command):
        e = self.engine
        self.seen.append((e.last.index, e.last_result.frame_index)
                         if e is not None and e.last is not None else None)
        return super().handle(command)


def test_a_command_acts_on_the_last_frame_whole():
    """A command (an export, say) sees the frame the engine stepped last with its mosaics made,
    never a frame whose mosaics are still being made."""
    session = _Recording(EngineConfig(device="cpu", measure_every=0), "pattern:shapes,fps=1000")
    session.seen = []
    inbox, stop, shown, events = queue.Queue(), threading.Event(), [], []
    t = threading.Thread(target=run, args=(session, inbox, stop, events.extend, shown.append))
    t.start()
    try:
        deadline = time.monotonic() + 30
        while len(shown) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in range(12):      # commands land between steps, while frames stream
            inbox.put(c.Mirror(False))
            time.sleep(0.02)
        while len(session.seen) < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        inbox.put(STOP)
        t.join(10)
    assert not t.is_alive() and len(shown) >= 3
    assert len(session.seen) == 12
    assert all(last == finished for last, finished in session.seen), session.seen
    assert [e for e in events if type(e).__name__ == "Failed"] == []


def test_rows_that_come_on_screen_are_filled_from_the_last_frame_at_once():
    session = Session(EngineConfig(device="cpu", measure_every=0), "pattern:shapes,fps=1000")
    session.start()
    rows = [ly.name for ly in session.engine.layers]
    session.handle(c.Viewport(96, (rows[0],)))
    shown, _ = session.step()
    assert set(shown.result.views["max"]) == {rows[0]}
    assert session.refill() is None                    # nothing new on screen
    session.handle(c.Viewport(96, (rows[0], rows[3])))   # scrolled: a row more
    again, events = session.refill()()
    session.close()
    assert events == [] and again.seq > shown.seq
    assert again.result.frame_index == shown.result.frame_index   # the same frame, no new step
    assert set(again.result.views["max"]) == {rows[0], rows[3]}
    np.testing.assert_array_equal(again.result.mosaic("avg", rows[0]),
                                  shown.result.mosaic("avg", rows[0]))
    fresh = session.engine.finish(session.engine.forward(shown.result.input_image))
    assert fresh.mosaic("blur", rows[3]).shape == again.result.mosaic("blur", rows[3]).shape


def test_a_window_behind_holds_the_next_step_back_but_never_stops_the_stream():
    session = Session(EngineConfig(device="cpu", measure_every=0, input_size=32),
                      "pattern:shapes,fps=1000")
    inbox, stop, shown = queue.Queue(), threading.Event(), []
    behind = threading.Event()
    behind.set()
    t = threading.Thread(target=run, args=(session, inbox, stop, lambda e: None, shown.append),
                         kwargs={"may_step": lambda: not behind.is_set()})
    t.start()
    try:
        time.sleep(1.0)
        held = len(shown)           # a window that never takes: a step every HOLD_S at most
        behind.clear()
        time.sleep(1.0)
        free = len(shown) - held
    finally:
        stop.set()
        inbox.put(STOP)
        t.join(10)
    assert not t.is_alive()
    assert 2 <= held <= 1.0 / HOLD_S + 2
    assert free > 3 * held          # caught up: it steps as fast as it can again


def test_the_step_after_a_command_is_never_held(monkeypatch):
    """A command's effect shows at once, even while the window is behind: its step replaces
    the waiting view instead of queueing behind it."""
    import engine.session.loop as loop
    monkeypatch.setattr(loop, "HOLD_S", 60.0)       # held for good, but for commands
    session = Session(EngineConfig(device="cpu", measure_every=0, input_size=32),
                      "pattern:shapes,fps=1000")
    inbox, stop, shown = queue.Queue(), threading.Event(), []
    t = threading.Thread(target=run, args=(session, inbox, stop, lambda e: None, shown.append),
                         kwargs={"may_step": lambda: False})
    t.start()
    try:
        time.sleep(0.5)
        before = len(shown)
        inbox.put(c.Mirror(True))
        deadline = time.monotonic() + 20
        while len(shown) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        after = len(shown)
    finally:
        stop.set()
        inbox.put(STOP)
        t.join(10)
    assert before == 0                               # held: no step of its own
    assert after == 1                                # one step, the command's, and no more


def test_offer_hands_a_job_over_only_to_an_idle_worker():
    release, ran = threading.Event(), []
    p = Pipeline(ran.append)
    try:
        assert p.offer(lambda: (release.wait(10), "slow")[1])
        assert not p.offer(lambda: "dropped")          # busy: dropped, never waited for
        release.set()
        p.drain()
        assert p.offer(lambda: "next")
        p.drain()
    finally:
        p.close()
    assert ran == ["slow", "next"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_a_nice_worker_lowers_its_own_thread_only():
    got = []
    p = Pipeline(got.append, nice=5)
    try:
        p.put(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        p.drain()
    finally:
        p.close()
    assert got == [os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + 5]


def test_a_long_measure_job_holds_no_view_back(monkeypatch):
    """The live measures run on a worker of their own: while one job takes 1.5 s, views go on
    arriving, and the job's result arrives on a later view."""
    session = Session(EngineConfig(device="cpu", measure_every=1, measure_budget=1.0,
                                   input_size=32), "pattern:shapes,fps=1000")
    real, slow = Engine.measure_frame, threading.Event()
    threads = set()

    def measure_frame(self, f):
        threads.add(threading.current_thread().name)
        if not slow.is_set():
            slow.set()
            time.sleep(1.5)
        real(self, f)
    monkeypatch.setattr(Engine, "measure_frame", measure_frame)
    inbox, stop, shown = queue.Queue(), threading.Event(), []
    t = threading.Thread(target=run, args=(session, inbox, stop, lambda ev: None, shown.append))
    t.start()
    try:
        deadline = time.monotonic() + 30
        while not slow.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        n0 = len(shown)
        time.sleep(1.0)          # the slow job is still running
        during = len(shown) - n0
        while (not shown or shown[-1].result.measures is None) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        inbox.put(STOP)
        t.join(10)
    assert not t.is_alive()
    assert during >= 5, during
    assert shown[-1].result.measures is not None
    assert len(threads) == 1 and threads != {t.name}   # one worker, not the stepping thread


def test_the_meter_runs_copies_of_the_engine_s_models_with_the_same_weights():
    import torch

    e = Engine(device="cpu", input_size=32, measure_every=1)
    x = torch.rand(1, 3, 32, 32).contiguous(memory_format=e.memory_format)
    with torch.inference_mode():
        for v, model in e.models.items():
            copy = e.meter.models[v]
            assert copy is not model
            assert all(a is b for a, b in zip(copy.parameters(), model.parameters(),
                                              strict=True))
            assert torch.equal(copy(x), model(x))


def test_a_frozen_frame_s_last_measures_reach_the_screen():
    """Once a frozen frame settles no step follows; the view of its last measures still goes
    out (the last frame's view again)."""
    session = Session(EngineConfig(device="cpu", measure_every=1, input_size=32),
                      "pattern:shapes,fps=1000")
    inbox, stop, shown = queue.Queue(), threading.Event(), []
    t = threading.Thread(target=run, args=(session, inbox, stop, lambda ev: None, shown.append))
    t.start()
    try:
        deadline = time.monotonic() + 60
        while len(shown) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        inbox.put(c.Freeze(True))
        while time.monotonic() < deadline and not (
                session.engine is not None and session.next_step_in() is None):
            time.sleep(0.05)
        time.sleep(0.5)      # the last measures' view
        last = shown[-1]
        final = session.engine.measures
    finally:
        stop.set()
        inbox.put(STOP)
        t.join(10)
    assert not t.is_alive() and final is not None
    assert last.result.measures is final
    assert session.engine.meter.complete_on(session.engine.last)
