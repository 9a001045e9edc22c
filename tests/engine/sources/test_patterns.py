"""Built-in patterns: exact geometry of each motion, determinism, validation."""

import numpy as np
import pytest

from engine.errors import SourceError
from engine.sources.patterns import PATTERNS, GratingPattern, PanPattern

W, H = 64, 48


def _make(name, **kw):
    return PATTERNS[name](width=W, height=H, realtime=False, **kw)


@pytest.mark.parametrize("name", list(PATTERNS))
def test_frames_are_fresh_rgb_arrays_of_the_asked_size(name):
    p = _make(name)
    a, b = p.render(3), p.render(3)
    assert a.shape == (H, W, 3) and a.dtype == np.uint8 and a.flags.c_contiguous
    assert (a == b).all() and not np.shares_memory(a, b)
    assert p.size == (W, H) and p.name == f"pattern:{name}" and not p.live


@pytest.mark.parametrize("name", ["shapes", "pan"])
def test_seed_changes_the_scene_and_fixes_it(name):
    assert (_make(name, seed=1).render(0) == _make(name, seed=1).render(0)).all()
    assert not (_make(name, seed=1).render(0) == _make(name, seed=2).render(0)).all()


def test_shapes_move_over_a_textured_background():
    p = _make("shapes")
    a, b = p.render(0).astype(int), p.render(10).astype(int)
    assert (np.abs(a - b).max(axis=2) > 40).mean() > 0.01      # shapes moved
    assert len(np.unique(p.render(0).reshape(-1, 3), axis=0)) > 200  # textured


def test_grating_phase_is_analytic_at_subpixel_speed():
    g = GratingPattern(freq=0.1, speed=0.3, width=W, height=8, realtime=False)
    x = np.arange(W)
    for i in (0, 1, 7):
        expected = np.rint(255 * (0.5 + 0.5 * np.sin(2 * np.pi * 0.1 * (x - 0.3 * i))))
        assert np.abs(g.render(i)[0, :, 0] - expected).max() <= 1
    frame = g.render(5)  # 5 x 0.3 = 1.5 px: not an integer shift of frame 0
    assert not any((frame[:, k:] == g.render(0)[:, :W - k]).all() for k in (1, 2))


def test_grating_angle_and_contrast():
    g = GratingPattern(angle=90, contrast=0.5, width=W, height=H, realtime=False)
    img = g.render(0)[..., 0].astype(int)
    assert (img == img[:, :1]).all()                    # 90 deg: varies along y only
    assert img.min() >= 63 and img.max() <= 192         # half contrast around 127.5
    with pytest.raises(SourceError, match="contrast"):
        GratingPattern(contrast=2, realtime=False)


def test_checker_squares_and_motion():
    c = _make("checker", square=8, speed=3)
    a = c.render(0)[..., 0]
    assert (a[:8, :8] == a[0, 0]).all() and a[0, 0] != a[0, 8] and a[0, 0] != a[8, 0]
    b = c.render(2)[..., 0]                              # 2 x 3 = 6 px to the right
    assert (b[:, 6:] == a[:, :-6]).all()
    with pytest.raises(SourceError, match="square"):
        _make("checker", square=0)


def test_pan_integer_shift_is_an_exact_slice_and_wraps():
    p = PanPattern(dx=4, dy=2, width=W, height=H, realtime=False)
    a, b = p.render(0), p.render(1)
    assert (b[:-2, :-4] == a[2:, 4:]).all()
    sh, sw = p.scene.shape[:2]
    assert sw > W and sh > H
    period = np.lcm(sw // 4, sh // 2)                   # back where it started
    assert (p.render(int(period)) == a).all()
    assert (a == p.scene[:H, :W]).all()


def test_pan_fractional_shift_is_bilinear():
    p = PanPattern(dx=0.5, dy=0, width=W, height=H, realtime=False)
    a, half = p.render(0).astype(float), p.render(1).astype(float)
    expected = (a[:, :-1] + a[:, 1:]) / 2
    assert np.abs(half[:, :-1] - expected).max() <= 1.0
    assert (p.render(2)[:, :-1] == p.render(0)[:, 1:]).all()  # two half steps = one pixel


def test_bad_common_parameters():
    with pytest.raises(SourceError, match="size"):
        PATTERNS["checker"](width=0, realtime=False)
    with pytest.raises(SourceError, match="fps"):
        PATTERNS["checker"](fps=0)
