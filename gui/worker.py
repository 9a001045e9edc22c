"""The one worker: a QObject in its own thread that owns the source and the engine.

The GUI thread never touches either. It sends requests with :meth:`EngineWorker.post` (queued
into the worker thread) and receives typed signals. Results use a slot of size one: the worker
keeps only the newest and emits ``result_ready`` only if the previous one was taken, so a slow
display never builds a backlog and always shows the newest frame.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque

import numpy as np
from PySide6.QtCore import QTimer, Signal, Slot

from engine import (
    Engine,
    EngineConfig,
    Frame,
    FrameSource,
    PoolScopeError,
    export_frame,
    fit_frame,
    new_export_dir,
    open_default,
    open_source,
    shift_image,
    shift_probe,
)
from gui.live_probes import LiveProbes
from gui.messages import EngineInfo, Shown, SourceInfo, WorkerSignals


class EngineWorker(WorkerSignals):
    """Owns the frame source and the engine; lives in a QThread
    (:class:`gui.threads.WorkerThread`).

    Signals
    -------
    result_ready()
        A new :class:`Shown` is waiting: the GUI calls :meth:`take_latest`.
    failed(str)
        A one-line error for the status bar; the worker keeps running.
    engine_changed(object)
        :class:`EngineInfo` after the network, variants or layers changed.
    source_changed(object)
        :class:`SourceInfo` after a source opened.
    exported(str)
        The folder an activation export went to.
    probe_ready(object)
        The :class:`engine.ProbeResult` of a ``post("probe")``, or None if it failed
        (the error comes by ``failed``).
    engine_rated(int, float)
        Frames stepped and seconds taken by a ``post("engine_rate", seconds)``: the engine
        alone, nothing displayed (for ``bench --gui``).

    Commands (``post(command, payload)``) besides the settings: ``"unit"`` (variant, layer,
    channel, y, x) or None, ``"spectrum"`` (layer, channel) or None, ``"difference"`` (layer,
    a, b) or None: keep that probe live in :attr:`Shown.probes`; ``"probe"`` (steps per px or
    None): one shift sweep of the last frame, answered by ``probe_ready``.
    """

    _command = Signal(str, object)

    def __init__(self, config: EngineConfig, source: str | None = None):
        super().__init__()
        self.config = dataclasses.replace(config)  # the worker's own copy; the GUI asks by post()
        self._source_spec = source
        self.source: FrameSource | None = None
        self.engine: Engine | None = None
        self._lock = threading.Lock()
        self._latest: Shown | None = None
        self._notified = False
        self._stop = threading.Event()
        self._frozen: Frame | None = None
        self._nudge = (0.0, 0.0)
        self._dirty = False
        self._mirror = False
        self._zoom: tuple[str, int] | None = None
        self._seq = 0
        self._recent: deque[tuple[int, Frame, Frame]] = deque(maxlen=4)  # seq, raw, viewed
        self._times: deque[float] = deque(maxlen=30)
        self._timer: QTimer | None = None
        self.probes = LiveProbes()
        self._command.connect(self._on_command)

    # -- called from the GUI thread -----------------------------------------------------------
    def post(self, command: str, payload=None) -> None:
        """Queue a request into the worker thread (thread-safe)."""
        self._command.emit(command, payload)

    def take_latest(self) -> Shown | None:
        """The newest result not yet taken (thread-safe), or None."""
        with self._lock:
            shown, self._latest, self._notified = self._latest, None, False
        return shown

    def stop(self) -> None:
        """Ask the loop to stop (thread-safe); the thread then quits its event loop."""
        self._stop.set()

    # -- worker thread ------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._build_engine()
        self._open(self._source_spec)
        self._timer.start(0)

    def _build_engine(self) -> bool:
        try:
            engine = Engine(self.config)
        except PoolScopeError as e:
            self.failed.emit(str(e))
            return False
        self.engine = engine
        self._announce_engine()
        return True

    def _announce_engine(self) -> None:
        e = self.engine
        self.probes.reset()
        probe = e.step(np.zeros((*e.network.input_size, 3), np.uint8), history=False)
        shapes = {(v, ly): probe.views[v][ly].shape for v in probe.variants for ly in probe.layers}
        self.engine_changed.emit(EngineInfo(
            e.network.spec.name, e.variant_names, tuple(e.layers), tuple(e.network.layers),
            shapes, e.network.input_size, str(e.device), e.network.untrained,
            {v: dict(e.network.variants[v].notes) for v in e.variant_names},
            dataclasses.replace(self.config),
            {v: v + (f" ({op.init_note})" if (op := e.network.variants[v].operator).init_note
                     and v not in (e.network.trained or {}) else "")
             for v in e.variant_names}))
        self._dirty = True

    def _open(self, spec: str | None) -> None:
        old, self.source = self.source, None
        if old is not None:
            old.close()
        self._frozen, self._nudge = None, (0.0, 0.0)
        try:
            self.source = open_source(spec, realtime=True) if spec else open_default()
        except PoolScopeError as e:
            self.failed.emit(str(e))
            return
        s = self.source
        self.source_changed.emit(SourceInfo(s.name, s.size, s.live,
                                            int(getattr(s, "frame_count", 0) or 0),
                                            float(getattr(s, "fps", 0.0) or 0.0)))

    @Slot(str, object)
    def _on_command(self, command: str, payload) -> None:
        try:
            self._handle(command, payload)
        except PoolScopeError as e:
            self.failed.emit(str(e))
        if self._timer is not None and not self._timer.isActive() and not self._stop.is_set():
            self._timer.start(0)

    def _handle(self, command: str, payload) -> None:
        if command == "source":
            self._open(payload)
        elif command in ("model", "variants", "device", "input_size", "seed", "weights"):
            before = dataclasses.replace(self.config)
            if command == "weights":  # a file, "imagenet", "trained:DIR" or None (random)
                trained = payload[8:] if str(payload).startswith("trained:") else None
                self.config.weights = None if trained else payload
                self.config.trained = trained
            else:
                setattr(self.config, command, payload)
            if command == "model":  # another network: its own rows, and random weights
                self.config.layers = self.config.weights = self.config.trained = None
            if not self._build_engine():  # keep the engine that works, and its settings
                self.config = before
                if self.engine is not None:
                    self._announce_engine()
        elif command == "layers":
            self.config.layers = tuple(payload) if payload is not None else None
            if self.engine is not None:
                self.engine.set_layers(self.config.layers)
                self._announce_engine()
        elif command == "norm":
            self.config.norm = payload
            self.engine and self.engine.set_norm(payload)
        elif command in ("colormap", "gamma"):
            setattr(self.config, command, payload)
            if self.engine is not None:
                self.engine.set_colormap(self.config.colormap, self.config.gamma)
        elif command == "freeze":
            self._frozen = (self._recent[-1][1] if payload and self._recent else None)
            if payload and self._frozen is None:
                raise PoolScopeError("nothing to freeze yet")
            self._nudge = (0.0, 0.0)
        elif command == "nudge":
            if self._frozen is not None:
                dx, dy = payload
                self._nudge = (self._nudge[0] + dx, self._nudge[1] + dy)
        elif command == "reset_nudge":
            self._nudge = (0.0, 0.0)
        elif command == "step":
            step = getattr(self.source, "step", None)
            if step is not None:
                self._frozen = step()
        elif command == "seek":
            seek = getattr(self.source, "seek", None)
            if seek is not None:
                seek(int(payload))
                if self._frozen is not None:
                    self._frozen = self.source.read()
        elif command == "max_side":
            self.config.max_side = int(payload)
        elif command == "mirror":
            self._mirror = bool(payload)
        elif command == "zoom":
            self._zoom = payload
        elif command == "export":
            self._export(*payload)
        elif command in ("unit", "spectrum", "difference"):
            self.probes.request(command, payload)
        elif command == "probe":
            self._probe(payload)
        elif command == "engine_rate":
            self._engine_rate(float(payload))
        self._dirty = True

    def _tick(self) -> None:
        if self._stop.is_set():
            return
        busy = self.engine is not None and self.source is not None
        if busy and (self._frozen is None or self._dirty):
            self._dirty = False
            try:
                self._step_once()
            except PoolScopeError as e:
                self.failed.emit(str(e))
                if self.source is not None:
                    self.source.close()
                self.source = None
            except Exception as e:  # noqa: BLE001 - a worker must never die silently
                self.failed.emit(f"{type(e).__name__}: {e}")
        if self._frozen is None and busy:
            self._timer.start(0)
        elif busy and self.probes.pending:  # frozen: come back when the skipped probe is due
            self._dirty = True
            self._timer.start(int(1000 * self.probes.pending) + 1)

    def _view(self, frame: Frame) -> Frame:
        """The frame as it goes to the engine: mirrored, and nudged while frozen."""
        image = frame.image[:, ::-1] if self._mirror else frame.image
        if self._frozen is not None and self._nudge != (0.0, 0.0):
            seen = fit_frame(image, self.engine.network.input_size, 3)
            image = shift_image(seen, *self._nudge)
        return Frame(np.ascontiguousarray(image), frame.index, frame.timestamp)

    def _step_once(self) -> None:
        frame = self._frozen if self._frozen is not None else self.source.read()
        viewed = self._view(frame)
        result = self.engine.step(viewed)
        self._seq += 1
        self._recent.append((self._seq, frame, viewed))
        now = time.monotonic()
        self._times.append(now)
        zoom = None
        if self._zoom is not None and self._zoom[0] in result.layers:
            layer, ch = self._zoom
            zoom = {v: self.engine.last_maps[v][layer][ch].float().cpu().numpy().copy()
                    for v in result.variants
                    if ch < self.engine.last_maps[v][layer].shape[0]}
        stats = {
            "engine_fps": _rate(self._times),
            "camera_fps": getattr(self.source, "measured_fps", None),
            "dropped": getattr(self.source, "dropped", None),
            "frozen": self._frozen is not None,
            "nudge": self._nudge,
            "measures_cycled": self.engine.meter.cycled,
        }
        views = self.probes.update(self.engine)
        while self.probes.errors:
            self.failed.emit(self.probes.errors.pop(0))
        shown = Shown(result, self._seq, zoom, self._zoom if zoom else None, self.engine.cmap.lut,
                      frame.index if hasattr(self.source, "seek") else None, stats, views)
        with self._lock:
            self._latest = shown
            notify = not self._notified
            self._notified = True
        if notify:
            self.result_ready.emit()

    def _probe(self, steps_per_px: int | None) -> None:
        """Sweep a shift over the last frame (seconds of work) and answer by probe_ready."""
        if self.engine is None or self.engine.last_input is None:
            self.probe_ready.emit(None)
            raise PoolScopeError("shift probe: no frame yet")
        try:
            result = shift_probe(self.engine, steps_per_px=steps_per_px or 2,
                                 cancel=self._stop.is_set)
        except PoolScopeError:
            self.probe_ready.emit(None)
            raise
        except Exception as e:  # noqa: BLE001 - reported, the worker goes on
            self.probe_ready.emit(None)
            raise PoolScopeError(f"shift probe: {type(e).__name__}: {e}") from None
        self.probe_ready.emit(result)

    def _engine_rate(self, seconds: float) -> None:
        """Step the engine alone, nothing shown, on the frames just shown for ``seconds``;
        answer ``engine_rated(frames, elapsed s)`` (``bench --gui``'s engine-only rate, taken
        in this thread, with this engine, between display phases)."""
        if self.engine is None or not self._recent:
            raise PoolScopeError("engine rate: no frame yet")
        frames = [viewed for _, _, viewed in self._recent]
        n, t0 = 0, time.perf_counter()
        while (time.perf_counter() - t0 < seconds or n < 3) and not self._stop.is_set():
            self.engine.step(frames[n % len(frames)])
            n += 1
        self.engine_rated.emit(n, time.perf_counter() - t0)

    def _export(self, folder: str, npz: bool, seq: int | None) -> None:
        """Export the frame the GUI shows (step ``seq``), re-running it if it is not the last."""
        viewed = next((v for s, _, v in reversed(self._recent) if s == seq), None)
        if viewed is None and self._recent:
            viewed = self._recent[-1][2]
        if viewed is None or self.engine is None:
            raise PoolScopeError("nothing to export yet")
        result = self.engine.step(viewed)  # the same input again: the same maps, as floats
        out = new_export_dir(folder)
        export_frame(out, self.engine, result, source=self.source.name if self.source else "?",
                     npz=npz)
        self.exported.emit(str(out))

    def shutdown(self) -> None:
        """Release the source (called in the worker thread as it finishes)."""
        if self._timer is not None:
            self._timer.stop()
        if self.source is not None:
            self.source.close()
            self.source = None


def _rate(times: deque) -> float | None:
    if len(times) < 2 or times[-1] == times[0]:
        return None
    return (len(times) - 1) / (times[-1] - times[0])
