"""``train``: train each downsampling variant separately (the All-CNN comparison).

Every variant starts from the same seeded weights and trains on the same data; at the end a
table gives, per variant, held-out accuracy, parameters, MACs and top-1 consistency under
random shifts (Zhang 2019, with the crop margin scaled to ~1/8 of the side). A checkpoint is
written after every epoch (with the optimiser state, so a stopped run resumes) and carries its
metadata: architecture, variant, dataset, epochs, accuracy, input size, normalisation, classes.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.errors import ExportError
from engine.network.checkpoint import read_checkpoint
from engine.network.load import load_network
from engine.network.trace import trace
from engine.train.dataset import FolderDataset, SyntheticShapes, to_input


@dataclass
class TrainResult:
    variant: str
    accuracy: float
    consistency: float
    params: int
    macs: int
    epochs: int
    seconds: float
    checkpoint: str


def _cache(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """All images of ``dataset`` as one uint8 (N, H, W, 3) tensor, and the labels."""
    images, labels = zip(*(dataset.image(i) for i in range(len(dataset))), strict=True)
    return torch.from_numpy(np.stack(images)), torch.tensor(labels)


def _batch(images: torch.Tensor, mean, std) -> torch.Tensor:
    return torch.stack([to_input(img.numpy(), mean, std) for img in images])


def consistency(model, dataset, mean, std, n: int = 200, seed: int = 0) -> float:
    """Share of images whose top-1 class agrees between two random crops (Zhang 2019).

    Each test image is rendered ``size + size // 8`` wide and cropped twice at random offsets.
    """
    size = dataset.size
    margin = max(1, size // 8)
    rng = np.random.default_rng(seed)
    agree = 0
    n = min(n, len(dataset))
    model.eval()
    with torch.inference_mode():
        for i in range(n):
            img, _ = dataset.image(i, size + margin)
            crops = []
            for _ in range(2):
                y, x = rng.integers(0, margin + 1, 2)
                crops.append(to_input(img[y:y + size, x:x + size], mean, std))
            top = model(torch.stack(crops)).argmax(dim=1)
            agree += int(top[0] == top[1])
    return agree / n


def train_variants(model: str = "tiny", variants=("max", "avg", "stride", "blur", "learned"),
                   out: str | os.PathLike = "checkpoints", epochs: int = 3,
                   dataset: str = "synthetic",
                   input_size: int = 64, train_size: int = 6000, test_size: int = 1200,
                   batch: int = 64, lr: float = 1e-3, seed: int = 0, resume: bool = True,
                   slim: bool = False, log=print) -> list[TrainResult]:
    """Train each variant of ``model`` on the synthetic dataset; returns one row per variant.

    ``slim`` drops the optimiser state from the final checkpoints (for shipping; such a
    checkpoint cannot resume).
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"{out}: cannot create the folder ({e.strerror or e})") from None
    if dataset == "synthetic":
        train_set = SyntheticShapes(train_size, input_size, seed)
        test_set = SyntheticShapes(test_size, input_size, seed, offset=train_size)
    else:  # a folder, one sub-folder per class; every fifth image is held out
        train_set = FolderDataset(dataset, input_size, part="train")
        test_set = FolderDataset(dataset, input_size, part="test")
    classes = train_set.classes
    x_train, y_train = _cache(train_set)
    x_test, y_test = _cache(test_set)
    results = []
    for variant in variants:
        net = load_network(model, [variant], input_size=input_size, seed=seed,
                           num_classes=len(classes))
        mean, std = train_set.mean, train_set.std
        m = copy.deepcopy(net.variants[variant].model)  # its own parameters, not shared
        opt = torch.optim.Adam(m.parameters(), lr=lr)
        path = out / f"{net.spec.name}-{variant}.pt"
        start, seconds = 0, 0.0
        if resume and path.exists():
            state, meta = read_checkpoint(path)
            m.load_state_dict(state)
            if "optimizer" in meta:
                opt.load_state_dict(meta["optimizer"])
            start, seconds = int(meta.get("epochs", 0)), float(meta.get("seconds", 0.0))
            log(f"[{variant}] resuming after epoch {start}")
        gen = torch.Generator().manual_seed(seed)
        for epoch in range(start, epochs):
            t0 = time.perf_counter()
            m.train()
            order = torch.randperm(len(x_train), generator=gen)
            total, correct, loss_sum = 0, 0, 0.0
            steps = (len(order) + batch - 1) // batch
            for k in range(steps):
                idx = order[k * batch:(k + 1) * batch]
                x, y = _batch(x_train[idx], mean, std), y_train[idx]
                logits = m(x)
                loss = F.cross_entropy(logits, y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                loss_sum += loss.item() * len(idx)
                correct += int((logits.argmax(1) == y).sum())
                total += len(idx)
                if k % max(1, steps // 10) == 0 or k == steps - 1:
                    done = "#" * (20 * (k + 1) // steps)
                    log(f"\r[{variant}] epoch {epoch + 1}/{epochs} [{done:<20}] "
                        f"loss {loss_sum / total:.3f}", end="")
            seconds += time.perf_counter() - t0
            acc = evaluate(m, x_test, y_test, mean, std)
            log(f"\r[{variant}] epoch {epoch + 1}/{epochs} loss {loss_sum / total:.3f} "
                f"train acc {correct / total:.3f} test acc {acc:.3f}")
            meta = {"architecture": net.spec.name, "variant": variant, "dataset": str(dataset),
                    "dataset_seed": seed, "epochs": epoch + 1, "accuracy": acc,
                    "input_size": [input_size, input_size], "mean": mean.flatten().tolist(),
                    "std": std.flatten().tolist(), "classes": classes, "seconds": seconds,
                    "loss": loss_sum / total}
            save_checkpoint(path, m, meta, opt)
        m.eval()
        acc = evaluate(m, x_test, y_test, mean, std)
        if slim and path.exists():  # ship without the optimiser state (a third of the size)
            _, meta = read_checkpoint(path)
            meta.pop("optimizer", None)
            save_checkpoint(path, m, meta)
        tr = trace(m, torch.zeros(1, 3, input_size, input_size))
        results.append(TrainResult(variant, acc, consistency(m, test_set, mean, std), sum(
            p.numel() for p in m.parameters()), sum(n.macs for n in tr.nodes if n.leaf),
            epochs, seconds, str(path)))
    log(format_table(results))
    return results


def evaluate(model, x: torch.Tensor, y: torch.Tensor, mean, std, batch: int = 256) -> float:
    """Top-1 accuracy of ``model`` on cached uint8 images ``x`` with labels ``y``."""
    model.eval()
    correct = 0
    with torch.inference_mode():
        for k in range(0, len(x), batch):
            correct += int((model(_batch(x[k:k + batch], mean, std)).argmax(1)
                            == y[k:k + batch]).sum())
    return correct / max(1, len(x))


def save_checkpoint(path: Path, model, meta: dict, optimizer=None) -> None:
    """Write ``{"state_dict", **meta}`` atomically (a stopped run never leaves half a file)."""
    payload = {"state_dict": model.state_dict(), **meta}
    if optimizer is not None:
        payload["optimizer"] = optimizer.state_dict()
    tmp = path.with_suffix(".partial")
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise ExportError(f"{path}: cannot write ({e.strerror or e})") from None


def format_table(results: list[TrainResult]) -> str:
    lines = [f"{'variant':<10} {'accuracy':>9} {'consistency':>12} {'params':>10} "
             f"{'MACs':>13} {'epochs':>7} {'seconds':>8}"]
    for r in results:
        lines.append(f"{r.variant:<10} {r.accuracy:>9.3f} {r.consistency:>12.3f} "
                     f"{r.params:>10,} {r.macs:>13,} {r.epochs:>7} {r.seconds:>8.1f}")
    return "\n".join(lines)
