"""The ``export`` command: frames of a source, each into its own folder (PNGs, the sheet,
measures, optionally the float maps), or with ``video`` the labelled sheet of every frame
into one video, ``sheets.mp4`` (at the source's frame rate; a pattern or a folder at 30)."""

from __future__ import annotations

import sys

from engine.display.sheet import make_sheet
from engine.output.export import export_frame, new_export_dir
from engine.output.video import VideoWriter
from engine.sources.frames import EndOfStream
from engine.sources.openers import open_source

DEFAULT_FPS = 30.0


def export_command(engine, source: str, out: str, frames: int, npz: bool = False,
                   video: bool = False, say=print) -> int:
    with open_source(source, realtime=False) as src:
        total = frames
        count = getattr(src, "frame_count", 0) or 0
        if count and getattr(src, "loop", True) and total > count:
            print(f"{source} has {count} frames; exporting {count}", file=sys.stderr)
            total = count
        folder = new_export_dir(out)
        fps = float(getattr(src, "fps", 0) or 0) or DEFAULT_FPS
        writer, done = None, 0
        try:
            for k in range(total):
                try:
                    frame = src.read()
                except EndOfStream:
                    break
                result = engine.step(frame)
                if video:
                    sheet = make_sheet(result, engine.cmap, f"PoolScope  {engine.network.spec.name}"
                                       f"  source {source}  frame {result.frame_index}")
                    if writer is None:
                        writer = VideoWriter(folder / "sheets.mp4", sheet.shape[1::-1], fps)
                    writer.write(sheet)
                else:
                    export_frame(folder, engine, result, source=source, npz=npz, number=k)
                done += 1
        finally:
            if writer is not None:
                writer.close()
    what = (f"{done} frame{'s' * (done != 1)} as a video ({writer.codec}, {fps:g} fps) to "
            f"{folder / 'sheets.mp4'}" if writer is not None else
            f"{done} frame{'s' * (done != 1)} of {source} ({len(engine.variant_names)} variants "
            f"x {len(engine.layers)} layers) to {folder}")
    say(f"exported {what}")
    return 0
