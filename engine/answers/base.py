"""The frame every answer fits: a set-up, a question, and the answer it returns.

A :class:`Question` subclass and its ``@register`` line is one question of ``ask``. Its ``run``
takes a :class:`Setup` and returns an :class:`Answer`: numbers (plain JSON), tables and figures
for people, and a verdict, each of whose sentences is generated from the numbers it quotes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import ClassVar

from engine.network.load import RESOURCES

SHIPPED_MAX = str(RESOURCES / "checkpoints" / "tiny-max.pt")
VARIANTS = ("max", "avg", "stride", "blur", "learned")
LABELS = {"max": "max-pool", "avg": "avg-pool", "stride": "stride", "blur": "blur-pool",
          "learned": "learned", "plain": "plain", "none": "none (no downsampling)"}
CITES = {
    "zhang2019": "R. Zhang, Making Convolutional Networks Shift-Invariant Again, ICML 2019",
    "springenberg2014": "J. T. Springenberg, A. Dosovitskiy, T. Brox, M. Riedmiller, Striving "
                        "for Simplicity: The All Convolutional Net, ICLR workshop 2015 "
                        "(arXiv 1412.6806)",
    "araujo2019": "A. Araujo, W. Norris, J. Sim, Computing Receptive Fields of Convolutional "
                  "Neural Networks, Distill 2019",
    "azulay2019": "A. Azulay, Y. Weiss, Why do deep convolutional networks generalize so "
                  "poorly to small image transformations?, JMLR 20:184, 2019",
    "he2019": "T. He, Z. Zhang, H. Zhang, Z. Zhang, J. Xie, M. Li, Bag of Tricks for Image "
              "Classification with Convolutional Neural Networks, CVPR 2019 (ResNet-D)",
    "lin2014": "M. Lin, Q. Chen, S. Yan, Network In Network, ICLR 2014 (global average "
               "pooling)",
}


@dataclass(frozen=True)
class Setup:
    """What a question runs on. The default: the shipped trained tiny network's max weights
    in every column (shared weights: only the operator differs), the seeded synthetic
    held-out set for statistics, the built-in patterns for pictures."""

    model: str = "tiny"
    weights: str | None = None     # None with tiny and no ``trained``: the shipped max weights
    trained: str | None = None     # a folder of separately trained checkpoints instead
    source: str | None = None      # a photo, video or pattern instead of the held-out set
    variants: tuple[str, ...] = VARIANTS
    input_size: int | None = None
    samples: int = 32              # images (or pairs of them) a statistic is taken over
    seed: int = 0
    device: str = "cpu"
    circular: bool = False         # circular padding: shifts wrap round, no invented border
    matrix: str | None = None      # the calculator's matrix ("1,3;5,6"), kernel, stride, pad
    kernel: int = 2
    stride: int = 2
    padding: int = 0

    def shared_weights(self) -> str | None:
        if self.weights is None and self.trained is None and self.model == "tiny":
            return SHIPPED_MAX
        return self.weights


@dataclass(frozen=True)
class Table:
    """Rows of numbers for people, with what they mean."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    scale: str = ""  # what the numbers mean: unit, what 0 and 1 are, which way is better


@dataclass(frozen=True)
class Figure:
    name: str       # file stem, e.g. "nonlinearity-1"
    png: bytes
    caption: str


@dataclass(frozen=True)
class Answer:
    question: str
    title: str
    verdict: tuple[str, ...]
    numbers: dict
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()
    setup: dict = field(default_factory=dict)   # what was run: model, weights, source, ...
    cites: tuple[str, ...] = ()
    seconds: float = 0.0

    def record(self) -> dict:
        """The answer as JSON (figures by file name)."""
        return {"question": self.question, "title": self.title, "verdict": list(self.verdict),
                "numbers": self.numbers, "setup": self.setup, "seconds": round(self.seconds, 2),
                "tables": [asdict(t) for t in self.tables],
                "figures": [{"file": f"{f.name}.png", "caption": f.caption}
                            for f in self.figures],
                "cites": [CITES[c] for c in self.cites]}


class Question:
    """One question of ``ask``: subclasses set the class fields and write :meth:`run`."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    cites: ClassVar[tuple[str, ...]] = ()
    # for the window's guide: whether the window's live measures follow it on the input (else
    # it runs on demand, as a job), what to do in one line, how to set the window up (any of
    # "variants", "tab", "metric") and about how long its answer takes here
    live: ClassVar[bool] = False
    hint: ClassVar[str] = ""
    window: ClassVar[dict] = {}
    seconds: ClassVar[float] = 5.0

    def run(self, setup: Setup) -> Answer:
        raise NotImplementedError


QUESTIONS: dict[str, type[Question]] = {}


def register(cls: type[Question]) -> type[Question]:
    """Register a question under its ``name`` (the one line a new question adds)."""
    QUESTIONS[cls.name] = cls
    return cls


def setup_record(setup: Setup) -> dict:
    """What was run, for the answer and the report: the set-up and the versions."""
    from engine.output.export import versions

    rec = asdict(setup)
    rec["weights"] = setup.shared_weights()
    rec["variants"] = list(setup.variants)
    rec["versions"] = versions()
    return rec
