"""Built-in synthetic sources: deterministic functions of (frame index, parameters, seed).

Each pattern is a :class:`~engine.sources.frames.FrameSource` with a pure ``render(index)``, so
tests and the engine can ask for frame *i* without timing. ``read()`` renders the next
index and, with ``realtime=True``, paces itself to ``fps``.
"""

from __future__ import annotations

import abc
import math
import os
import time

import numpy as np

from engine.errors import SourceError
from engine.sources.frames import Frame, FrameSource, Pacer, check_open

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")  # before cv2 loads (frames.py did too)
import cv2  # noqa: E402


class Pattern(FrameSource):
    """Base of the synthetic patterns: size, seed, pacing and the frame counter."""

    kind = ""

    def __init__(
        self,
        *,
        width: int = 640,
        height: int = 480,
        seed: int = 0,
        fps: float = 30.0,
        realtime: bool = True,
    ) -> None:
        self.name = f"pattern:{self.kind}"
        self.live = False
        if int(width) < 8 or int(height) < 8:
            raise SourceError(f"{self.name}: size must be at least 8x8, got {width}x{height}")
        if not float(fps) > 0:
            raise SourceError(f"{self.name}: fps must be positive, got {fps}")
        self.width, self.height = int(width), int(height)
        self.seed = int(seed)
        self.fps = float(fps)
        self.realtime = bool(realtime)
        self._pacer = Pacer(self.fps)
        self._index = 0
        self._closed = False

    @abc.abstractmethod
    def render(self, index: int) -> np.ndarray:
        """Return frame ``index`` as a fresh (H, W, 3) uint8 RGB array (no timing)."""

    def read(self) -> Frame:
        """Render the next frame, paced to ``fps`` when ``realtime`` is set."""
        check_open(self, self._closed)
        now = self._pacer.wait() if self.realtime else time.monotonic()
        frame = Frame(self.render(self._index), self._index, now)
        self._index += 1
        return frame

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    def close(self) -> None:
        self._closed = True


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    """(H, W) float in [0, 1] -> fresh (H, W, 3) uint8."""
    g = np.clip(np.rint(grey * 255.0), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(g[:, :, None], 3, axis=2))


def _bounce(start: float, velocity: float, index: int, low: float, high: float) -> float:
    """Position of a point moving at ``velocity`` that reflects off ``low`` and ``high``."""
    span = high - low
    if span <= 0:
        return low
    t = (start - low + velocity * index) % (2 * span)
    return low + (t if t <= span else 2 * span - t)


def _noise_texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Smooth seeded colour noise in [0, 1], (H, W, 3) float32 (periodic, ~1/f spectrum)."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    radius = np.hypot(fx, fy)
    radius[0, 0] = 1.0
    amplitude = 1.0 / radius
    amplitude[0, 0] = 0.0
    channels = []
    for _ in range(3):
        phase = rng.uniform(0, 2 * np.pi, amplitude.shape)
        field = np.fft.irfft2(amplitude * np.exp(1j * phase), s=(height, width))
        field = (field - field.min()) / max(float(np.ptp(field)), 1e-12)
        channels.append(field)
    stack = np.stack(channels, axis=2)
    mix = rng.uniform(0.1, 1.0, (3, 3))
    mix /= mix.sum(axis=1, keepdims=True)
    return (stack @ mix.T).astype(np.float32)


class ShapesPattern(Pattern):
    """Coloured circles, rectangles and triangles moving over a textured background."""

    kind = "shapes"

    def __init__(self, *, count: int = 8, **common: object) -> None:
        super().__init__(**common)  # type: ignore[arg-type]
        if int(count) < 0:
            raise SourceError(f"{self.name}: count must be >= 0, got {count}")
        rng = np.random.default_rng(self.seed)
        h, w = self.height, self.width
        texture = _noise_texture(rng, h, w)
        ramp = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
        tint = np.array([0.25, 0.35, 0.55], np.float32)
        background = 0.55 * texture + 0.45 * (ramp * tint + (1 - ramp) * tint[::-1])
        self._background = np.clip(np.rint(background * 255), 0, 255).astype(np.uint8)
        scale = min(w, h)
        self._shapes = [
            {
                "kind": ("circle", "rect", "triangle")[k % 3],
                "colour": tuple(int(c) for c in rng.integers(40, 256, 3)),
                "radius": float(rng.uniform(0.06, 0.14) * scale),
                "x0": float(rng.uniform(0, w)),
                "y0": float(rng.uniform(0, h)),
                "vx": float(rng.uniform(-3, 3)),
                "vy": float(rng.uniform(-3, 3)),
                "spin": float(rng.uniform(-0.05, 0.05)),
            }
            for k in range(int(count))
        ]

    def render(self, index: int) -> np.ndarray:
        image = self._background.copy()
        shift = 4  # sub-pixel precision bits for the anti-aliased drawing calls
        for s in self._shapes:
            r = s["radius"]
            x = _bounce(s["x0"], s["vx"], index, r, self.width - r)
            y = _bounce(s["y0"], s["vy"], index, r, self.height - r)
            angle = s["spin"] * index
            if s["kind"] == "circle":
                centre = (round(x * 16), round(y * 16))
                cv2.circle(image, centre, round(r * 16), s["colour"], -1, cv2.LINE_AA, shift)
                continue
            corners = 4 if s["kind"] == "rect" else 3
            theta = angle + np.arange(corners) * 2 * np.pi / corners + np.pi / 4
            pts = np.stack([x + r * np.cos(theta), y + r * np.sin(theta)], axis=1)
            cv2.fillPoly(image, [np.rint(pts * 16).astype(np.int32)], s["colour"],
                         cv2.LINE_AA, shift)
        return image


class GratingPattern(Pattern):
    """Drifting sinusoidal grating with an exact (analytic) sub-pixel phase.

    Intensity is ``0.5 + 0.5 * contrast * sin(2*pi*freq*(u - speed*index))`` where ``u`` is
    the pixel coordinate along direction ``angle`` (degrees, 0 = varies along x).
    """

    kind = "grating"

    def __init__(
        self,
        *,
        freq: float = 0.05,
        speed: float = 0.5,
        angle: float = 0.0,
        contrast: float = 1.0,
        **common: object,
    ) -> None:
        super().__init__(**common)  # type: ignore[arg-type]
        if not 0 < float(freq) <= 0.5:
            raise SourceError(f"{self.name}: freq must be in (0, 0.5] cycles/pixel, got {freq}")
        if not 0 <= float(contrast) <= 1:
            raise SourceError(f"{self.name}: contrast must be in [0, 1], got {contrast}")
        self.freq, self.speed = float(freq), float(speed)
        self.angle, self.contrast = float(angle), float(contrast)
        a = math.radians(self.angle)
        # Rounded so that 90 degrees gives cos == 0 exactly: no stray dependence on x.
        cos_a, sin_a = round(math.cos(a), 12), round(math.sin(a), 12)
        ys, xs = np.mgrid[0 : self.height, 0 : self.width].astype(np.float64)
        self._u = xs * cos_a + ys * sin_a

    def render(self, index: int) -> np.ndarray:
        phase = 2 * np.pi * self.freq * (self._u - self.speed * index)
        return _grey_to_rgb(0.5 + 0.5 * self.contrast * np.sin(phase))


class CheckerPattern(Pattern):
    """Black and white checkerboard of ``square`` px, moving right by ``speed`` px/frame."""

    kind = "checker"

    def __init__(self, *, square: int = 32, speed: float = 0.0, **common: object) -> None:
        super().__init__(**common)  # type: ignore[arg-type]
        if int(square) < 1:
            raise SourceError(f"{self.name}: square must be >= 1 px, got {square}")
        self.square, self.speed = int(square), float(speed)
        self._x = np.arange(self.width, dtype=np.float64)
        self._row_parity = (np.arange(self.height) // self.square) % 2

    def render(self, index: int) -> np.ndarray:
        col_parity = np.floor((self._x - self.speed * index) / self.square).astype(np.int64) % 2
        board = (self._row_parity[:, None] + col_parity[None, :]) % 2
        return _grey_to_rgb(board.astype(np.float64))


class PanPattern(Pattern):
    """A photo-like scene seen through a window translating ``dx``, ``dy`` px per frame.

    The scene (1/f colour noise plus shapes and edges, larger than the frame) is periodic,
    so the window wraps around seamlessly. Integer offsets are exact slices; fractional
    offsets use bilinear ``cv2.warpAffine``.
    """

    kind = "pan"

    def __init__(self, *, dx: float = 1.0, dy: float = 0.0, **common: object) -> None:
        super().__init__(**common)  # type: ignore[arg-type]
        self.dx, self.dy = float(dx), float(dy)
        rng = np.random.default_rng(self.seed)
        sh, sw = 2 * self.height, 2 * self.width
        scene = np.clip(np.rint(_noise_texture(rng, sh, sw) * 255), 0, 255).astype(np.uint8)
        scale = min(sw, sh)
        for _ in range(24):  # shapes kept off the border so the wrap stays seamless
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            cx = int(rng.uniform(0.1, 0.9) * sw)
            cy = int(rng.uniform(0.1, 0.9) * sh)
            r = int(rng.uniform(0.02, 0.08) * scale)
            choice = rng.integers(3)
            if choice == 0:
                cv2.circle(scene, (cx, cy), r, colour, -1, cv2.LINE_AA)
            elif choice == 1:
                cv2.rectangle(scene, (cx - r, cy - r // 2), (cx + r, cy + r // 2), colour, -1)
            else:
                x2 = int(np.clip(cx + rng.uniform(-3, 3) * r, 0, sw - 1))
                y2 = int(np.clip(cy + rng.uniform(-3, 3) * r, 0, sh - 1))
                cv2.line(scene, (cx, cy), (x2, y2), colour, max(1, r // 6), cv2.LINE_AA)
        self.scene = scene
        # Wrap-padded copy: any (H+1, W+1) window starting inside the scene is one slice.
        self._padded = np.pad(scene, ((0, self.height + 1), (0, self.width + 1), (0, 0)),
                              mode="wrap")

    def offset(self, index: int) -> tuple[float, float]:
        """Top-left (x, y) of the window in the periodic scene for frame ``index``."""
        sh, sw = self.scene.shape[:2]
        return ((self.dx * index) % sw, (self.dy * index) % sh)

    def render(self, index: int) -> np.ndarray:
        ox, oy = self.offset(index)
        ix, iy = math.floor(ox), math.floor(oy)
        fx, fy = ox - ix, oy - iy
        h, w = self.height, self.width
        if fx == 0 and fy == 0:
            return self._padded[iy : iy + h, ix : ix + w].copy()
        patch = self._padded[iy : iy + h + 1, ix : ix + w + 1]
        shift = np.array([[1.0, 0.0, -fx], [0.0, 1.0, -fy]])
        # M maps patch -> frame, so frame(x, y) = patch(x + fx, y + fy), bilinear.
        out = cv2.warpAffine(patch, shift, (w, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
        return np.ascontiguousarray(out)


PATTERNS: dict[str, type[Pattern]] = {
    "shapes": ShapesPattern,
    "grating": GratingPattern,
    "checker": CheckerPattern,
    "pan": PanPattern,
}
