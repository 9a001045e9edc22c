"""Whether a step's second half (mosaics, view) overlaps the next frame's forward passes.

Overlapping the two halves on two threads (:mod:`engine.pipeline`) raises the rate when the
forward passes are long and release the GIL, at the price of a frame's age: the next frame is
captured while this one is still being finished. When both halves are mostly Python (small
maps), the two threads take turns on the GIL anyway, each hand-over costs, and on a 2-core
machine the window shares the cores: overlapped steps are then slower than steps in turn. Which
one wins depends on the network, the input size and the machine, so :class:`Overlap` measures
both and keeps the better:

* in turn while that keeps :data:`LOW_FPS` steps a second (a screen shows no more);
* otherwise the faster of the two, where overlapped steps count only while their frames are
  fresh: handed over (mosaics made) within :data:`AGE_MAX` of their step periods of the step's
  start (:meth:`Overlap.handed`; the mean age over about the last :data:`TAU` seconds, as the
  rate, so the few frames a live measure job holds up do not count alone). Older, and the
  window's few milliseconds of drawing on top put the frame on screen more than two frame
  intervals after it was captured: steps in turn are then better, though slower. (Measured at
  224x224: 1.15-1.45 periods, a frame's mosaics after its forward passes; at 64x64 with live
  measures on a slower machine, latency p95 2.6 intervals overlapped.) A mode is left, or a
  trial of the other won, only for one better by :data:`HYSTERESIS` (the rates of these machines
  wander by more than the margin between the two at 224x224);
* the mode not in use is tried again once its rate is :data:`RETRY_S` old; each trial it loses
  doubles that wait for it, up to :data:`RETRY_MAX_S` (a win sets it back), so a 224x224
  network spends about a second in turn every 30 s once it has learnt that overlap wins there.

Measured with ``bench --gui`` (tiny, four variants, one torch thread, 2-core AMD EPYC, 1920x1080
offscreen), the two modes forced in turn: at 64x64 ``--no-measures`` overlapped 47-55 frames a
second shown, latency p95 44-53 ms; in turn 62-68, 23-25 ms. With live measures, overlapped
48-50 (p95 48-52 ms, over two intervals), in turn 45 (39 ms, under): steps 1.4 ms longer.
At 224x224 overlapped 0.79 of the bare forward rate, in turn 0.70: steps 5.7 ms longer. (The
rule before this one tried the halves in turn only when overlapped steps kept 60 a second: on
this machine they never did at 64x64, so it never found the faster mode.)

The step rate of a mode is the mean time between steps' starts over about the last :data:`TAU`
seconds (sums of periods and of steps, both decayed with age, so a long step counts once, for
its length), holds for a window that is behind included; it counts once :data:`WARM` periods
and ``TAU`` seconds have passed since the switch. A command or an idle wait between two steps
is left out (:meth:`Overlap.interrupted`), from the rate and from the age of a rate: ages count
seconds of stepping (so a frozen frame, or ``bench --gui``'s phases of the engine alone, age
none). A new engine or source is a new :class:`Overlap` (the loop's).
"""

from __future__ import annotations

import math
from collections import deque

LOW_FPS = 60.0       # a screen's refresh rate: steps in turn while they keep up with it
AGE_MAX = 1.7        # overlapped steps count while frames are handed over within this many periods
HYSTERESIS = 1.05    # a mode is left (a trial won) only for one this much better
RETRY_S = 10.0       # the mode not in use is tried again once its rate is this old ...
RETRY_MAX_S = 30.0   # ... doubled after each trial it lost, up to this
TAU = 1.0            # seconds the running average of the step period reaches back over
WARM = 10            # step periods seen (since the last switch) before a rate counts


class Overlap:
    """The loop's choice between overlapped and in-turn halves; see the module docstring."""

    def __init__(self):
        self.in_turn = False
        self.steps = 0          # step periods seen since the last switch
        self.rates: dict[bool, tuple[float, float, float] | None] = {False: None, True: None}
        #      in_turn -> (steps a second, the clock when last measured, a frame's age at
        #      hand-over in step periods), or None
        self.trial = False      # the mode in use is being tried against the other
        self._retry = {False: RETRY_S, True: RETRY_S}
        self._last: float | None = None
        self._time = self._count = 0.0   # the decayed sums of step periods and of steps
        self._clock = 0.0   # seconds of stepping: the time between steps, gaps left out
        self._since: float | None = None   # the clock at the first step since the last switch
        self._ages: deque[float] = deque()   # hand-over ages (s) not yet folded in (any thread)
        self._aged = self._handed = 0.0      # the decayed sums of those ages and of their count

    def started(self, now: float) -> bool:
        """A step begins at ``now`` (monotonic seconds): True to run its halves in turn."""
        if self._last is not None:
            gap = now - self._last
            self.steps += 1
            self._clock += gap
            # the mean period over the last ~TAU s: time and steps, each decayed with age
            # (a long step counts once, for its length: not as a larger weight on it)
            keep = math.exp(-gap / TAU)
            self._time = self._time * keep + gap
            self._count = self._count * keep + 1.0
            self._aged, self._handed = self._aged * keep, self._handed * keep
        self._last = now
        while self._ages:   # the mean age over the last ~TAU s, as the period
            self._aged += self._ages.popleft()
            self._handed += 1.0
        if self._since is None:
            self._since = self._clock
        if self.steps >= WARM and self._clock - self._since >= TAU and self.period > 0:
            aged = 1.0 if not self._handed or self.in_turn else \
                self._aged / self._handed / self.period
            self.rates[self.in_turn] = (1.0 / self.period, self._clock, aged)
            self._decide(self._clock)
        return self.in_turn

    @property
    def period(self) -> float:
        """The mean step period (s) over the last ~TAU s of this mode (0: none yet)."""
        return self._time / self._count if self._count else 0.0

    @property
    def settled(self) -> bool:
        """Both ways' rates are known and no trial runs: the choice is made, for now."""
        return None not in self.rates.values() and not self.trial

    def handed(self, age: float) -> None:
        """An overlapped step's frame was handed over ``age`` s after its step started (the
        worker that made its view calls this: any thread)."""
        self._ages.append(age)

    def interrupted(self) -> None:
        """A command or an idle wait came between steps: that gap is no step period."""
        self._last = None

    def _decide(self, now: float) -> None:
        mode, other = self.in_turn, not self.in_turn
        known = self.rates[other]
        if mode and self.rates[mode][0] >= LOW_FPS:    # in turn keeps up with a screen
            self._won()
        elif not self.trial and (known is None or now - known[1] >= self._retry[other]):
            self._switch(other, trial=True)
        elif self._beaten(mode, other):
            if self.trial:   # the mode on trial lost: its next trial waits longer
                self._retry[mode] = min(RETRY_MAX_S, 2 * self._retry[mode])
            # back from a lost trial; else the other looks better on its older rate: a trial
            # (a passing slow step must not make switches that no lost trial slows down)
            self._switch(other, trial=not self.trial)
        else:
            self._won()

    def _beaten(self, mode: bool, other: bool) -> bool:
        """The mode in use is to be left: on trial, unless it beats the other by HYSTERESIS;
        else if the other beats it by that much."""
        if self.trial:
            return self._cost(mode) * HYSTERESIS >= self._cost(other)
        return self._cost(other) * HYSTERESIS < self._cost(mode)

    def _cost(self, in_turn: bool) -> float:
        """The mode's step period as it counts (s): endless for overlapped steps whose
        frames are handed over too late."""
        fps, _, aged = self.rates[in_turn]
        return math.inf if aged > AGE_MAX else 1.0 / fps

    def _won(self) -> None:
        """The mode in use stays; if it was on trial, it won it."""
        if self.trial:
            self._retry[self.in_turn] = RETRY_S
            self.trial = False

    def _switch(self, in_turn: bool, trial: bool) -> None:
        self.in_turn, self.trial = in_turn, trial
        self.steps, self._since = 0, None
        self._time = self._count = 0.0
        self._ages.clear()
        self._aged = self._handed = 0.0
