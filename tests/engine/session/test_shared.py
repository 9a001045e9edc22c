"""Views cross to the window through shared memory: the pipe carries no image data."""

import pickle
from multiprocessing import shared_memory

import numpy as np
import pytest

from engine.config import EngineConfig
from engine.session import commands as c
from engine.session.session import Session
from engine.session.shared import Receiver, Sender
from engine.session.wire import pack, unpack


@pytest.fixture(scope="module")
def shown():
    s = Session(EngineConfig(device="cpu", measure_every=0), "pattern:shapes,fps=1000")
    s.start()
    s.handle(c.Zoom("features.2", 3))
    view, _ = s.step()
    s.close()
    return view


def _images(shown):
    r = shown.result
    return [r.input_image] + [r.mosaic(v, ly) for v in r.variants for ly in r.layers]


def test_a_view_crosses_whole_with_its_images_out_of_the_pipe(shown):
    sender, receiver = Sender(), Receiver()
    try:
        packed = sender.pack(pack(shown, None))
        image_bytes = sum(a.nbytes for a in _images(shown))
        assert image_bytes > 300_000
        assert len(pickle.dumps(packed)) < image_bytes / 10   # only the structure crosses
        got = unpack(receiver.unpack(packed), None)
    finally:
        receiver.close()
        sender.close()
    for a, b in zip(_images(shown), _images(got), strict=True):
        np.testing.assert_array_equal(a, b)
    for v, z in shown.zoom.items():
        np.testing.assert_array_equal(z, got.zoom[v])
    assert got.result.predictions == shown.result.predictions
    assert got.result.views["max"]["features.2"].lo == shown.result.views["max"]["features.2"].lo


def test_what_the_window_keeps_is_its_own_copy(shown):
    sender, receiver = Sender(), Receiver()
    try:
        first = receiver.unpack(sender.pack(shown))
        kept = first.result.mosaic("avg", "features.3").copy()
        blank = np.zeros_like(shown.result.input_image)
        from dataclasses import replace
        other = replace(shown, result=replace(shown.result, input_image=blank))
        sender.pack(other)   # the child fills the block with the next view
        np.testing.assert_array_equal(first.result.mosaic("avg", "features.3"), kept)
        assert first.result.input_image.any()
    finally:
        receiver.close()
        sender.close()


def test_a_bigger_view_gets_a_new_block_and_the_old_one_is_unlinked():
    sender, receiver = Sender(), Receiver()
    small = sender.pack({"a": np.ones(10, np.uint8)})
    assert receiver.unpack(small)["a"].sum() == 10
    big = sender.pack({"a": np.full(3 << 20, 7, np.uint8)})
    assert big.block != small.block
    with pytest.raises(FileNotFoundError):
        shared_memory.SharedMemory(name=small.block)
    assert int(receiver.unpack(big)["a"][-1]) == 7
    receiver.close()
    sender.close()
    with pytest.raises(FileNotFoundError):
        shared_memory.SharedMemory(name=big.block)
