"""Recordings: `export --video` writes the labelled sheet of every frame into one video that
OpenCV decodes, at the expected size and frame count; H.264 through imageio-ffmpeg, mp4v
without it; never over an existing file."""

import sys

import cv2
import numpy as np
import pytest

import main as cli
from engine.errors import ExportError
from engine.output.video import VideoWriter


def frames_of(path) -> tuple[int, tuple]:
    cap = cv2.VideoCapture(str(path))
    n, shape = 0, None
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        n, shape = n + 1, frame.shape
    cap.release()
    return n, shape


def test_export_video_writes_every_frame_s_sheet(tmp_path, capsys):
    assert cli.main(["export", "--source", "pattern:shapes", "--out", str(tmp_path),
                     "--frames", "12", "--video", "--input-size", "32",
                     "--variants", "max,blur"]) == 0
    assert "exported 12 frames as a video (h264, 30 fps)" in capsys.readouterr().out
    (video,) = tmp_path.rglob("sheets.mp4")
    n, shape = frames_of(video)
    assert n == 12 and shape[0] % 2 == 0 and shape[1] % 2 == 0 and shape[0] > 200


def test_without_imageio_ffmpeg_it_falls_back_to_mp4v_and_never_overwrites(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)   # import fails
    w = VideoWriter(tmp_path / "a.mp4", (63, 41), 10)
    assert w.codec == "mp4v" and w.size == (64, 42)
    w.write(np.full((20, 30, 3), 200, np.uint8), times=3)     # held for three frames
    w.close()
    assert frames_of(tmp_path / "a.mp4") == (3, (42, 64, 3))
    with pytest.raises(ExportError, match="exists already"):
        VideoWriter(tmp_path / "a.mp4", (64, 42), 10)
