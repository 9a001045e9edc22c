"""Receptive-field geometry along one axis (Araujo et al., Distill 2019): size, jump and the
centre of the first unit, carried through each layer's (kernel, stride, padding)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RF:
    """Receptive field along one axis: size, jump and centre of the first unit (Araujo 2019)."""

    size: float = 1.0
    jump: float = 1.0
    start: float = 0.0

    def through(self, kernel: int, stride: int, padding: int) -> RF:
        return RF(self.size + (kernel - 1) * self.jump, self.jump * stride,
                  self.start + ((kernel - 1) / 2 - padding) * self.jump)

    @property
    def padding(self) -> float:
        """Effective padding: (r - 1) / 2 minus the centre of the first unit."""
        return (self.size - 1) / 2 - self.start
