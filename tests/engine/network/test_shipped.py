"""The trained variants that ship in resources/checkpoints: they load, and they learned."""

from pathlib import Path

from engine.network.load import load_network
from engine.train.dataset import CLASSES, SyntheticShapes
from engine.train.train import _cache, evaluate

SHIPPED = Path(__file__).resolve().parents[3] / "resources" / "checkpoints"
VARIANTS = ["max", "avg", "stride", "blur", "learned"]


def test_shipped_checkpoints_are_small():
    files = sorted(SHIPPED.glob("tiny-*.pt"))
    assert [f.stem for f in files] == sorted(f"tiny-{v}" for v in VARIANTS)
    assert sum(f.stat().st_size for f in files) < 5 * 2**20


def test_shipped_variants_score_above_chance_on_a_fresh_test_set():
    net = load_network("tiny", VARIANTS, trained=str(SHIPPED))
    assert net.labels == list(CLASSES) and net.input_size == (64, 64)
    fresh = SyntheticShapes(300, 64, seed=123)       # not the training seed
    x, y = _cache(fresh)
    for v in VARIANTS:
        acc = evaluate(net.variants[v].model, x, y, fresh.mean, fresh.std)
        assert acc > 1 / len(CLASSES) + 0.08, (v, acc)   # chance is 1/6
