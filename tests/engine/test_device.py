"""Devices and CPU threads: the engine's setting reaches torch and OpenCV; the window leaves a
core free (the window's own settings are tested in tests/gui/test_app.py)."""

import os

import cv2
import pytest
import torch

from engine.device import display_threads, set_host_threads
from engine.engine import Engine, EngineConfig


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads(), cv2.getNumThreads()
    yield
    torch.set_num_threads(before[0])
    cv2.setNumThreads(before[1])


def test_engine_threads_reach_torch_and_opencv(restore_threads):
    Engine(EngineConfig(model="tiny", variants=("max", "stride"), device="cpu", threads=1))
    assert torch.get_num_threads() == 1 and cv2.getNumThreads() == 1
    assert set_host_threads(None) == 1              # None leaves the setting alone
    assert set_host_threads(0) == 1                 # never fewer than one


def test_the_window_leaves_one_core_to_the_display():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert display_threads() == max(1, cores - 1)
