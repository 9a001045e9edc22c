"""The probes the window asks for while they stay on screen: a selected unit's receptive
fields (theoretical boxes and the effective field), a site's spectra, and the difference of two
variants' maps.

A :class:`LiveProbes` lives in the session next to the engine. The GUI states what it
wants (:meth:`LiveProbes.request`); after every engine step :meth:`LiveProbes.update` runs the
jobs that are due and returns a :class:`ProbeViews` holding the newest answer of each. A job
runs at once when its request is new, and is then repeated at most every ``interval`` seconds
and so that it takes at most ``budget`` of the time, so the display rate holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from engine.errors import PoolScopeError
from engine.measures.probes import ERF, difference, receptive_field, spectrum, units
from engine.measures.throttle import Throttle


@dataclass(frozen=True)
class ProbeViews:
    """The newest probe answers; each is None when not asked for (or not computed yet)."""

    unit: tuple | None = None            # (variant, layer, channel, y, x) the user clicked
    rf_boxes: dict | None = None         # variant -> (top, left, bottom, right) input px, or None
    erf: dict | None = None              # variant -> (H, W) float mean |d unit / d input|
    erf_frames: int = 0                  # frames in that mean
    spectrum_key: tuple | None = None    # (layer, channel)
    spectrum: dict | None = None         # variant -> {"before", "after", "nyquist"}
    difference_key: tuple | None = None  # (layer, a, b)
    difference: tuple | None = None      # (rgb (H, W, 3) uint8, engine LayerView, how compared)


class LiveProbes:
    """Requests and throttled answers of the live probes (the session's)."""

    def __init__(self):
        self.unit: tuple | None = None
        self.spectrum_key: tuple | None = None
        self.difference_key: tuple | None = None
        self.views = ProbeViews()
        self.errors: list[str] = []
        self.pending = 0.0  # seconds until a skipped job is due (0: nothing skipped)
        self._erf = ERF()
        self._t = {"erf": Throttle(0.25, 0.15), "spectrum": Throttle(0.5, 0.1),
                   "difference": Throttle(0.2, 0.1)}

    def request(self, what: str, payload) -> None:
        """``what`` is "unit", "spectrum" or "difference"; None as payload stops it."""
        if what == "unit":
            self.unit = tuple(payload) if payload is not None else None
            self._erf = ERF()
        elif what == "spectrum":
            self.spectrum_key = tuple(payload) if payload is not None else None
        elif what == "difference":
            self.difference_key = tuple(payload) if payload is not None else None
        self._t["erf" if what == "unit" else what].key = None  # answer a new request at once
        self._forget_stale()

    def reset(self) -> None:
        """Forget every request (the network, its variants or its rows changed)."""
        self.unit = self.spectrum_key = self.difference_key = None
        self._erf = ERF()
        self.views = ProbeViews()

    def _forget_stale(self) -> None:
        v = self.views
        if (v.unit, v.spectrum_key, v.difference_key) == (self.unit, self.spectrum_key,
                                                           self.difference_key):
            return
        self.views = ProbeViews(
            self.unit, v.rf_boxes if v.unit == self.unit else None,
            v.erf if v.unit == self.unit else None, v.erf_frames if v.unit == self.unit else 0,
            self.spectrum_key, v.spectrum if v.spectrum_key == self.spectrum_key else None,
            self.difference_key,
            v.difference if v.difference_key == self.difference_key else None)

    def update(self, engine) -> ProbeViews:
        """Run the due jobs on the engine's last frame; errors go to :attr:`errors`."""
        now = time.perf_counter()
        views = self.views
        self.pending = 0.0
        changes = {}
        if self.unit is not None and views.rf_boxes is None:
            changes["rf_boxes"] = self._guard("unit", lambda: self._boxes(engine))
        if self.unit is not None:
            got = self._run("erf", self.unit, now, lambda: self._erf_update(engine))
            if got is not None:
                changes.update(erf=got, erf_frames=self._erf.count)
        if self.spectrum_key is not None:
            got = self._run("spectrum", self.spectrum_key, now,
                            lambda: self._spectrum(engine))
            if got is not None:
                changes["spectrum"] = got
        if self.difference_key is not None:
            got = self._run("difference", self.difference_key, now,
                            lambda: self._difference(engine))
            if got is not None:
                changes["difference"] = got
        self._forget_stale()  # a request an error dropped
        dropped = {"rf_boxes": self.unit, "erf": self.unit, "erf_frames": self.unit,
                   "spectrum": self.spectrum_key, "difference": self.difference_key}
        changes = {k: v for k, v in changes.items() if dropped[k] is not None}
        if changes:
            self.views = replace(self.views, **changes)
        return self.views

    def _run(self, name: str, key, now: float, job):
        t = self._t[name]
        if not t.due(key, now):
            left = t.remaining(now)
            self.pending = min(self.pending, left) if self.pending else left
            return None
        start = time.perf_counter()
        out = self._guard(name, job)
        t.ran(key, start, time.perf_counter())
        return out

    def _guard(self, name: str, job):
        """Run ``job``; on an error, report it and drop that request (never the engine)."""
        try:
            return job()
        except PoolScopeError as e:
            message = str(e)
        except Exception as e:  # noqa: BLE001 - a probe must not stop the display
            message = f"{type(e).__name__}: {e}"
        self.errors.append(f"{name}: {message}")
        if name in ("unit", "erf"):
            self.unit = None
        elif name == "spectrum":
            self.spectrum_key = None
        elif name == "difference":
            self.difference_key = None
        return None

    def _boxes(self, engine) -> dict:
        clicked, layer, _, y, x = self.unit
        at = units(engine, clicked, layer, y, x)
        return {v: receptive_field(engine, v, layer, *at[v]) for v in engine.variant_names}

    def _erf_update(self, engine) -> dict:
        clicked, layer, channel, y, x = self.unit
        return {v: np.asarray(g, np.float32)
                for v, g in self._erf.update(engine, layer, channel, y, x, clicked).items()}

    def _spectrum(self, engine) -> dict:
        layer, channel = self.spectrum_key
        return {v: spectrum(engine, v, layer, channel) for v in engine.variant_names}

    def _difference(self, engine) -> tuple:
        layer, a, b = self.difference_key
        view, how = difference(engine, layer, a, b, engine.config.max_side)
        return engine.cmap.apply(view.mosaic), view, how
