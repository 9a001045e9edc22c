"""Published ImageNet weights on demand (``--weights imagenet``), the torchvision way.

``torch.hub.load_state_dict_from_url``: progress shown, cached under ``$TORCH_HOME/hub``, the
file's SHA-256 checked against the prefix in its name, loaded with ``weights_only=True``.
Offline or on a failed download the error says so in one line.
"""

from __future__ import annotations

import os
import urllib.error
from pathlib import Path

import torch
from torch import nn

from engine.errors import ModelError

IMAGENET = "imagenet"
# torchvision's IMAGENET1K_V1 weights (tests/engine/fixtures/torchvision_weights.json)
PUBLISHED = {
    "vgg16": "https://download.pytorch.org/models/vgg16-397923af.pth",
    "resnet18": "https://download.pytorch.org/models/resnet18-f37072fd.pth",
}


def published_url(model: str) -> str:
    try:
        return PUBLISHED[model]
    except KeyError:
        raise ModelError(f"no published ImageNet weights for {model!r} (available for: "
                         f"{', '.join(PUBLISHED)})") from None


def load_published(model: nn.Module, name: str, url: str | None = None,
                   model_dir: str | os.PathLike | None = None, progress: bool = True) -> dict:
    """Download (or take from the cache) and load published weights into ``model``.

    Returns ``{"url", "file", "sha256_16"}``. ModelError when offline, on a hash mismatch, or
    when the weights do not fit.
    """
    url = url or published_url(name)
    try:
        state = torch.hub.load_state_dict_from_url(
            url, model_dir=None if model_dir is None else str(model_dir), map_location="cpu",
            progress=progress, check_hash=True, weights_only=True)
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", None) or e.strerror or e
        raise ModelError(f"{url}: download failed ({reason}); offline? The app goes on with "
                         "the weights it has") from None
    except RuntimeError as e:
        if "invalid hash" in str(e):
            raise ModelError(f"{url}: hash mismatch: the download is not the published file "
                             "(removed from the cache)") from None
        raise ModelError(f"{url}: {str(e).splitlines()[0]}") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ModelError(f"{url}: does not fit {name} ({str(e).splitlines()[0]})") from None
    cache = Path(model_dir or Path(torch.hub.get_dir()) / "checkpoints")
    return {"url": url, "file": str(cache / Path(url).name)}
