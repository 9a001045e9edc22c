"""The loop's choice between overlapped and in-turn step halves, fed step start times."""

from engine.session.overlap import LOW_FPS, RETRY_S, TAU, WARM, Overlap


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
    fast = LOW_FPS * 1.3
    answers, t = _steps(o, fast, int(2 * TAU * fast), t)  # the average follows in ~TAU s
    assert not any(answers[:WARM]) and all(answers[int(1.5 * TAU * fast):])


def test_a_few_slow_steps_keep_the_halves_in_turn_and_a_sustained_fall_does_not():
    """A live measure job beside fast steps slows a few of them; a second of slow steps is
    a network that no longer keeps up."""
    o = Overlap()
    fast = LOW_FPS * 1.5
    _, t = _steps(o, fast, int(3 * TAU * fast), 0.0)
    assert o.in_turn
    for _ in range(10):                                  # every half second, 3 slow steps
        answers, t = _steps(o, 30.0, 3, t)
        more, t = _steps(o, fast, int(0.5 * fast), t)
        assert all(answers + more)
    answers, t = _steps(o, LOW_FPS * 0.7, int(1.5 * TAU * LOW_FPS * 0.7), t)
    assert answers[0] and not answers[-1]


def test_too_slow_in_turn_overlaps_for_a_while_then_tries_again():
    """The first live measure jobs slow the steps for a while: once that passed, steps in
    turn come back; steps that stay too slow in turn are retried only every RETRY_S."""
    o = Overlap()
    fast = LOW_FPS * 1.2
    _, t = _steps(o, fast, 3 * WARM, 0.0)
    assert o.in_turn
    slow = LOW_FPS * 0.7
    answers, t2 = _steps(o, slow, int(1.5 * TAU * LOW_FPS), t)    # in turn, it fell
    assert answers[0] and not answers[-1]
    switched = t + answers.index(False) / slow
    answers, t = _steps(o, fast, int((switched + RETRY_S - t2) * fast) - 1, t2)
    assert not any(answers)                              # overlapped meanwhile, fast as it is
    answers, t = _steps(o, fast, 2 * WARM, t)
    assert answers[-1]                                   # after RETRY_S: in turn again


def test_a_gap_between_steps_is_no_step_period():
    o = Overlap()
    t = 0.0
    for _ in range(3 * WARM):   # fast steps, each after a command that took a second
        o.interrupted()
        t += 1.0
        o.started(t)
        t += 1.0 / (LOW_FPS * 2)
        o.started(t)
    assert o.in_turn and o.period < 1.0 / LOW_FPS


def test_a_fast_stream_finishes_its_frames_in_turn_on_the_loop_s_thread_in_order():
    """Steps faster than LOW_FPS (a 32-px tiny network): after warming, each frame's view is
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
