"""Loading weights from a file, safely: ``torch.load(..., weights_only=True)`` only.

A file is either a bare state dict or a dict with a ``"state_dict"`` entry (and metadata). A
file whose unpickling would run code is refused; a state dict that does not fit the model is
reported with the keys that differ.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import torch
from torch import nn

from engine.errors import ModelError


def file_sha256(path: str | os.PathLike, digits: int = 16) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:digits]


def read_checkpoint(path: str | os.PathLike) -> tuple[dict, dict]:
    """(state_dict, metadata) from a weights file; ModelError with one line otherwise."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise ModelError(f"{name}: no such file")
    if path.stat().st_size == 0:
        raise ModelError(f"{name}: file is empty (0 bytes)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "Unsupported global" in str(e):  # a class or function to call: code would run
            raise ModelError(f"{name}: refused, not a plain weights file (it would run code "
                             "when loaded)") from None
        raise ModelError(f"{name}: not a PyTorch weights file (unreadable pickle)") from None
    except Exception as e:  # noqa: BLE001 - corrupt, truncated, not a torch file ...
        raise ModelError(f"{name}: not a PyTorch weights file ({type(e).__name__})") from None
    meta: dict = {}
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        meta = {k: v for k, v in obj.items() if k != "state_dict"}
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelError(f"{name}: holds no state dict of tensors")
    return obj, meta


def load_weights(model: nn.Module, path: str | os.PathLike, state: dict | None = None) -> None:
    """Load a weights file (or its already read ``state``) into ``model``, strictly."""
    if state is None:
        state, _ = read_checkpoint(path)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and tuple(own[k].shape) != tuple(state[k].shape)]
    if missing or unexpected or wrong:
        parts = []
        for label, keys in (("missing", missing), ("unexpected", unexpected),
                            ("wrong shape", wrong)):
            if keys:
                more = f" (+{len(keys) - 3} more)" if len(keys) > 3 else ""
                parts.append(f"{label}: {', '.join(keys[:3])}{more}")
        raise ModelError(f"{path}: does not fit this model ({'; '.join(parts)})")
    model.load_state_dict(state, strict=True)
