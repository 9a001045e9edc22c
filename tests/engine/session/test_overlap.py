"""The loop's choice between overlapped and in-turn step halves, fed step start times."""

from engine.session.overlap import (
    AGE_MAX,
    HYSTERESIS,
    LOW_FPS,
    RETRY_MAX_S,
    RETRY_S,
    TAU,
    WARM,
    Overlap,
)


def _steps(o: Overlap, fps: float, n: int, t: float) -> tuple[list[bool], float]:
    """``n`` step starts at ``fps`` from ``t``: the answers, and the time after them."""
    out = []
    for _ in range(n):
        out.append(o.started(t))
        t += 1.0 / fps
    return out, t


def _run(o: Overlap, fps: dict[bool, float], seconds: float, t: float = 0.0,
         aged: float = 1.1) -> tuple[list[tuple[float, bool]], float]:
    """Steps for ``seconds`` whose rate depends on the answer (in turn or not): (time,
    answer) of each, and the time after them. An overlapped step's frame is handed over
    ``aged`` of its period after its start."""
    out, end = [], t + seconds
    while t < end:
        answer = o.started(t)
        out.append((t, answer))
        if not answer:
            o.handed(aged / fps[answer])
        t += 1.0 / fps[answer]
    return out, t


def _share_in_turn(steps, since: float = 0.0) -> float:
    """The share of the time from ``since`` spent in turn."""
    steps = [(t, a) for t, a in steps if t >= since]
    spans = [(t1 - t0, a) for (t0, a), (t1, _) in zip(steps, steps[1:], strict=False)]
    return sum(d for d, a in spans if a) / sum(d for d, _ in spans)


def test_in_turn_once_it_keeps_up_with_a_screen_even_if_overlap_is_faster():
    o = Overlap()
    steps, _ = _run(o, {False: LOW_FPS * 1.6, True: LOW_FPS * 1.2}, 30.0)
    assert not any(a for t, a in steps if t < TAU)       # overlapped while nothing is known
    assert _share_in_turn(steps, since=3 * TAU) == 1.0


def test_a_forward_bound_network_stays_overlapped_but_for_rare_trials():
    """224x224: overlapped 0.79 of bare, in turn 0.70 (measured): a trial in turn now and
    then, each lost trial doubling the wait before the next, up to RETRY_MAX_S."""
    o = Overlap()
    steps, _ = _run(o, {False: 30.0, True: 30.0 * 0.70 / 0.79}, 120.0)
    trials = [t for (t, a), (_, b) in zip(steps, steps[1:], strict=False) if b and not a]
    assert len(trials) >= 3
    gaps = [b - a for a, b in zip(trials, trials[1:], strict=False)]
    assert all(b > a - 0.1 for a, b in zip(gaps, gaps[1:], strict=False))
    assert RETRY_MAX_S <= gaps[-1] < RETRY_MAX_S + 4 * TAU
    assert gaps[0] < 2 * RETRY_S + 4 * TAU
    assert _share_in_turn(steps, since=60.0) < 2.5 * TAU / RETRY_MAX_S


def test_in_turn_below_a_screen_s_rate_when_overlap_is_no_faster():
    """64x64 on a machine where the halves take turns on the GIL: overlapped 51, in turn 58."""
    o = Overlap()
    steps, _ = _run(o, {False: 51.0, True: 58.0}, 60.0)
    assert _share_in_turn(steps, since=5 * TAU) > 0.9


def test_in_turn_when_overlapped_frames_are_handed_over_late_though_faster():
    """64x64 with live measures: overlapped 62 a second, each frame handed over 1.1 x AGE_MAX
    periods after its step began (on screen after more than two intervals); in turn 45. At
    0.8 x AGE_MAX overlapped wins."""
    for aged, most in ((AGE_MAX * 1.1, True), (AGE_MAX * 0.8, False)):
        o = Overlap()
        steps, _ = _run(o, {False: 62.0, True: 45.0}, 60.0, aged=aged)
        share = _share_in_turn(steps, since=5 * TAU)
        assert (share > 0.9) if most else (share < 0.2), aged


def test_a_few_late_hand_overs_do_not_put_the_halves_in_turn():
    """With live measures a job now and then holds up two frames' mosaics (3.5 periods old
    when handed over, against 1.2): the mean age over about a second stays under AGE_MAX."""
    o, t, n, answers = Overlap(), 0.0, 0, []
    fps = {False: 40.0, True: 33.0}
    while t < 60.0:
        answer = o.started(t)
        answers.append((t, answer))
        n += 1
        if not answer:
            o.handed((3.5 if n % 12 in (0, 1) else 1.2) / fps[False])
        t += 1.0 / fps[answer]
    assert _share_in_turn(answers, since=5 * TAU) < 0.1


def test_a_trial_within_the_margin_loses():
    """Rates within HYSTERESIS of each other (the noise of these machines): the mode first in
    use stays, and the other is tried less and less often."""
    o = Overlap()
    steps, _ = _run(o, {False: 40.0, True: 40.0 * (HYSTERESIS - 0.02)}, 120.0)
    assert _share_in_turn(steps, since=10 * TAU) < 0.1


def test_a_mode_that_got_faster_is_found_within_the_longest_retry():
    o = Overlap()
    steps, t = _run(o, {False: 30.0, True: 25.0}, 90.0)   # overlap wins, trials back off
    assert not o.in_turn
    steps, _ = _run(o, {False: 40.0, True: LOW_FPS * 1.2}, RETRY_MAX_S + 5 * TAU, t)
    assert steps[-1][1] and _share_in_turn(steps, since=t + RETRY_MAX_S + 3 * TAU) == 1.0


def test_a_few_slow_steps_keep_the_halves_in_turn_and_a_sustained_fall_does_not():
    """A live measure job beside fast steps slows a few of them; a second of slow steps is
    a network that no longer keeps up: overlap is tried (its rate is old)."""
    o = Overlap()
    fast = LOW_FPS * 1.5
    _, t = _steps(o, fast, int(3 * TAU * fast), 0.0)
    _, t = _run(o, {False: fast * 0.8, True: fast}, 3 * TAU, t)
    assert o.in_turn
    for _ in range(10):                                  # every half second, 3 slow steps
        answers, t = _steps(o, 30.0, 3, t)
        more, t = _steps(o, fast, int(0.5 * fast), t)
        assert all(answers + more)
    answers, t = _steps(o, LOW_FPS * 0.7, int(3 * TAU * LOW_FPS * 0.7), t)
    assert answers[0] and not all(answers)      # overlap was tried ...
    assert o.in_turn and not o.trial            # ... and, no faster here, lost


def test_a_gap_between_steps_is_no_step_period():
    o = Overlap()
    t = 0.0
    for _ in range(int(3 * TAU * LOW_FPS * 2)):   # fast steps, each after a command of 1 s
        o.interrupted()
        t += 1.0
        o.started(t)
        t += 1.0 / (LOW_FPS * 2)
        o.started(t)
    assert o.in_turn and o.period < 1.0 / LOW_FPS


def test_a_fast_stream_finishes_its_frames_in_turn_on_the_loop_s_thread_in_order(monkeypatch):
    """Steps faster than LOW_FPS (a 32-px tiny network): after warming, each frame's view is
    made on the loop's own thread, right after its forward passes, and none is lost. LOW_FPS
    is lowered so that a loaded machine (a CI run beside this one) still counts as keeping up:
    the rule itself is tested above with simulated steps; this test is of the loop."""
    import queue
    import threading
    import time

    from engine.config import EngineConfig
    from engine.session import overlap
    from engine.session.loop import STOP, run
    from engine.session.session import Session

    monkeypatch.setattr(overlap, "LOW_FPS", 5.0)
    session = Session(EngineConfig(device="cpu", measure_every=0, input_size=32),
                      "pattern:shapes,fps=1000")
    inbox, stop, shown = queue.Queue(), threading.Event(), []
    t = threading.Thread(target=run, name="the-loop", args=(
        session, inbox, stop, lambda e: None,
        lambda s: shown.append((s.seq, threading.current_thread().name,
                                s.stats["in_turn"]))))
    t.start()
    try:
        start = time.monotonic()   # rates count after TAU s in each mode
        while (len(shown) < 6 * WARM or time.monotonic() - start < 4 * TAU) \
                and time.monotonic() - start < 30:
            time.sleep(0.05)
    finally:
        stop.set()
        inbox.put(STOP)
        t.join(10)
    assert not t.is_alive() and len(shown) >= 6 * WARM
    seqs = [s for s, _, _ in shown]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert shown[0][1] != "the-loop"                 # overlapped while the rate is unknown
    assert {name for _, name, _ in shown[-WARM:]} == {"the-loop"}
    assert all(in_turn == (name == "the-loop") for _, name, in_turn in shown)  # its stats say


def test_passing_slow_steps_do_not_make_the_mode_flip_back_and_forth():
    """One step in 12 four times as long (a measure job beside): a switch on such a spike is
    a trial, so losing it backs off like any other."""
    o, t, n, switches, last = Overlap(), 0.0, 0, 0, False
    while t < 300.0:
        answer = o.started(t)
        switches += answer != last
        last = answer
        n += 1
        period = 1.0 / (50.0 if not answer else 40.0)
        t += period * (4.0 if n % 12 == 0 else 1.0)
    assert switches <= 2 * (300.0 / RETRY_MAX_S + 4)
