"""Views cross from the session's process to the window's without pickling their images.

:class:`Sender` pickles a view with protocol 5, which hands every contiguous array's memory to
a callback instead of copying it into the stream; those buffers go into one block of shared
memory, and only the small pickle (the structure, the numbers) and the buffers' places cross
the pipe as a :class:`Packed`. :class:`Receiver` unpickles it with the buffers taken from the
block. The window copies each buffer out once as it unpacks (a memcpy, no pickling): the view
it keeps is its own, and the child may fill the block with the next view as soon as the window
has taken this one (the newest-view-wins protocol of :mod:`engine.session.child` never has two
views in flight). A view that outgrows the block gets a new, larger one; the child unlinks a
block when it makes another and at its end.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from multiprocessing import shared_memory

ALIGN = 64           # each buffer starts on a cache line
FIRST_BLOCK = 1 << 20


@dataclass(frozen=True)
class Packed:
    """A view as it crosses the pipe: its pickle without the array data, the shared block's
    name and each out-of-band buffer's (offset, length) in it."""

    data: bytes
    block: str
    places: tuple[tuple[int, int], ...]


class Sender:
    """The child's side: owns the shared block."""

    def __init__(self) -> None:
        self._block: shared_memory.SharedMemory | None = None

    def pack(self, obj) -> Packed:
        buffers: list[pickle.PickleBuffer] = []
        data = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
        raws = [b.raw() for b in buffers]
        places, end = [], 0
        for r in raws:
            places.append((end, r.nbytes))
            end += -(-r.nbytes // ALIGN) * ALIGN
        block = self._fit(end)
        for (offset, n), r in zip(places, raws, strict=True):
            block.buf[offset:offset + n] = r
        return Packed(data, block.name, tuple(places))

    def _fit(self, size: int) -> shared_memory.SharedMemory:
        if self._block is None or self._block.size < size:
            self.close()
            self._block = shared_memory.SharedMemory(create=True,
                                                     size=max(FIRST_BLOCK, size + size // 2))
        return self._block

    def close(self) -> None:
        """Unlink the block (the window keeps what it already copied out)."""
        if self._block is not None:
            block, self._block = self._block, None
            block.close()
            try:
                block.unlink()
            except FileNotFoundError:
                pass


class Receiver:
    """The window's side: attaches to the child's newest block."""

    def __init__(self) -> None:
        self._block: shared_memory.SharedMemory | None = None

    def unpack(self, packed: Packed):
        if self._block is None or self._block.name != packed.block:
            self.close()
            self._block = shared_memory.SharedMemory(name=packed.block)
        buf = self._block.buf
        copies = [bytearray(buf[o:o + n]) for o, n in packed.places]
        return pickle.loads(packed.data, buffers=copies)

    def close(self) -> None:
        if self._block is not None:
            self._block.close()
            self._block = None


ShownReceiver = Receiver   # the engine's face gives the window this name
