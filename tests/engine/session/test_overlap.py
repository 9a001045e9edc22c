"""The loop's choice between overlapped and in-turn step halves, fed step start times."""

from engine.session.overlap import HIGH_FPS, LOW_FPS, RETRY_S, WARM, Overlap


def _steps(o: Overlap, fps: float, n: int, t: float) -> tuple[list[bool], float]:
    """``n`` step starts at ``fps`` from ``t``: the answers, and the time after them."""
    out = []
    for _ in range(n):
        out.append(o.started(t))
        t += 1.0 / fps
    return out, t


def test_slow_steps_stay_overlapped_and_fast_ones_go_in_turn_after_warming():
    o = Overlap()
    answers, t = _steps(o, 40.0, 50, 0.0)                # a 224 network: forward-bound
    assert not any(answers)
    answers, t = _steps(o, HIGH_FPS * 1.3, 3 * WARM, t)
    assert not any(answers[:WARM]) and all(answers[WARM + 5:])


def test_the_band_between_the_rates_keeps_either_choice():
    o = Overlap()
    between = (LOW_FPS + HIGH_FPS) / 2
    answers, t = _steps(o, between, 40, 0.0)
    assert not any(answers)                              # overlapped: not fast enough to try
    _, t = _steps(o, HIGH_FPS * 1.3, 3 * WARM, t)
    assert o.in_turn
    assert all(_steps(o, between, 40, t)[0])             # in turn: still fast enough


def test_too_slow_in_turn_overlaps_again_and_waits_before_trying_again():
    o = Overlap()
    _, t = _steps(o, HIGH_FPS * 1.3, 3 * WARM, 0.0)
    assert o.in_turn
    answers, t = _steps(o, LOW_FPS * 0.7, 3 * WARM, t)   # in turn, the rate fell
    assert answers[0] and not answers[-1]
    switched = t
    answers, t = _steps(o, HIGH_FPS * 1.3, int(RETRY_S * HIGH_FPS * 0.9), t)
    assert not any(answers) and t - switched < RETRY_S   # overlapped meanwhile, fast as it is
    answers, t = _steps(o, HIGH_FPS * 1.3, int(RETRY_S * HIGH_FPS * 0.6), t)
    assert answers[-1]                                   # after RETRY_S: in turn again


def test_a_gap_between_steps_is_no_step_period():
    o = Overlap()
    t = 0.0
    for _ in range(3 * WARM):   # fast steps, each after a command that took a second
        o.interrupted()
        t += 1.0
        o.started(t)
        t += 1.0 / (HIGH_FPS * 2)
        o.started(t)
    assert o.in_turn and o.period < 1.0 / HIGH_FPS


def test_a_fast_stream_finishes_its_frames_in_turn_on_the_loop_s_thread_in_order():
    """Steps faster than HIGH_FPS (a 32-px tiny network): after warming, each frame's view is
    made on the loop's own thread, right after its forward passes, and none is lost."""
    import queue
    import threading
    import time

    from engine.config import EngineConfig
    from engine.session.loop import STOP, run
    from engine.session.session import Session

    session = Session(EngineConfig(device="cpu", measure_every=0, input_size=32),
                      "pattern:shapes,fps=1000")
    inbox, stop, shown = queue.Queue(), threading.Event(), []
    t = threading.Thread(target=run, name="the-loop", args=(
        session, inbox, stop, lambda e: None,
        lambda s: shown.append((s.seq, threading.current_thread().name))))
    t.start()
    try:
        deadline = time.monotonic() + 30
        while len(shown) < 6 * WARM and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        inbox.put(STOP)
        t.join(10)
    assert not t.is_alive() and len(shown) >= 6 * WARM
    seqs = [s for s, _ in shown]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert shown[0][1] != "the-loop"                 # overlapped while the rate is unknown
    assert {name for _, name in shown[-WARM:]} == {"the-loop"}
