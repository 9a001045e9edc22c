"""The session: everything a window drives, without the window.

A :class:`Session` owns the frame source, the engine, freeze / nudge / mirror / seek, the zoomed
channel, the live probes, exports and probes. It is driven by the frozen commands of
:mod:`engine.session.commands` (:meth:`Session.handle`) and stepped by whoever runs it
(:meth:`Session.step`); both return the events to pass on (:mod:`engine.session.messages`).
It never imports Qt: a thread or a child process runs it (:mod:`engine.session.loop`), and a
test can drive it directly. Its :attr:`config` is immutable and its own: a change builds a new
one, and a failed rebuild keeps the engine and the config that work.
"""

from __future__ import annotations

from collections import deque
from dataclasses import fields, replace
from functools import singledispatchmethod

from engine.engine import Engine, EngineConfig
from engine.errors import PoolScopeError
from engine.network.failures import one_line
from engine.network.load import default_weights
from engine.session import commands as c
from engine.session import jobs
from engine.session.live_probes import LiveProbes
from engine.session.messages import (
    EngineInfo,
    Failed,
    SourceInfo,
    folded_captions,
)
from engine.session.stepping import Stepping
from engine.sources.frames import Frame, FrameSource
from engine.sources.openers import open_default, open_source

REBUILT = tuple(f.name for f in fields(c.Rebuild))


class Session(Stepping):
    """The source, the engine and the live view of one window (see the module docstring).

    Parameters
    ----------
    config : EngineConfig
        What to build first.
    source : str, optional
        What to open first (None: the webcam if one opens, else the moving pattern).
    """

    def __init__(self, config: EngineConfig, source: str | None = None):
        self.config = config
        self.engine: Engine | None = None
        self.source: FrameSource | None = None
        self._first_source = source
        self.cancel = lambda: False  # asked between forward passes of long jobs (a probe)
        self._frozen: Frame | None = None
        self._nudge = (0.0, 0.0)
        self._mirror = False
        self._zoom: tuple[str, int] | None = None
        self.rows: tuple[str, ...] | None = None  # the rows on screen (None: all)
        self._dirty = False
        self._seq = 0
        self._recent: deque[tuple[int, Frame, Frame]] = deque(maxlen=4)  # seq, raw, viewed
        self._times: deque[float] = deque(maxlen=30)
        self.probes = LiveProbes()
        self._events: list = []

    # -- what the runner calls ----------------------------------------------------------------
    def start(self) -> list:
        """Build the engine and open the first source; the events that follow."""
        self._build(self.config)
        try:
            self._open(self._first_source)
        except Exception as e:  # noqa: BLE001 - reported; a later SetSource can still work
            self._events.append(Failed(one_line(e)))
        return self._take()

    def handle(self, command: c.Command) -> list:
        """Carry out one command; the events that follow (an error is a :class:`Failed`)."""
        self.cancel_read_ahead()
        try:
            self._do(command)
        except PoolScopeError as e:
            self._events.append(Failed(str(e)))
        self._dirty = True
        return self._take()

    def next_step_in(self) -> float | None:
        """Seconds until :meth:`step` is due (0: now); None: not until a command comes."""
        if self.engine is None or self.source is None:
            return None
        if self._frozen is None or self._dirty or self.engine.settling():
            return 0.0
        return self.probes.pending or None  # frozen: again when a skipped probe is due

    def close(self) -> None:
        """Release the source (the runner calls this as it stops)."""
        if self._ahead is not None:
            self._ahead.close()
            self._ahead = None
        if self.source is not None:
            self.source.close()
            self.source = None

    # -- building and opening -----------------------------------------------------------------
    def _build(self, config: EngineConfig) -> bool:
        try:
            engine = Engine(config)
            shapes = engine.view_shapes()  # every variant runs once before it replaces the old
        except Exception as e:  # noqa: BLE001 - a torch or file error too: the old engine stays
            self._events.append(Failed(one_line(e)))
            return False
        self.engine, self.config, self.rows = engine, engine.config, None  # the window says anew
        self._announce(shapes)
        return True

    def _announce(self, shapes: dict | None = None) -> None:
        e = self.engine
        self.probes.reset()
        net = e.network
        shapes = shapes or e.view_shapes()
        self._events.append(EngineInfo(
            net.spec.name, e.variant_names, tuple(e.layers), tuple(net.layers), shapes,
            net.input_size, str(e.device), net.untrained,
            {v: dict(net.variants[v].notes) for v in e.variant_names}, e.config,
            {v: v + (f" ({op.init_note})" if (op := net.variants[v].operator).init_note
                     and v not in (net.trained or {}) else "")
             for v in e.variant_names}, folded_captions(net, e.layers, shapes)))
        self._dirty = True

    def _open(self, spec: str | None) -> None:
        """Open ``spec``; on failure the source that runs keeps running."""
        new = open_source(spec, realtime=True) if spec else open_default()
        old, self.source = self.source, new
        if old is not None:
            old.close()
        self._frozen, self._nudge, self._unread = None, (0.0, 0.0), None
        self._events.append(SourceInfo(new.name, new.size, new.live,
                                       int(getattr(new, "frame_count", 0) or 0),
                                       float(getattr(new, "fps", 0.0) or 0.0), spec))

    # -- the commands ---------------------------------------------------------------------------
    @singledispatchmethod
    def _do(self, command) -> None:
        raise PoolScopeError(f"unknown command {type(command).__name__}: {command!r}")

    @_do.register
    def _(self, cmd: c.SetSource) -> None:
        self._open(cmd.spec)

    @_do.register
    def _(self, cmd: c.Rebuild) -> None:
        change = {k: getattr(cmd, k) for k in REBUILT if getattr(cmd, k) is not c.KEEP}
        if "weights" in change:  # a file, "imagenet", "trained:DIR" or None (random)
            w = change.pop("weights")
            trained = w[len("trained:"):] if isinstance(w, str) and w.startswith("trained:") \
                else None
            change.update(weights=None if trained else w, trained=trained)
        if "model" in change:  # another network: its own rows, default weights and input size
            change.setdefault("weights", default_weights(change["model"]))
            change.setdefault("trained", None)
            change.setdefault("input_size", None)
            change["layers"] = None
        if "variants" in change:
            change["variants"] = tuple(change["variants"])
        if not self._build(replace(self.config, **change)) and self.engine is not None:
            self._announce()  # the engine that works, and its settings, stay

    @_do.register
    def _(self, cmd: c.SetView) -> None:
        e = self.engine
        if e is None:  # nothing built: kept for the next build
            given = {k: getattr(cmd, k) for k in ("norm", "colormap", "gamma", "layers")
                     if getattr(cmd, k) is not c.KEEP}
            self.config = replace(self.config, **given)
            return
        try:
            if cmd.norm is not c.KEEP:
                e.set_norm(cmd.norm)
            if cmd.colormap is not c.KEEP or cmd.gamma is not c.KEEP:
                e.set_colormap(e.config.colormap if cmd.colormap is c.KEEP else cmd.colormap,
                               None if cmd.gamma is c.KEEP else cmd.gamma)
            if cmd.layers is not c.KEEP:
                e.set_layers(None if cmd.layers is None else tuple(cmd.layers))
                self._announce()
        finally:
            self.config = e.config  # what took effect, even if a later field was refused

    @_do.register
    def _(self, cmd: c.Viewport) -> None:
        self.rows = None if cmd.rows is None else tuple(cmd.rows)
        self.config = replace(self.config, max_side=int(cmd.side))
        self._show_rows()

    def _show_rows(self) -> None:
        """Mosaics for the rows on screen and the zoomed one, at the size they are drawn (the
        next step fills rows that came on screen)."""
        if self.engine is not None:
            rows = None if self.rows is None else set(self.rows) | (
                {self._zoom[0]} if self._zoom else set())
            self.engine.set_max_side(self.config.max_side, rows)

    @_do.register
    def _(self, cmd: c.Freeze) -> None:
        self._frozen = self._recent[-1][1] if cmd.on and self._recent else None
        if cmd.on and self._frozen is None:
            raise PoolScopeError("nothing to freeze yet")
        self._nudge = (0.0, 0.0)

    @_do.register
    def _(self, cmd: c.Nudge) -> None:
        if self._frozen is not None:
            self._nudge = (self._nudge[0] + cmd.dx, self._nudge[1] + cmd.dy)

    @_do.register
    def _(self, cmd: c.ResetNudge) -> None:
        self._nudge = (0.0, 0.0)

    @_do.register
    def _(self, cmd: c.StepFrame) -> None:
        step = getattr(self.source, "step", None)
        if step is not None:
            self._frozen = self.unread() or step()

    @_do.register
    def _(self, cmd: c.Seek) -> None:
        seek = getattr(self.source, "seek", None)
        if seek is not None:
            seek(int(cmd.index))
            self._unread = None
            if self._frozen is not None:
                self._frozen = self.source.read()

    @_do.register
    def _(self, cmd: c.Mirror) -> None:
        self._mirror = bool(cmd.on)

    @_do.register
    def _(self, cmd: c.Zoom) -> None:
        self._zoom = None if cmd.layer is None else (cmd.layer, int(cmd.channel))
        self._show_rows()

    @_do.register
    def _(self, cmd: c.SelectUnit) -> None:
        self.probes.request("unit", cmd.unit)

    @_do.register(c.ShowSpectrum)
    @_do.register(c.ShowDifference)
    @_do.register(c.ShowAligned)
    @_do.register(c.ShowPhases)
    def _(self, cmd) -> None:
        self.probes.request(cmd.probe, cmd.key)

    @_do.register
    def _(self, cmd: c.ShiftProbe) -> None:
        self._events += jobs.probe(self.engine, cmd.steps_per_px, self.cancel)

    @_do.register
    def _(self, cmd: c.Export) -> None:
        source = self.source.name if self.source else "?"
        self._events.append(jobs.export(self.engine, cmd.folder, cmd.npz, source))

    @_do.register
    def _(self, cmd: c.EngineRate) -> None:
        frames = [viewed for _, _, viewed in self._recent]
        self._events.append(jobs.engine_rate(self._need_engine(), frames, cmd.seconds,
                                             self.cancel, cmd.bare, cmd.busy))

    @_do.register
    def _(self, cmd: c.Ask) -> None:
        self._events.append(jobs.answer(cmd.question, self.source, cmd.samples))

    # -- the step -------------------------------------------------------------------------------
    def _need_engine(self) -> Engine:
        if self.engine is None:
            raise PoolScopeError("no network is built")
        return self.engine

    def _take(self) -> list:
        events, self._events = self._events, []
        return events

