"""The probes the window asks for while they stay on screen: a selected unit's receptive
fields (theoretical boxes and the effective field), a site's spectra, the difference of two
variants' maps, the aligned shift error of a row and a site's sampling phases.

A :class:`LiveProbes` lives in the session next to the engine. The GUI states what it
wants (:meth:`LiveProbes.request`); after every engine step :meth:`LiveProbes.update` runs the
jobs that are due and returns a :class:`ProbeViews` holding the newest answer of each. A job
runs at once when its request is new (or the frame was nudged), and is then repeated at most
every ``interval`` seconds and so that it takes at most ``budget`` of the time, so the display
rate holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from engine.errors import PoolScopeError
from engine.measures.mechanism import aligned_error, phases
from engine.measures.probes import ERF, difference, receptive_field, spectrum, units
from engine.measures.throttle import Throttle

LIVE_SHIFT = (1.0, 0.0)   # the aligned error's shift when the frame is not nudged: 1 px right


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
    aligned_key: tuple | None = None     # (layer,)
    aligned: object = None               # engine.measures.mechanism.Aligned
    phases_key: tuple | None = None      # (site, channel)
    phases: dict | None = None           # variant -> engine.measures.mechanism.Phase


# request -> (its key's field in ProbeViews, the answer fields it owns)
REQUESTS = {"unit": ("unit", ("rf_boxes", "erf", "erf_frames")),
            "spectrum": ("spectrum_key", ("spectrum",)),
            "difference": ("difference_key", ("difference",)),
            "aligned": ("aligned_key", ("aligned",)),
            "phases": ("phases_key", ("phases",))}


class LiveProbes:
    """Requests and throttled answers of the live probes (the session's)."""

    def __init__(self):
        self.keys: dict[str, tuple | None] = dict.fromkeys(REQUESTS)
        self.views = ProbeViews()
        self.errors: list[str] = []
        self.pending = 0.0  # seconds until a skipped job is due (0: nothing skipped)
        self._erf = ERF()
        self._t = {"unit": Throttle(0.25, 0.15), "spectrum": Throttle(0.5, 0.1),
                   "difference": Throttle(0.2, 0.1), "aligned": Throttle(0.3, 0.1),
                   "phases": Throttle(0.3, 0.1)}

    def request(self, what: str, payload) -> None:
        """``what`` is one of :data:`REQUESTS`; None as payload stops it."""
        if what not in REQUESTS:
            raise PoolScopeError(f"unknown probe {what!r}")
        self.keys[what] = tuple(payload) if payload is not None else None
        if what == "unit":
            self._erf = ERF()
        self._t[what].key = None  # answer a new request at once
        self._forget_stale()

    def reset(self) -> None:
        """Forget every request (the network, its variants or its rows changed)."""
        self.keys = dict.fromkeys(REQUESTS)
        self._erf = ERF()
        self.views = ProbeViews()

    def _forget_stale(self) -> None:
        """Keep an answer only while it answers the request that stands."""
        v, change = self.views, {}
        for what, (key_field, owned) in REQUESTS.items():
            key = self.keys[what]
            if getattr(v, key_field) != key:
                change[key_field] = key
                change.update({f: ProbeViews.__dataclass_fields__[f].default for f in owned})
        if change:
            self.views = replace(v, **change)

    def update(self, engine, base=None, nudge=(0.0, 0.0)) -> ProbeViews:
        """Run the due jobs on the engine's last frame; errors go to :attr:`errors`.

        ``base()`` gives the network input of the frame before the nudge (default: the last
        input) and ``nudge`` the view window's offset (dx, dy) in input px."""
        now = time.perf_counter()
        self.pending = 0.0
        base = base or (lambda: engine.last_input)
        jobs = {"unit": lambda: self._unit(engine),
                "spectrum": lambda: {"spectrum": self._spectrum(engine)},
                "difference": lambda: {"difference": self._difference(engine)},
                "aligned": lambda: {"aligned": self._aligned(engine, base(), nudge)},
                "phases": lambda: {"phases": phases(engine, base(), *self.keys["phases"],
                                                    nudge)}}
        changes = {}
        if self.keys["unit"] is not None and self.views.rf_boxes is None:
            changes["rf_boxes"] = self._guard("unit", lambda: self._boxes(engine))
        for what, job in jobs.items():
            key = self.keys[what]
            if key is None:
                continue
            got = self._run(what, (key, nudge) if what in ("aligned", "phases") else key,
                            now, job)
            if got is not None:
                changes.update(got)
        self._forget_stale()  # a request an error dropped
        live = {f for what, (_, owned) in REQUESTS.items() if self.keys[what] is not None
                for f in owned}
        changes = {k: v for k, v in changes.items() if k in live}
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
        self.keys[name] = None
        return None

    def _boxes(self, engine) -> dict:
        clicked, layer, _, y, x = self.keys["unit"]
        at = units(engine, clicked, layer, y, x)
        return {v: receptive_field(engine, v, layer, *at[v]) for v in engine.variant_names}

    def _unit(self, engine) -> dict:
        clicked, layer, channel, y, x = self.keys["unit"]
        erf = {v: np.asarray(g, np.float32)
               for v, g in self._erf.update(engine, layer, channel, y, x, clicked).items()}
        return {"erf": erf, "erf_frames": self._erf.count}

    def _spectrum(self, engine) -> dict:
        layer, channel = self.keys["spectrum"]
        return {v: spectrum(engine, v, layer, channel) for v in engine.variant_names}

    def _difference(self, engine) -> tuple:
        layer, a, b = self.keys["difference"]
        view, how = difference(engine, layer, a, b, engine.config.max_side)
        return engine.cmap.apply(view.mosaic), view, how

    def _aligned(self, engine, base, nudge):
        """The content moves opposite to the view window; a frame not nudged: 1 px right."""
        nudged = tuple(nudge) != (0.0, 0.0)
        dx, dy = (-nudge[0] or 0.0, -nudge[1] or 0.0) if nudged else LIVE_SHIFT
        return replace(aligned_error(engine, base, self.keys["aligned"][0], dx, dy),
                       nudged=nudged)
