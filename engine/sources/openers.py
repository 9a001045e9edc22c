"""Open a frame source from what the user wrote: ``camera[:N]``, a path, or ``pattern:NAME``.

Each kind of source is a :class:`SourceKind` in the registry :data:`OPENERS`: it claims the
specs it understands, opens them, and describes its forms for ``--help``. :func:`open_source`
asks the kinds in registration order and the first that claims a spec opens it. Adding a kind
of source is one class here (or anywhere) plus its ``@register`` line.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import ClassVar

from engine.errors import SourceError
from engine.sources.camera import CameraSource
from engine.sources.frames import FrameSource
from engine.sources.images import IMAGE_EXTENSIONS, FolderSource, ImageSource
from engine.sources.patterns import PATTERNS, Pattern
from engine.sources.video import VIDEO_EXTENSIONS, VideoSource

_COMMON = ("width", "height", "seed", "fps", "realtime")


class SourceKind:
    """One kind of source: which specs it claims, how it opens them, how help describes it."""

    name: ClassVar[str] = ""

    def claims(self, spec: str) -> bool:
        """True if this kind opens ``spec`` (asked in registration order)."""
        raise NotImplementedError

    def open(self, spec: str, *, realtime: bool, size: tuple[int, int] | None) -> FrameSource:
        """The open source; SourceError with one line if it cannot be opened."""
        raise NotImplementedError

    def help(self) -> str:
        """This kind's forms, for the help paragraph ("" to leave it out)."""
        return ""


OPENERS: list[SourceKind] = []


def register(cls: type[SourceKind]) -> type[SourceKind]:
    """Add a kind of source after those registered before it (the one line a new kind adds)."""
    OPENERS.append(cls())
    return cls


@register
class Camera(SourceKind):
    name = "camera"

    def claims(self, spec: str) -> bool:
        return spec == "camera" or spec.startswith("camera:")

    def open(self, spec, *, realtime, size):
        index = spec.partition(":")[2] or "0"
        if not index.isdigit():
            raise SourceError(f"{spec}: camera index must be a number")
        return CameraSource(int(index), size=size or (640, 480))

    def help(self) -> str:
        return "camera or camera:N (an OpenCV camera index)"


@register
class PatternKind(SourceKind):
    name = "pattern"

    def claims(self, spec: str) -> bool:
        return spec.startswith("pattern:")

    def open(self, spec, *, realtime, size):
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

    def help(self) -> str:
        described = []
        for name in PATTERNS:
            own = [f"{k}={v}" for k, v in pattern_params(name).items() if k not in _COMMON]
            described.append(f"{name} ({', '.join(own)})")
        return ("pattern:NAME[,key=value...] with NAME one of: " + "; ".join(described) +
                f"; every pattern also takes {', '.join(_COMMON)} "
                "(e.g. pattern:grating,freq=0.1,speed=0.25 or pattern:pan,dx=1.5)")


@register
class Folder(SourceKind):
    name = "folder"

    def claims(self, spec: str) -> bool:
        return Path(spec).is_dir()

    def open(self, spec, *, realtime, size):
        return FolderSource(Path(spec), realtime=realtime)

    def help(self) -> str:
        return "a folder of images"


@register
class Video(SourceKind):
    name = "video"

    def claims(self, spec: str) -> bool:
        return Path(spec).suffix.lower() in VIDEO_EXTENSIONS

    def open(self, spec, *, realtime, size):
        return VideoSource(Path(spec), realtime=realtime)

    def help(self) -> str:
        return "a video (" + ", ".join(sorted(e[1:] for e in VIDEO_EXTENSIONS)) + ")"


@register
class Image(SourceKind):
    """An image by its extension, and any path that does not exist (it says so)."""

    name = "image"

    def claims(self, spec: str) -> bool:
        path = Path(spec)
        return path.suffix.lower() in IMAGE_EXTENSIONS or not path.exists()

    def open(self, spec, *, realtime, size):
        return ImageSource(Path(spec))

    def help(self) -> str:
        return "an image (" + ", ".join(sorted(e[1:] for e in IMAGE_EXTENSIONS)) + ")"


@register
class AnyFile(SourceKind):
    """A file with an extension no other kind claims: an image, else a video."""

    name = "file"

    def claims(self, spec: str) -> bool:
        return True

    def open(self, spec, *, realtime, size):
        path = Path(spec)
        try:
            return ImageSource(path)
        except SourceError:
            try:
                return VideoSource(path, realtime=realtime)
            except SourceError:
                raise SourceError(f"{spec}: not an image or video OpenCV can read") from None


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
        video file (see :data:`OPENERS`).
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
    kind = next(k for k in OPENERS if k.claims(spec))
    return kind.open(spec, realtime=realtime, size=size)


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
    return "SOURCE is " + "; ".join(h for k in OPENERS if (h := k.help())) + "."
