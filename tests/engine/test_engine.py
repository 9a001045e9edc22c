"""Engine.step: one frozen FrameResult per frame, every variant and layer, on the CPU."""

import dataclasses

import numpy as np
import pytest

from engine.display import mosaic as mz
from engine.engine import Engine, FrameResult
from engine.errors import ModelError
from engine.sources.frames import Frame
from engine.sources.patterns import PATTERNS


@pytest.fixture(scope="module")
def engine():
    return Engine(device="cpu")


@pytest.fixture(scope="module")
def frame():
    return PATTERNS["shapes"](width=320, height=240, realtime=False).render(3)


def test_step_gives_every_variant_and_layer(engine, frame):
    r = engine.step(frame)
    assert isinstance(r, FrameResult)
    assert r.variants == ("max", "avg", "stride", "blur")
    assert len(r.layers) == 8 and r.layers[1] == "features.2"
    for v in r.variants:
        for ly in r.layers:
            view = r.views[v][ly]
            assert view.mosaic.dtype == np.uint8 and view.mosaic.ndim == 2
            assert view.mosaic.shape == mz.mosaic_size(view.shape)
            assert view.lo <= view.hi
    assert r.views["max"]["features.2"].shape == (16, 112, 112)
    assert r.input_image.shape == (224, 224, 3)


def test_result_is_frozen_and_arrays_are_fresh(engine, frame):
    a, b = engine.step(frame), engine.step(frame)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.frame_index = 5
    with pytest.raises(TypeError):
        a.views["max"] = {}
    assert a.mosaic("max", "features.2") is not b.mosaic("max", "features.2")
    np.testing.assert_array_equal(a.mosaic("max", "features.2"), b.mosaic("max", "features.2"))


def test_predictions_and_timings(engine, frame):
    r = engine.step(Frame(frame, 42, 1.5))
    assert r.frame_index == 42 and r.captured_at == 1.5
    for preds in r.predictions.values():
        assert len(preds) == 5
        probs = [p.prob for p in preds]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
        assert preds[0].label == f"class {preds[0].index}"
    assert {"preprocess", "mosaic", "total", "forward:blur"} <= set(r.timings_ms)
    assert all(t >= 0 for t in r.timings_ms.values())


def test_shared_normalisation_is_the_default_and_fair(engine, frame):
    r = engine.step(frame)
    assert r.norm == "shared"
    for ly in r.layers:
        lows = {r.views[v][ly].lo for v in r.variants}
        assert len(lows) == 1


def test_layers_can_be_chosen_and_unknown_ones_are_refused(frame):
    e = Engine(device="cpu", layers=("features.2", "features.11"))
    assert e.step(frame).layers == ("features.2", "features.11")
    with pytest.raises(ModelError, match="unknown layer"):
        Engine(device="cpu", layers=("nope",))


def test_float_maps_are_on_the_host_on_request(engine, frame):
    engine.step(frame)
    maps = engine.float_maps()
    assert maps["blur"]["features.11"].shape == (128, 14, 14)
    assert maps["blur"]["features.11"].dtype == np.float32


def test_weights_are_seeded_and_reproducible():
    a, b, c = (Engine(device="cpu", seed=s).network.weights_hash() for s in (0, 0, 1))
    assert a == b != c


def test_unavailable_device_is_a_clear_error():
    with pytest.raises(ModelError, match="cuda"):
        Engine(device="cuda")
    assert str(Engine(device="auto").device) == "cpu"


def test_display_size_mosaics(frame):
    e = Engine(device="cpu", max_side=256)
    r = e.step(frame)
    assert max(max(v.mosaic.shape) for d in r.views.values() for v in d.values()) <= 256
    assert r.views["max"]["features.0"].shrink > 1


def test_diverging_colormap_makes_ranges_symmetric(frame):
    e = Engine(device="cpu", colormap="coolwarm")
    r = e.step(frame)
    view = r.views["max"]["features.2"]
    assert view.lo == -view.hi


def test_rows_identical_across_variants_are_recognised_and_really_identical(frame):
    e = Engine(device="cpu", variants=("plain", "max", "avg", "stride", "blur"))
    groups = e.network.identical_rows(e.variant_names)
    assert sorted(map(sorted, groups["features.0"])) == [["avg", "blur", "max", "plain"],
                                                         ["stride"]]
    assert sorted(map(sorted, groups["features.3"])) == [["avg"], ["blur"], ["max", "plain"],
                                                         ["stride"]]
    r = e.step(frame)
    maps = e.last_maps
    for layer, gs in groups.items():
        for g in gs:
            for v in g[1:]:
                assert np.array_equal(maps[v][layer].numpy(), maps[g[0]][layer].numpy()), layer
                assert r.views[v][layer] is r.views[g[0]][layer]


def test_a_video_that_loops_has_no_flicker_across_the_wrap():
    import math

    from engine.engine import EngineConfig

    e = Engine(EngineConfig(device="cpu", input_size=32, variants=("max", "avg"),
                            measure_every=1, measure_budget=1.0))
    rng = np.random.default_rng(0)
    frames = [(rng.random((32, 32, 3)) * 255).astype(np.uint8) for _ in range(3)]
    for i, img in enumerate(frames):
        e.step(Frame(img, i, float(i)))
    assert e.last.previous                        # frame 2 is compared with frame 1
    e.step(Frame(frames[0], 0, 3.0))              # the video starts again
    assert not e.last.previous                    # nothing to compare with: no spike
    m = e.meter.measure_all(e.last)
    assert all(math.isnan(m.get("flicker", v, "features.0")) or
               m.get("flicker", v, "features.0") == 0.0 for v in ("max", "avg"))
