"""Recording what the window shows: the labelled sheet of every frame (composed from the
engine's mosaics at a fixed size, not grabbed from the screen) into a video at the wall-clock
frame rate, named like the exports and never overwriting; the elapsed time in the status bar.

While it records the engine builds the mosaics of every row (not only those on screen), and the
video starts with the first frame that has them all, so every frame has the same size."""

from __future__ import annotations

import time

from engine import VideoWriter, Viewport, colormap, make_sheet

RECORD_FPS = 15.0


class RecordActions:
    """A mixin of the main window (it needs ``last``, ``config``, ``_new_path``, messages)."""

    recorder = None
    recorded_seconds = 0.0
    _record_t0 = 0.0
    _record_path = None    # asked to record: the video starts when every row has a mosaic

    @property
    def recording(self) -> bool:
        return self.recorder is not None or self._record_path is not None

    def send_viewport(self, side: int, rows) -> None:
        """The rows on screen and their size, for the engine (every row while recording)."""
        self.send(Viewport(side, None if self.recording else rows))

    def toggle_recording(self) -> None:
        """Start recording (Ctrl+R), or stop and say where the video is."""
        if self.recording:
            self.stop_recording()
            return
        if self.last is None:
            self.show_error("nothing to record yet")
            return
        try:
            self._record_path = self._new_path("recording", ".mp4")
        except Exception as e:  # noqa: BLE001 - an ExportError or an OSError: one line
            self.show_error(f"recording: {str(e).splitlines()[0]}")
            return
        self.send_viewport(self.grid.resolution, None)
        self._record_frame(self.last)
        self.show_message(f"● recording to {self._record_path} (Ctrl+R stops)")

    def _start_recording(self, shown) -> None:
        r = shown.result
        if not all(ly in r.views[v] for v in r.variants for ly in r.layers):
            return   # the engine has not built every row yet: the next frame
        path, self._record_path = self._record_path, None
        try:
            sheet = self._sheet(shown)
            self.recorder = VideoWriter(path, sheet.shape[1::-1], RECORD_FPS)
        except Exception as e:  # noqa: BLE001 - an ExportError or an OSError: one line
            self.show_error(f"recording: {str(e).splitlines()[0]}")
            self.send_viewport(self.grid.resolution, self.grid.rows_on_screen)
            return
        self._record_t0 = time.monotonic()
        self.recorder.write(sheet)

    def stop_recording(self) -> None:
        rec = self.recorder
        if rec is None and self._record_path is None:
            return
        self._record_path = None
        self.send_viewport(self.grid.resolution, self.grid.rows_on_screen)
        if rec is None:
            self.show_message("recording stopped before its first frame")
            return
        self.recorded_seconds = time.monotonic() - self._record_t0
        if self.last is not None:   # the last frame held until now: frames = fps x elapsed
            self._record_frame(self.last)
        self.recorder = None
        rec.close()
        self.show_message(f"recorded {rec.frames / rec.fps:.1f} s ({rec.frames} frames, "
                          f"{rec.codec}) to {rec.path}")

    def _record_frame(self, shown) -> None:
        """With each frame shown: the frames due since the start, at the wall-clock rate."""
        if self._record_path is not None:
            self._start_recording(shown)
            return
        rec = self.recorder
        if rec is None:
            return
        elapsed = time.monotonic() - self._record_t0
        due = int(elapsed * rec.fps) + 1 - rec.frames
        if due > 0:
            rec.write(self._sheet(shown), times=due)
            self.status_message.setText(f"● recording {elapsed:.0f} s to {rec.path.name}")

    def _sheet(self, shown):
        return make_sheet(shown.result, colormap(self.config.colormap, self.config.gamma),
                          f"PoolScope  {shown.result.frame_index}")
