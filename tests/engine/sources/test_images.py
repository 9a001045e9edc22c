"""load_image conversions and the still-image / folder sources."""

import itertools

import cv2
import numpy as np
import pytest

from engine.errors import SourceError
from engine.sources.images import FolderSource, ImageSource, load_image
from tests.conftest import scene


def test_half_transparent_pixels_are_composited_over_mid_grey(tmp_path):
    bgra = np.zeros((4, 4, 4), np.uint8)
    bgra[..., 2] = 255          # red
    bgra[..., 3] = 64           # a = 64/255
    path = tmp_path / "glass.png"
    assert cv2.imwrite(str(path), bgra)
    img = load_image(path)
    a = 64 / 255
    expected = np.rint([a * 255 + (1 - a) * 128, (1 - a) * 128, (1 - a) * 128])
    assert (img == expected.astype(np.uint8)).all()


def test_16bit_values_are_scaled_by_the_full_range_and_rounded(tmp_path):
    grey16 = np.array([[0, 128, 1000, 65535]], np.uint16)  # 1000*255/65535 = 3.89 -> 4
    path = tmp_path / "deep_grey.png"
    assert cv2.imwrite(str(path), grey16)
    img = load_image(path)
    assert img.shape == (1, 4, 3)
    assert img[0, :, 0].tolist() == [0, 0, 4, 255]


def test_unicode_path(tmp_path, image_files):
    path = tmp_path / "фото café 写真.png"
    path.write_bytes(image_files["png"].read_bytes())
    assert (load_image(path) == scene()).all()


def test_jpeg_with_a_trailer_after_the_image_is_not_truncated(jpeg_with_trailer):
    img = load_image(jpeg_with_trailer)
    assert img.shape == (48, 64, 3)
    assert np.abs(img.astype(int) - scene().astype(int)).mean() < 12


@pytest.mark.parametrize("fixture", ["truncated_jpeg", "truncated_jpeg_with_thumbnail"])
def test_truncated_jpeg_is_reported(request, fixture):
    path = request.getfixturevalue(fixture)
    with pytest.raises(SourceError) as err:
        load_image(path)
    assert str(err.value) == f"{path}: truncated JPEG (no end-of-image marker)"


def test_failures_name_the_file(tmp_path, empty_file, not_image):
    cases = {tmp_path / "gone.png": "no such file", tmp_path: "is a folder",
             empty_file: "file is empty (0 bytes)",
             not_image: "not an image or video OpenCV can read"}
    for path, reason in cases.items():
        with pytest.raises(SourceError) as err:
            load_image(path)
        assert str(err.value) == f"{path}: {reason}"


def test_image_source_repeats_fresh_copies_with_counting_index(rgb_png):
    with ImageSource(rgb_png) as src:
        assert src.size == (64, 48) and not src.live
        frames = list(itertools.islice(src, 3))
    assert [f.index for f in frames] == [0, 1, 2]
    frames[0].image[:] = 0                          # a consumer scribbling on its frame
    assert (frames[1].image == scene()).all()
    with pytest.raises(SourceError, match="closed"):
        src.read()


def test_folder_size_order_and_errors(tmp_path, image_folder):
    src = FolderSource(image_folder)
    assert [p.name for p in src.files] == ["img1.png", "img2.png", "img10.png"]
    assert src.size == (30, 20)
    assert [f.index for f in itertools.islice(src, 4)] == [0, 1, 2, 3]
    (tmp_path / "notes.txt").write_text("no pictures here")
    with pytest.raises(SourceError, match="no images in this folder"):
        FolderSource(tmp_path)
    with pytest.raises(SourceError, match="no such folder"):
        FolderSource(tmp_path / "absent")


def test_folder_size_skips_an_unreadable_first_file(tmp_path):
    (tmp_path / "a.png").write_text("broken")
    assert cv2.imwrite(str(tmp_path / "b.png"), np.zeros((7, 9, 3), np.uint8))
    src = FolderSource(tmp_path)
    assert src.size == (9, 7)
    with pytest.raises(SourceError, match="a.png"):
        src.read()
    assert src.read().image.shape == (7, 9, 3)
