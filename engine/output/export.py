"""Export what the engine shows: per variant x layer PNG mosaics at native resolution, the
labelled side-by-side sheet, optionally the float activations (.npz), and a JSON record.

Every export goes into a new folder named by date and time (with a suffix if that exists)
under the folder the user chose: nothing is ever overwritten.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

from engine.display.sheet import make_sheet
from engine.errors import ExportError
from engine.output.records import measures_record, write_csv

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402


def new_export_dir(out: str | os.PathLike) -> Path:
    """Create and return ``out/YYYYmmdd-HHMMSS`` (``-2``, ``-3`` ... if taken).

    Raises
    ------
    ExportError
        ``out`` cannot be created or written.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"{out}: cannot create the export folder ({e.strerror or e})") from None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in itertools.count(1):
        folder = out / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
        except OSError as e:
            raise ExportError(f"{out}: cannot write there ({e.strerror or e})") from None
    raise AssertionError("unreachable")


def versions() -> dict[str, str]:
    from engine.version import __version__

    return {"poolscope": __version__, "python": sys.version.split()[0],
            "torch": torch.__version__, "numpy": np.__version__, "opencv": cv2.__version__,
            "platform": platform.platform()}


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Write an RGB (or single-channel) uint8 image; ExportError if it cannot be written."""
    img = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR) if rgb.ndim == 3 else rgb
    try:
        ok = cv2.imwrite(str(path), img)
    except cv2.error as e:
        raise ExportError(f"{path}: cannot write PNG ({e.err})") from None
    if not ok:
        raise ExportError(f"{path}: cannot write PNG (is the folder writable?)")


def safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-#" else "_" for c in name)


def export_frame(folder: Path, engine, result, *, source: str, npz: bool = False,
                 number: int = 0, measures: bool = True) -> dict:
    """Write one processed frame into ``folder/frame_NNNN`` and return its JSON record.

    Parameters
    ----------
    folder : Path
        The export folder (from :func:`new_export_dir`).
    engine : Engine
        The engine that made ``result`` (for the model, its float maps and colour map).
    result : FrameResult
        The frame to export; its float maps must be the engine's last step when ``npz``.
    source : str
        What the user named as the source, for the record.
    npz : bool
        Also write the float activations as ``activations.npz`` (keys ``variant/layer``).
    number : int
        Sequence number of the frame within this export (names the sub-folder).
    measures : bool
        Also measure the frame (every measure, :meth:`Engine.measure`) and write them as
        ``measures.csv`` and in the record; ``result`` must be the engine's last step.
    """
    net, cmap = engine.network, engine.cmap
    frame_dir = folder / f"frame_{number:04d}"
    files: list[str] = []
    try:
        frame_dir.mkdir()
        for v in result.variants:
            (frame_dir / safe_name(v)).mkdir()
    except OSError as e:
        raise ExportError(f"{frame_dir}: cannot write there ({e.strerror or e})") from None

    def put(rel: str, rgb: np.ndarray) -> None:
        write_png(frame_dir / rel, rgb)
        files.append(rel)

    put("input.png", result.input_image)
    for v in result.variants:
        for ly in result.layers:
            put(f"{safe_name(v)}/{safe_name(ly)}.png", cmap.apply(result.mosaic(v, ly)))
    title = (f"PoolScope  {net.spec.name} {net.input_size[0]}x{net.input_size[1]}  "
             f"source {source}  frame {result.frame_index}")
    put("sheet.png", make_sheet(result, cmap, title))
    if npz:
        maps = engine.float_maps()
        arrays = {f"{v}/{ly}": maps[v][ly] for v in result.variants for ly in result.layers}
        try:
            np.savez_compressed(frame_dir / "activations.npz", **arrays)
        except OSError as e:
            raise ExportError(f"{frame_dir / 'activations.npz'}: cannot write "
                              f"({e.strerror or e})") from None
        files.append("activations.npz")
    record = frame_record(engine, result, source)
    if measures:
        m = engine.measure()
        write_csv(frame_dir / "measures.csv", m.rows(result.frame_index))
        files.append("measures.csv")
        record["measures"] = measures_record(m)
    record["files"] = files
    try:
        (frame_dir / "record.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    except OSError as e:
        raise ExportError(f"{frame_dir / 'record.json'}: cannot write ({e.strerror or e})") \
            from None
    return record


def frame_record(engine, result, source: str) -> dict:
    """The JSON record of one frame: model, weights, variants, layers, predictions, versions."""
    net = engine.network
    layers = []
    for ly in engine.layers:
        if ly.name not in result.layers:
            continue
        layers.append({
            "name": ly.name, "kind": ly.kind,
            "shape": {v: list(result.views[v][ly.name].shape) for v in result.variants},
            "range": {v: [result.views[v][ly.name].lo, result.views[v][ly.name].hi]
                      for v in result.variants},
        })
    return {
        "model": net.spec.name,
        "input_size": list(net.input_size),
        "weights": (
            {"kind": "trained separately",
             "variants": {v: {"file": t["path"], "file_sha256_16": t["sha256_16"],
                              "epochs": t["meta"].get("epochs"),
                              "accuracy": t["meta"].get("accuracy")}
                          for v, t in net.trained.items()}} if net.trained else
            {"sha256_16": net.weights_hash(), "kind": "random", "seed": net.seed}
            if net.untrained else
            {"sha256_16": net.weights_hash(), "kind": "file", "file": net.weights["path"],
             "file_sha256_16": net.weights["sha256_16"]}),
        "variants": {v: {"label": net.variants[v].operator.label,
                         "sites": dict(net.variants[v].notes)} for v in result.variants},
        "layers": layers,
        "normalisation": result.norm,
        "colormap": result.colormap,
        "gamma": engine.cmap.gamma,
        "source": source,
        "frame_index": result.frame_index,
        "exported_at": datetime.now().isoformat(timespec="seconds"),
        "device": str(engine.device),
        "predictions": {v: [{"index": p.index, "label": p.label, "prob": round(p.prob, 6)}
                            for p in preds] for v, preds in result.predictions.items()},
        "versions": versions(),
    }
