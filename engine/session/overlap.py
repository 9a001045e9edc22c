"""Whether a step's second half (mosaics, view) overlaps the next frame's forward passes.

Overlapping the two halves on two threads (:mod:`engine.pipeline`) raises the rate when the
forward passes are slow, at the price of a frame's age: the next frame is captured while this
one is still being finished, and on a 2-core machine the two threads and the window share the
cores, so each half runs slower. Once steps come faster than a screen shows frames, the extra
rate is never seen and the age is. So :class:`Overlap` runs the halves one after the other
while that keeps :data:`LOW_FPS` steps a second, and overlaps them otherwise: overlapped steps
faster than ``LOW_FPS`` try the halves in turn; after steps in turn fell below it, the halves
overlap for :data:`RETRY_S` before the next try, so a network whose steps in turn are too slow
does not flip back and forth (and a passing fall, such as the first live measure jobs making
their buffers, costs no more than that).

Measured with ``bench --gui`` (tiny, four variants, one torch thread, 2 cores): at 64x64
``--no-measures`` in turn 95 frames a second shown, latency p50/p95 12/16 ms; overlapped in the
same hour 85-88, 22/34 ms. With live measures, in turn 92, 12/19 ms; overlapped 74-85,
16-22/28-34 ms. At 224x224 in turn 30 frames a second against 39 overlapped (forced, to
compare), so it overlaps there. (A first rule tried the halves in turn only above 75 overlapped
steps a second, and averaged over ten steps: with measures at 64x64 it overlapped whole runs.)

The step rate is a running average of the time between steps' starts over about :data:`TAU`
seconds (the mean of all since the last switch, until there are that many), holds for a window
that is behind included; a command or an idle wait between two steps is left out
(:meth:`Overlap.interrupted`).
"""

from __future__ import annotations

LOW_FPS = 60.0    # a screen's refresh rate: steps in turn while they keep up with it
RETRY_S = 5.0     # after steps in turn were too slow, overlap this long before trying again
TAU = 1.0         # seconds the running average of the step period reaches back over
WARM = 10         # step periods seen (since the last switch) before deciding


class Overlap:
    """The loop's choice between overlapped and in-turn halves; see the module docstring."""

    def __init__(self):
        self.in_turn = False
        self.period = 0.0       # running average of the time between steps' starts (s)
        self.steps = 0          # periods in that average, since the last switch
        self._last: float | None = None
        self._retry_at = 0.0

    def started(self, now: float) -> bool:
        """A step begins at ``now`` (monotonic seconds): True to run its halves in turn."""
        if self._last is not None:
            gap = now - self._last
            self.steps += 1
            weight = max(1.0 / self.steps, min(1.0, gap / TAU))  # a mean, then ~TAU seconds
            self.period += weight * (gap - self.period)
        self._last = now
        if self.steps >= WARM and self.period > 0:
            fast = 1.0 / self.period >= LOW_FPS
            if self.in_turn and not fast:
                self._switch(False)
                self._retry_at = now + RETRY_S
            elif not self.in_turn and fast and now >= self._retry_at:
                self._switch(True)
        return self.in_turn

    def interrupted(self) -> None:
        """A command or an idle wait came between steps: that gap is no step period."""
        self._last = None

    def _switch(self, in_turn: bool) -> None:
        self.in_turn, self.steps, self.period = in_turn, 0, 0.0
