"""The downsampling operators against science.md section 1 (exact where it says exact)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.network.downsamplers import (
    BINOMIAL_ROWS,
    BlurPool,
    DenseMax,
    Subsample,
    binomial_filter,
)
from engine.network.operators import OPERATORS, Operator, register

ATOL = 1e-5


def test_binomial_rows_are_the_published_ones():
    assert BINOMIAL_ROWS == {1: [1], 2: [1, 1], 3: [1, 2, 1], 4: [1, 3, 3, 1], 5: [1, 4, 6, 4, 1],
                             6: [1, 5, 10, 10, 5, 1], 7: [1, 6, 15, 20, 15, 6, 1]}


@pytest.mark.parametrize("k", range(1, 8))
def test_binomial_filter_is_outer_product_over_sum(k):
    a = torch.tensor(BINOMIAL_ROWS[k], dtype=torch.float64)
    expected = torch.outer(a, a) / torch.outer(a, a).sum()
    assert torch.allclose(binomial_filter(k).double(), expected, atol=1e-7)
    assert binomial_filter(k).sum().item() == pytest.approx(1.0, abs=1e-6)


def test_binomial_filter_rejects_sizes_outside_1_to_7():
    with pytest.raises(ValueError):
        binomial_filter(8)


@pytest.mark.parametrize("k", range(1, 8))
@pytest.mark.parametrize("shape", [(2, 3, 16, 16), (1, 4, 15, 9)])
def test_blurpool_is_reflect_pad_then_depthwise_stride_2(k, shape):
    torch.manual_seed(k)
    x = torch.randn(*shape)
    lo, hi = (k - 1) // 2, k - 1 - (k - 1) // 2
    if k == 1:
        expected = x[..., ::2, ::2]
    else:
        xp = F.pad(x, (lo, hi, lo, hi), mode="reflect")
        w = binomial_filter(k)[None, None].expand(shape[1], 1, k, k)
        expected = F.conv2d(xp, w, stride=2, groups=shape[1])
    got = BlurPool(k, 2)(x)
    assert got.shape == expected.shape
    assert torch.allclose(got, expected, atol=ATOL)


def test_blurpool_default_size_is_4_with_reflect_padding():
    b = BlurPool()
    assert b.size == 4 and b.pad_mode == "reflect" and b.pad == (1, 2, 1, 2)


def _circular_max(x, k):  # MaxPool(k, stride 1) with circular padding, along the last axis
    return torch.stack([x.roll(-i, -1) for i in range(k)]).amax(0)


def test_paper_1d_example_maxpool_and_maxblurpool():
    """Zhang 2019: x = [0,0,1,1,0,0,1,1], circular; MaxPool(2,2) vs MaxBlurPool (Tri-3)."""
    x = torch.tensor([0, 0, 1, 1, 0, 0, 1, 1.0]).view(1, 1, 1, 8)
    shifted = x.roll(-1, -1)
    maxpool = nn.MaxPool2d((1, 2), (1, 2))
    assert maxpool(x).flatten().tolist() == [0, 1, 0, 1]
    assert maxpool(shifted).flatten().tolist() == [1, 1, 1, 1]

    blur = BlurPool(3, (1, 2), pad_mode="circular")
    out = blur(_circular_max(x, 2)).flatten()
    out_shifted = blur(_circular_max(shifted, 2)).flatten()
    assert torch.allclose(out, torch.tensor([0.5, 1, 0.5, 1]), atol=ATOL)
    assert torch.allclose(out_shifted, torch.tensor([0.75] * 4), atol=ATOL)


def test_strided_conv_equals_dense_conv_subsampled():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 8, 3, padding=1)
    x = torch.randn(2, 3, 33, 32)
    dense = conv(x)
    conv.stride = (2, 2)
    assert torch.allclose(conv(x), dense[..., ::2, ::2], atol=ATOL)


@pytest.mark.parametrize("k,p", [(2, 0), (3, 1), (3, 0), (5, 2)])
def test_densemax_equals_maxpool_stride_1(k, p):
    x = torch.randn(2, 5, 17, 12)
    assert torch.equal(DenseMax(k, p)(x), F.max_pool2d(x, k, 1, p))


def test_subsample_keeps_one_position_in_four():
    x = torch.arange(36.0).view(1, 1, 6, 6)
    assert torch.equal(Subsample(2, 1)(x), x[..., 1::2, 1::2])


def test_blurpool_then_global_average_is_invariant_to_a_circular_1px_shift():
    torch.manual_seed(1)
    x = torch.randn(1, 8, 32, 32)
    blur = BlurPool(4, 2, pad_mode="circular")
    gap = blur(x).mean(dim=(2, 3))
    gap_shifted = blur(x.roll(1, -1)).mean(dim=(2, 3))
    assert torch.allclose(gap, gap_shifted, atol=ATOL)
    plain = x[..., ::2, ::2].mean(dim=(2, 3))
    plain_shifted = x.roll(1, -1)[..., ::2, ::2].mean(dim=(2, 3))
    assert not torch.allclose(plain, plain_shifted, atol=1e-3)


def test_registry_holds_the_variants_and_a_new_one_is_one_class():
    assert {"plain", "max", "avg", "stride", "blur"} <= set(OPERATORS)
    assert all(issubclass(c, Operator) for c in OPERATORS.values())

    @register
    class Lp2(Operator):  # one class, one registry line
        name, label = "test-lp2", "L2 pool"

        def pool(self, site):
            return [nn.LPPool2d(2, site.geometry.kernel, site.geometry.stride)]

    try:
        assert OPERATORS["test-lp2"] is Lp2
    finally:
        del OPERATORS["test-lp2"]


def test_our_modules_that_are_torch_layers_answer_for_themselves():
    import engine.network.circular  # noqa: F401 - registers CircularPool
    from engine.network.downsamplers import Downsampler, LearnedConv
    from engine.network.load import load_network
    from engine.network.module_facts import short

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in subclasses(Downsampler):  # Downsampler comes before any torch layer it is
        mro = cls.__mro__
        torch_layers = [c for c in mro if c.__module__.startswith("torch.nn.modules.")
                        and c is not nn.Module]
        assert all(mro.index(Downsampler) < mro.index(c) for c in torch_layers), cls
    conv = LearnedConv(4, 2)
    assert short(conv) == "Conv(3x3, stride 2, learned)"
    net = load_network("tiny", ("learned",), input_size=32, circular=True)
    learned = [m for m in net.variants["learned"].model.modules() if isinstance(m, LearnedConv)]
    assert len(learned) == 4 and all(m.padding_mode == "circular" for m in learned)
