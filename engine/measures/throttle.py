"""When to run occasional work between frames: at once when asked anew, then at most every
``interval`` seconds and so that it takes at most ``budget`` of the time. The engine's live
measures and the window's live probes share it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Throttle:
    """Due when new, else when ``interval`` s passed and the last run kept within ``budget``."""

    interval: float
    budget: float
    last_end: float = -1e9
    last_s: float = 0.0
    key: object = field(default=None)

    def due(self, key, now: float) -> bool:
        return key != self.key or self.remaining(now) == 0.0

    def remaining(self, now: float) -> float:
        """Seconds until the work is due again (for the key it last ran with)."""
        budget = min(max(self.budget, 1e-3), 1.0)
        wait = max(self.interval, self.last_s * (1.0 / budget - 1.0))
        return max(0.0, wait - (now - self.last_end))

    def ran(self, key, start: float, end: float) -> None:
        self.key, self.last_s, self.last_end = key, end - start, end
