"""Another core kept busy while something is timed: the limit for a live view, whose window
and mosaics keep a second core busy (on these shared virtual machines a busy neighbour core
slowed the forward passes by 0-50%, varying from hour to hour)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import torch


def spare_core(threads: int | None = None) -> bool:
    """Whether a CPU engine of ``threads`` torch threads leaves a core free to keep busy."""
    return (os.cpu_count() or 1) > (threads or torch.get_num_threads())


@contextmanager
def another_core_busy():
    """A process spinning (pure Python, no memory traffic to speak of) for the block's time."""
    spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.1)   # let it start
        yield
    finally:
        spin.kill()
        spin.wait()
