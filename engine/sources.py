"""Open a frame source from what the user wrote: ``camera[:N]``, a path, or ``pattern:NAME``."""

from __future__ import annotations

import inspect
from pathlib import Path

from engine.camera import CameraSource
from engine.errors import SourceError
from engine.frames import FrameSource
from engine.images import IMAGE_EXTENSIONS, FolderSource, ImageSource
from engine.patterns import PATTERNS, Pattern
from engine.video import VIDEO_EXTENSIONS, VideoSource

_COMMON = ("width", "height", "seed", "fps", "realtime")


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_pattern(spec: str) -> tuple[str, dict]:
    """``pattern:NAME,key=value,...`` -> (NAME, {key: value}) with numbers parsed."""
    body = spec.split(":", 1)[1]
    name, *pairs = [p.strip() for p in body.split(",")]
    params = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise SourceError(f"{spec}: expected key=value, got {pair!r}")
        params[key.strip()] = _value(value.strip())
    return name, params


def open_source(spec: str, *, realtime: bool = True,
                size: tuple[int, int] | None = None) -> FrameSource:
    """Open the source a user named.

    Parameters
    ----------
    spec : str
        ``camera`` / ``camera:N``; ``pattern:NAME[,key=value...]``; a folder; an image or
        video file.
    realtime : bool
        Pace files and patterns to their frame rate (False: as fast as asked).
    size : (width, height), optional
        Requested camera resolution.

    Raises
    ------
    SourceError
        One line naming the source and what is wrong.
    """
    spec = str(spec).strip()
    if spec == "camera" or spec.startswith("camera:"):
        index = spec.partition(":")[2] or "0"
        if not index.isdigit():
            raise SourceError(f"{spec}: camera index must be a number")
        return CameraSource(int(index), size=size or (640, 480))
    if spec.startswith("pattern:"):
        name, params = parse_pattern(spec)
        if name not in PATTERNS:
            raise SourceError(f"{spec}: unknown pattern {name!r} (known: {', '.join(PATTERNS)})")
        params.setdefault("realtime", realtime)
        try:
            return PATTERNS[name](**params)
        except TypeError as e:  # an unknown key: "... got an unexpected keyword argument 'x'"
            raise SourceError(f"{spec}: {str(e).split(') ', 1)[-1]}") from None
        except ValueError as e:  # a value of the wrong kind, e.g. freq=fast
            raise SourceError(f"{spec}: bad value ({e})") from None
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path, realtime=realtime)
    suffix = path.suffix.lower()
    if suffix in VIDEO_EXTENSIONS:
        return VideoSource(path, realtime=realtime)
    if suffix in IMAGE_EXTENSIONS or not path.exists():
        return ImageSource(path)
    try:  # unknown extension: an image, else a video
        return ImageSource(path)
    except SourceError:
        try:
            return VideoSource(path, realtime=realtime)
        except SourceError:
            raise SourceError(f"{spec}: not an image or video OpenCV can read") from None


def open_default(realtime: bool = True) -> FrameSource:
    """Camera 0 if it opens, else the moving-shapes pattern."""
    try:
        return CameraSource(0)
    except SourceError:
        return PATTERNS["shapes"](realtime=realtime)


def pattern_params(name: str) -> dict[str, object]:
    """Keyword parameters (with defaults) that ``pattern:NAME,key=value`` accepts."""
    params: dict[str, object] = {}
    for cls in (PATTERNS[name], Pattern):
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.kind is p.KEYWORD_ONLY:
                params[p.name] = p.default
    return params


def describe_sources() -> str:
    """One help paragraph on the source forms, the patterns and their parameters."""
    described = []
    for name in PATTERNS:
        own = [f"{k}={v}" for k, v in pattern_params(name).items() if k not in _COMMON]
        described.append(f"{name} ({', '.join(own)})")
    patterns = "; ".join(described)
    return ("SOURCE is camera or camera:N (an OpenCV camera index); an image (" +
            ", ".join(sorted(e[1:] for e in IMAGE_EXTENSIONS)) + "), a video (" +
            ", ".join(sorted(e[1:] for e in VIDEO_EXTENSIONS)) + ") or a folder of images; "
            "or pattern:NAME[,key=value...] with NAME one of: " + patterns +
            f"; every pattern also takes {', '.join(_COMMON)} "
            "(e.g. pattern:grating,freq=0.1,speed=0.25 or pattern:pan,dx=1.5).")
