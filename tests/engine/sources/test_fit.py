"""How a frame of another shape goes into the network: crop (the default), squash, letterbox;
the same in the engine, on the command line and in the window's session."""

import numpy as np
import pytest

from engine.engine import Engine, EngineConfig
from engine.sources.preprocess import fit_frame, mirror_image


def wide() -> np.ndarray:
    """A 2:1 frame: red left quarter, green middle half, blue right quarter."""
    img = np.zeros((64, 128, 3), np.uint8)
    img[:, :32, 0] = 255
    img[:, 32:96, 1] = 255
    img[:, 96:, 2] = 255
    return img


def test_crop_keeps_the_centre_at_the_network_aspect():
    out = fit_frame(wide(), (32, 32))
    assert out.shape == (32, 32, 3)
    assert (out[..., 1] == 255).all() and out[..., 0].max() == 0  # only the green middle


def test_squash_keeps_everything_stretched():
    out = fit_frame(wide(), (32, 32), fit="squash")
    assert out[:, 0, 0] .min() == 255 and out[:, -1, 2].min() == 255   # red and blue edges


def test_letterbox_keeps_everything_and_fills_the_bands_with_the_mean():
    out = fit_frame(wide(), (32, 32), fit="letterbox")
    mean = wide().reshape(-1, 3).mean(0).astype(np.uint8)
    assert (out[0] == mean).all() and (out[-1] == mean).all()         # bands above and below
    assert out[16, 0, 0] == 255 and out[16, -1, 2] == 255              # both edges inside
    with pytest.raises(ValueError, match="one of crop, squash, letterbox"):
        fit_frame(wide(), (32, 32), fit="zoom")


def test_the_engine_and_the_command_line_fit_the_same_way(tmp_path, capsys):
    import cv2

    import main as cli

    e = Engine(EngineConfig(device="cpu", fit="letterbox", input_size=32))
    seen = e.step(wide()).input_image
    assert (seen == fit_frame(wide(), (32, 32), 3, "letterbox")).all()
    path = tmp_path / "wide.png"
    cv2.imwrite(str(path), cv2.cvtColor(wide(), cv2.COLOR_RGB2BGR))
    for fit in ("crop", "letterbox"):
        out = tmp_path / fit
        assert cli.main(["export", "--source", str(path), "--out", str(out), "--fit", fit,
                         "--input-size", "32", "--variants", "max,avg", "--frames", "1"]) == 0
        png = next(out.rglob("input.png"))
        got = cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB)
        assert (got == fit_frame(wide(), (32, 32), 3, fit)).all(), fit


@pytest.mark.parametrize("shape", [(5, 7, 3), (5, 7), (6, 9, 4)])
def test_mirror_image_flips_left_to_right_into_a_new_contiguous_array(shape):
    image = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    view = image[:, 1:]                      # not contiguous: taken as it is
    out = mirror_image(view)
    assert np.array_equal(out, view[:, ::-1]) and out.flags["C_CONTIGUOUS"]
    assert not np.shares_memory(out, image)
