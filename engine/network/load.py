"""A network and its variants, analysed once: sites, rows, a shared-weights copy per operator."""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from engine.errors import ModelError
from engine.network import functional
from engine.network.checkpoint import file_sha256, load_weights, read_checkpoint
from engine.network.circular import make_circular
from engine.network.failures import failure
from engine.network.hub import IMAGENET, load_published
from engine.network.nets import NetworkSpec, build_network, network_spec
from engine.network.places import Site
from engine.network.rewrite import Variant, make_variant, operator
from engine.network.rows import Layer, find_layers, time_at
from engine.network.sites import find_sites
from engine.network.trace import Trace, trace
from engine.network.usermodel import is_user_model, load_user_model

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SHIPPED_TRAINED = RESOURCES / "checkpoints"


def default_weights(model: str) -> str | None:
    """The weights a model opens with: tiny's shipped trained max network, shared by every
    column (only the operator differs, so channels compare); the others random."""
    shared = SHIPPED_TRAINED / "tiny-max.pt"
    return str(shared) if model == "tiny" and shared.is_file() else None
DEFAULT_VARIANTS = ("max", "avg", "stride", "blur")


@dataclass
class Network:
    """The plain network, its downsampling sites, its rows and its variants."""

    spec: NetworkSpec
    input_size: tuple[int, int]
    plain: nn.Module
    trace: Trace
    sites: list[Site]
    layers: list[Layer]
    variants: dict[str, Variant]
    warnings: list[str] = field(default_factory=list)
    seed: int = 0
    labels: list[str] | None = None
    weights: dict | None = None  # {"path", "sha256_16", "meta"} once loaded from a file
    trained: dict | None = None  # variant -> {"path", "sha256_16", "meta"}: trained separately
    circular: bool = False       # built with circular padding (engine.network.circular)

    @property
    def untrained(self) -> bool:
        """True while the weights are the seeded random ones."""
        return self.weights is None and self.trained is None

    @property
    def in_channels(self) -> int:
        return first_conv(self.plain).in_channels

    def probe(self, device: torch.device | str = "cpu") -> torch.Tensor:
        """A zero input of the size the network sees."""
        return torch.zeros(1, self.in_channels, *self.input_size, device=device)

    def weights_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the plain network's state dict."""
        h = hashlib.sha256()
        for k, t in self.plain.state_dict().items():
            h.update(k.encode())
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()[:16]

    def identical_rows(self, variants) -> dict[str, list[list[str]]]:
        """Per row, the groups of variants whose maps there are the very same.

        A row's map depends only on what runs before it; variants that changed nothing
        upstream of it (same weights, same ops) produce identical maps, so a mosaic made once
        serves the whole group. What a variant changed at a site takes effect where that site
        runs (for a folded stride: at the conv it was folded into).
        """
        tr = self.trace
        effects = {v: [(tr.node(where).start, (site, self.variants[v].notes[site]))
                       for site, where in self.variants[v].changed.items()]
                   for v in variants}
        groups = {}
        for layer in self.layers:
            t = time_at(tr, layer.point)
            by_sig: dict[tuple, list[str]] = {}
            for v in variants:
                sig = tuple(token for when, token in effects[v] if when <= t)
                by_sig.setdefault(sig, []).append(v)
            groups[layer.name] = list(by_sig.values())
        return groups

    def label(self, index: int) -> str:
        if self.labels and 0 <= index < len(self.labels):
            return self.labels[index]
        return f"class {index}"


def first_conv(model: nn.Module) -> nn.Conv2d:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m
    raise ModelError("the model has no Conv2d layer: nothing to explore")


def load_labels(name: str | None) -> list[str] | None:
    if not name:
        return None
    path = RESOURCES / name
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def load_network(model: str = "tiny", variants: tuple[str, ...] | list[str] = DEFAULT_VARIANTS,
                 input_size: int | tuple[int, int] | None = None, seed: int = 0,
                 weights: str | None = None, mean=None, std=None,
                 num_classes: int | None = None, trained: str | None = None,
                 circular: bool = False) -> Network:
    """Build a network and its variants (on the CPU; move them with ``.to``).

    Parameters
    ----------
    model : str
        A built-in network (``tiny``, ``allcnn-c``, ``vgg16``, ``resnet18``) or the user's
        own, ``path/to/file.py:function`` or ``package.module:function``.
    variants : sequence of str
        Registered operator names, in column order.
    input_size : int or (H, W), optional
        The resolution the network sees; defaults to the network's own (224 for user models).
    seed : int
        Seed of the random weights of built-in networks.
    weights : str, optional
        A weights file (loaded with ``weights_only=True``) for the plain network, so every
        shared-weights variant gets them; ``"imagenet"`` downloads the published weights of
        ``vgg16`` / ``resnet18`` (cached, hash checked).
    mean, std : sequence of float, optional
        Input normalisation of a user model (one value, or one per input channel).
    num_classes : int, optional
        Classifier width of a built-in network (default: its own).
    trained : str, optional
        A folder of checkpoints ``MODEL-VARIANT.pt`` made by ``train``: each variant gets its
        own trained weights (they no longer share weights, nor channel meanings).
    circular : bool
        Build every conv and pool with circular padding (:mod:`engine.network.circular`): exact
        shift equivariance at multiples of each layer's stride, for tests and teaching.
    """
    metas = _trained_checkpoints(trained, model, variants) if trained else {}
    first = next(iter(metas.values()))[1] if metas else {}
    state = None
    if weights and weights != IMAGENET:  # read once: a checkpoint from `train` says more
        state, meta = read_checkpoint(weights)
        first = first or meta
    num_classes = num_classes or len(first.get("classes", [])) or None
    if input_size is None and first.get("input_size"):
        input_size = tuple(first["input_size"])
    names = _check_variants(variants)
    size = None if input_size is None else (
        (input_size, input_size) if isinstance(input_size, int) else tuple(input_size))
    if size is not None and min(size) < 8:
        raise ModelError(f"input size {size[0]}x{size[1]} is too small (at least 8x8)")
    if is_user_model(model):
        spec, plain = load_user_model(model, size, mean, std)
    else:
        spec = network_spec(model)
        plain = build_network(model, seed=seed, num_classes=num_classes)
    loaded = None
    if weights == IMAGENET:
        got = load_published(plain, spec.name)
        loaded = {"path": got["url"], "sha256_16": file_sha256(got["file"]),
                  "meta": {"source": "torchvision IMAGENET1K_V1"}}
    elif weights:
        load_weights(plain, weights, state)
        loaded = {"path": str(weights), "sha256_16": file_sha256(weights), "meta": meta}
    net = analyse(spec, plain, names, size or spec.input_size, seed)
    net.weights = loaded
    if loaded and first.get("classes"):
        net.labels = list(first["classes"])
    if metas:
        net.trained = {}
        for v, (path, meta, state) in metas.items():
            own = copy.deepcopy(net.variants[v].model)  # its own parameters
            try:
                own.load_state_dict(state, strict=True)
            except RuntimeError as e:
                raise ModelError(f"{path}: does not fit {model}/{v} "
                                 f"({str(e).splitlines()[0]})") from None
            net.variants[v].model = own.eval()
            net.trained[v] = {"path": str(path), "sha256_16": file_sha256(path), "meta": meta}
        if first.get("classes"):
            net.labels = list(first["classes"])
    if circular:
        make_circular(net.plain)
        for v in net.variants.values():
            make_circular(v.model)
        net.circular = True
    return net


def _trained_checkpoints(folder: str, model: str, variants) -> dict:
    """variant -> (path, meta, state) of ``folder/MODEL-VARIANT.pt`` for every variant."""
    root = Path(folder)
    out, missing = {}, []
    for v in variants:
        path = root / f"{model}-{v}.pt"
        if not path.is_file():
            missing.append(v)
            continue
        state, meta = read_checkpoint(path)
        out[v] = (path, meta, state)
    if missing or not out:
        have = sorted(p.stem for p in root.glob(f"{model}-*.pt")) if root.is_dir() else []
        raise ModelError(f"{folder}: no trained checkpoint for {model} variant "
                         f"{', '.join(missing) or '?'} (found: {', '.join(have) or 'none'})")
    return out


def analyse(spec: NetworkSpec, plain: nn.Module, variants: list[str],
            size: tuple[int, int], seed: int = 0) -> Network:
    """Trace ``plain``, lift its functional pooling into layers, find its sites and rows, and
    make one variant per operator name.

    Any error on the way is one :class:`ModelError` line naming the module where it happened
    (the traceback goes to a log file the line names).
    """
    plain.eval()
    x = torch.zeros(1, first_conv(plain).in_channels, *size)
    what = f"{spec.name}: forward pass at {size[0]}x{size[1]}"
    tr = _trace(plain, x, what)
    sites, warnings = find_sites(tr, wanted := [])
    lifts, refused = functional.plan(tr, wanted)
    if lifts:
        check = torch.rand(x.shape, generator=torch.Generator().manual_seed(seed))
        try:
            lifted, problems = functional.lift(plain, lifts, check)
        except Exception as e:  # noqa: BLE001 - named, logged, one line
            raise failure(e, plain, f"{spec.name}: lifting functional calls") from None
        refused += problems
        if lifted is not plain:
            plain = lifted
            tr = _trace(plain, x, what)
            sites, warnings = find_sites(tr)
            refused += _left_unlifted(tr, refused)
    warnings += refused
    if not sites:
        raise ModelError(f"{spec.name}: no downsampling sites (no strided conv, max-pool or "
                         "avg-pool layer): nothing for the variants to differ in"
                         + (f"; {warnings[0]}" if warnings else ""))
    layers = find_layers(tr, sites)
    made = {}
    for v in variants:
        operator(v).admit(plain, tr, sites, size)
        try:
            made[v] = make_variant(plain, sites, v)
        except ModelError:
            raise
        except Exception as e:  # noqa: BLE001
            raise failure(e, plain, f"{spec.name}: making the {v} variant") from None
        made[v].model.eval()
    return Network(spec, size, plain, tr, sites, layers, made, warnings, seed,
                   load_labels(spec.labels))


def _left_unlifted(tr: Trace, said: list[str]) -> list[str]:
    """A line for each downsampling functional pool still in the lifted network (its module
    did not route it), unless a line about its module was said already."""
    lifts, refused = functional.plan(tr, [])
    lines = refused + [f"functional {x.name} #{x.index} in {x.owner or 'the model'} cannot be "
                       "rewritten: its calls did not go through the lift" for x in lifts]
    where = re.compile(r" in (.*) cannot be rewritten")
    known = {m.group(1) for line in said if (m := where.search(line))}
    return [ln for ln in lines if (m := where.search(ln)) is None or m.group(1) not in known]


def _trace(model: nn.Module, x: torch.Tensor, what: str) -> Trace:
    try:
        return trace(model, x)
    except Exception as e:  # noqa: BLE001 - a user's model may raise anything
        raise failure(e, model, what) from None


def _check_variants(variants) -> list[str]:
    names = [v.strip() for v in variants if v.strip()]
    if not names:
        raise ModelError("no variants given")
    for n in names:
        operator(n)  # raises for an unknown name
    if len(set(names)) != len(names):
        raise ModelError(f"variant listed twice in {','.join(names)}")
    return names
