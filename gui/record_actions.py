"""Recording what the window shows: the labelled sheet of every frame (composed from the
engine's mosaics at a fixed size, not grabbed from the screen) into a video at the wall-clock
frame rate, named like the exports and never overwriting; the elapsed time in the status bar."""

from __future__ import annotations

import time

from engine import VideoWriter, colormap, make_sheet

RECORD_FPS = 15.0


class RecordActions:
    """A mixin of the main window (it needs ``last``, ``config``, ``_new_path``, messages)."""

    recorder = None
    recorded_seconds = 0.0
    _record_t0 = 0.0

    def toggle_recording(self) -> None:
        """Start recording (Ctrl+R), or stop and say where the video is."""
        if self.recorder is not None:
            self.stop_recording()
            return
        if self.last is None:
            self.show_error("nothing to record yet")
            return
        try:
            path = self._new_path("recording", ".mp4")
            sheet = self._sheet(self.last)
            self.recorder = VideoWriter(path, sheet.shape[1::-1], RECORD_FPS)
        except Exception as e:  # noqa: BLE001 - an ExportError or an OSError: one line
            self.show_error(f"recording: {str(e).splitlines()[0]}")
            return
        self._record_t0 = time.monotonic()
        self.recorder.write(sheet)
        self.show_message(f"● recording to {path} (Ctrl+R stops)")

    def stop_recording(self) -> None:
        rec = self.recorder
        if rec is None:
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
