"""Pick the torch device: ``auto`` prefers CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from engine.errors import ModelError

DEVICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(name: str = "auto") -> torch.device:
    """The ``torch.device`` for ``name`` (auto, cpu, cuda, cuda:N, mps).

    Raises
    ------
    ModelError
        The device was asked for by name but is not available on this machine.
    """
    name = (name or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ModelError(f"device {name}: CUDA is not available on this machine")
        return torch.device(name)
    if name == "mps":
        if not _mps_available():
            raise ModelError("device mps: Apple MPS is not available on this machine")
        return torch.device("mps")
    if name == "cpu":
        return torch.device("cpu")
    raise ModelError(f"unknown device {name!r} (choose from {', '.join(DEVICES)})")


def set_host_threads(n: int | None) -> int:
    """Run torch's and OpenCV's CPU kernels on ``n`` threads (None: leave them); returns the
    number torch now uses.

    Both split each operation into equal parts, one per thread, and wait for the slowest: with a
    thread per core, any other busy thread (a window painting) stalls every operation. The
    window therefore leaves a core free (:func:`display_threads`).
    """
    if n is not None:
        import os

        os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
        import cv2

        n = max(1, int(n))
        torch.set_num_threads(n)
        cv2.setNumThreads(n)
    return torch.get_num_threads()


def display_threads() -> int:
    """Threads for an engine that shares the machine with a window: all cores but one.

    Measured on 2 cores at 224x224 (``bench --gui``, interleaved): with 2 engine threads the
    window showed 15.7 fps against 23.5 for the engine alone (ratio 0.67); with 1 thread it
    showed as much or more (15.9-17.3 fps) at a ratio of 0.85-0.88.
    """
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 2) - 1)


def tune_host_allocator() -> bool:
    """Keep freed frame-sized buffers in the process heap (glibc only; a no-op elsewhere).

    glibc serves blocks above a threshold with fresh ``mmap`` pages and unmaps them on free, so
    every frame pays page faults for every large activation; measured here that doubles the time
    of a blur-pool forward pass on the CPU. Raising the mmap and trim thresholds makes the
    allocator reuse the same memory frame after frame, and every thread shares one heap. Call
    it before a process starts its threads. Returns True if the settings took.
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8
    ok = libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
    ok &= libc.mallopt(m_trim_threshold, 512 * 1024 * 1024)
    # one heap for every thread: the measures' and the mosaics' workers would each get an
    # arena of their own, each keeping its own high-water mark (+41 MB over 3,000 frames)
    ok &= libc.mallopt(m_arena_max, 1)
    return bool(ok)


def release_host_memory() -> bool:
    """Give the heap's free memory back to the system (glibc ``malloc_trim``; else a no-op).

    With :func:`tune_host_allocator`'s high trim threshold the heap keeps what a one-off
    analysis (a trace keeps every activation of a pass) once needed; call this after one.
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (a GPU runs asynchronously; the CPU does not)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
