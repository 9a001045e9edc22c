"""Frames and the frame-source interface every input (camera, file, pattern) implements.

Also holds the two small helpers the sources share: :class:`LatestSlot`, a thread-safe
slot of size one (the newest frame wins), and :class:`Pacer`, which paces ``read()`` to a
frame rate with ``time.monotonic`` and a sleep.
"""

from __future__ import annotations

import abc
import itertools
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

# Silence OpenCV's own warnings (e.g. probing a missing camera) and FFmpeg's demuxer chatter
# ("moov atom not found"): every failure becomes a one-line SourceError instead.
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import numpy as np  # noqa: E402

from engine.errors import SourceError  # noqa: E402


class EndOfStream(SourceError):
    """A finite source (a video opened with ``loop=False``) has no more frames."""


@dataclass(frozen=True)
class Frame:
    """One frame delivered by a source.

    Attributes
    ----------
    image : np.ndarray
        (H, W, 3) uint8 RGB, C-contiguous, a fresh array for every frame.
    index : int
        Frame number within the source: the position in the file for videos, the count
        since open for cameras, patterns and still images.
    timestamp : float
        ``time.monotonic()`` when the frame was captured or produced.
    """

    image: np.ndarray
    index: int
    timestamp: float


class FrameSource(abc.ABC):
    """Something that delivers RGB frames: a camera, a video, images or a pattern.

    Attributes
    ----------
    name : str
        What the user named, e.g. ``"camera:0"``, ``"photo.jpg"``, ``"pattern:shapes"``.
    live : bool
        True for cameras: frames are dropped when the consumer is slow, the newest wins.
    """

    name: str = ""
    live: bool = False

    @abc.abstractmethod
    def read(self) -> Frame:
        """Return the next frame (for a camera, the newest one not yet returned).

        Raises
        ------
        SourceError
            With a one-line message naming the source and the reason.
        """

    @property
    @abc.abstractmethod
    def size(self) -> tuple[int, int]:
        """(width, height) of the delivered frames."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the source. Idempotent."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        """Yield ``read()`` forever; use ``itertools.islice`` for a finite number."""
        for _ in itertools.count():
            yield self.read()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class LatestSlot:
    """Thread-safe slot holding only the newest frame (a queue of size one).

    The producer calls :meth:`put`, which replaces whatever is there; a frame replaced
    before any consumer took it counts as dropped. The consumer calls :meth:`get_newer`
    with the index of the frame it saw last, so it never gets the same frame twice and
    never works through a backlog.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._taken = True
        self._dropped = 0
        self._closed = False

    def put(self, frame: Frame) -> None:
        """Store ``frame``, replacing (and counting as dropped) an untaken older one."""
        with self._cond:
            if self._frame is not None and not self._taken:
                self._dropped += 1
            self._frame = frame
            self._taken = False
            self._cond.notify_all()

    def get_newer(self, after_index: int = -1, timeout: float | None = None) -> Frame | None:
        """Wait for a frame whose index is greater than ``after_index``.

        Parameters
        ----------
        after_index : int
            Index of the frame the caller saw last (-1 for none).
        timeout : float or None
            Seconds to wait; None waits until a frame arrives or the slot is closed.

        Returns
        -------
        Frame or None
            The newest frame, or None on timeout or once the slot is closed and holds
            nothing newer.
        """
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._newer(after_index), timeout)
            if not self._newer(after_index):
                return None
            self._taken = True
            return self._frame

    def wait(self, after_index: int = -1, timeout: float | None = None) -> Frame | None:
        """Like :meth:`get_newer` but leaves the frame untaken (for probing, not consuming)."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._newer(after_index), timeout)
            return self._frame if self._newer(after_index) else None

    def peek(self) -> Frame | None:
        """Return the newest frame without marking it taken."""
        with self._cond:
            return self._frame

    def close(self) -> None:
        """Wake every waiter; later calls to :meth:`get_newer` no longer block."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def dropped(self) -> int:
        """Number of frames replaced before anyone took them."""
        with self._cond:
            return self._dropped

    def _newer(self, after_index: int) -> bool:
        return self._frame is not None and self._frame.index > after_index


class Pacer:
    """Paces a loop to ``fps`` frames per second with ``time.monotonic`` and a sleep.

    A consumer that falls more than one frame behind is not made to catch up with a
    burst: the schedule restarts from now.
    """

    def __init__(self, fps: float) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.interval = 1.0 / fps
        self._next: float | None = None

    def wait(self) -> float:
        """Sleep until the next frame is due and return ``time.monotonic()``."""
        now = time.monotonic()
        if self._next is None or now - self._next > self.interval:
            self._next = now
        elif self._next > now:
            time.sleep(self._next - now)
            now = time.monotonic()
        self._next += self.interval
        return now

    def reset(self) -> None:
        """Forget the schedule (after a pause or a seek)."""
        self._next = None


def check_open(source: FrameSource, closed: bool) -> None:
    """Raise SourceError if ``closed`` (shared guard for ``read()`` after ``close()``)."""
    if closed:
        raise SourceError(f"{source.name}: source is closed")
