"""The user's own model: ``path/to/file.py:function`` or ``package.module:function``.

The function is called with no arguments and must return an ``nn.Module`` (any CNN); its
downsampling sites are then rewritten like a built-in network's. The input follows the model:
as many channels as its first conv takes (one gives grey frames), at ``--input-size``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from torch import nn

from engine.errors import ModelError
from engine.network.failures import failure
from engine.network.nets import NetworkSpec


def is_user_model(name: str) -> bool:
    """True for ``file.py:function`` / ``package.module:function`` (not a built-in name)."""
    return ":" in name and not name.startswith(":") and not name.endswith(":")


def _load_callable(name: str):
    target, _, func = name.rpartition(":")
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target)
        if not path.is_file():
            raise ModelError(f"{target}: no such file")
        mod_name = f"poolscope_user_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        if spec is None or spec.loader is None:
            raise ModelError(f"{target}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as e:  # noqa: BLE001 - any error in the user's file is reported
            raise failure(e, None, f"{target}: failed to import") from None
    else:
        try:
            module = importlib.import_module(target)
        except Exception as e:  # noqa: BLE001
            raise failure(e, None, f"{target}: cannot import") from None
    fn = getattr(module, func, None)
    if not callable(fn):
        raise ModelError(f"{name}: {target} has no function {func!r}")
    return fn


def load_user_model(name: str, input_size: tuple[int, int] | None = None,
                    mean: tuple[float, ...] | None = None,
                    std: tuple[float, ...] | None = None) -> tuple[NetworkSpec, nn.Module]:
    """Import and build the user's model; returns its spec and the module in eval mode.

    Parameters
    ----------
    name : str
        ``path/to/file.py:function`` or ``package.module:function``.
    input_size : (H, W), optional
        Resolution the model sees (default 224x224).
    mean, std : tuple of float, optional
        Input normalisation, one value or one per channel (default 0.5 / 0.5).
    """
    fn = _load_callable(name)
    try:
        model = fn()
    except Exception as e:  # noqa: BLE001
        raise failure(e, None, f"{name}: the function failed") from None
    if not isinstance(model, nn.Module):
        raise ModelError(f"{name}: returned {type(model).__name__}, not a torch nn.Module")
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ModelError(f"{name}: the model has no Conv2d layer: nothing to explore")
    channels = convs[0].in_channels
    mean = _per_channel(mean, channels, 0.5, "mean", name)
    std = _per_channel(std, channels, 0.5, "std", name)
    if any(s <= 0 for s in std):
        raise ModelError(f"{name}: std must be positive")
    spec = NetworkSpec(name, lambda **_: model, input_size or (224, 224), mean, std, 0,
                       f"user model {name}")
    return spec, model.eval()


def _per_channel(values, channels: int, default: float, what: str, name: str):
    if values is None:
        return (default,) * channels
    values = tuple(float(v) for v in values)
    if len(values) == 1:
        return values * channels
    if len(values) != channels:
        raise ModelError(f"{name}: --{what} has {len(values)} values for {channels} input "
                         "channels")
    return values
