"""PSNR (spec metrics.md §4.1) against scikit-image's ``peak_signal_noise_ratio``."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_chunked, check_state_dict_roundtrip, run_engine
from skimage.metrics import peak_signal_noise_ratio

from ignite.exceptions import NotComputableError
from ignite.metrics import PSNR


def reference(y_pred, y, data_range):
    return np.mean([peak_signal_noise_ratio(t.numpy(), p.numpy(), data_range=data_range) for p, t in zip(y_pred, y)])


def images(shape, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    if dtype == torch.uint8:
        y = torch.randint(0, 256, shape, generator=g, dtype=torch.uint8)
        noise = torch.randint(-20, 21, shape, generator=g)
        return (y.long() + noise).clamp(0, 255).to(torch.uint8), y, 255
    y = torch.rand(shape, generator=g, dtype=dtype)
    return (y + 0.05 * torch.randn(shape, generator=g, dtype=dtype)).clamp(0, 1), y, 1.0


def test_worked_example():
    m = PSNR(data_range=1.0)
    m.update((torch.full((1, 1, 2, 2), 0.5), torch.tensor([[[[0.4, 0.5], [0.6, 0.5]]]])))
    assert m.compute() == pytest.approx(23.010299, abs=1e-6)
    assert m.data_range == 1.0


@pytest.mark.parametrize("shape", [(6, 3, 16, 12), (6, 20, 20), (6, 50), (6, 1, 4, 8, 8)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.uint8])
def test_matches_skimage(shape, dtype):
    y_pred, y, data_range = images(shape, dtype, seed=0)
    batches = [(y_pred[:2], y[:2]), (y_pred[2:], y[2:])]
    assert_close(run_engine(PSNR(data_range), batches), reference(y_pred, y, data_range), rtol=1e-6)


def test_errors_and_empty_state():
    m = PSNR(1.0)
    with pytest.raises(TypeError, match=r"Expected y_pred and y to have the same data type. Got y_pred: torch.float32"):
        m.update((torch.rand(2, 3), torch.rand(2, 3).double()))
    with pytest.raises(
        ValueError, match=r"Expected y_pred and y to have the same shape. Got y_pred: torch.Size\(\[2, 3\]\)"
    ):
        m.update((torch.rand(2, 3), torch.rand(2, 4)))
    with pytest.raises(ValueError, match="Expected y_pred and y to be non-empty"):
        m.update((torch.rand(0, 3), torch.rand(0, 3)))
    with pytest.raises(ValueError, match="Expected y_pred and y to be on the same device. Got y_pred: meta"):
        m.update((torch.rand(2, 3, device="meta"), torch.rand(2, 3)))
    with pytest.raises(NotComputableError, match="PSNR must have at least one example before it can be computed."):
        m.compute()


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 12), cuts=st.lists(st.integers(1, 11), max_size=4), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    y_pred, y, _ = images((n, 2, 5, 5), torch.float32, seed)
    check_chunked(lambda: PSNR(1.0), [y_pred, y], cuts, reference(y_pred, y, 1.0), rtol=1e-6)


def test_state_dict_roundtrip_and_inputs_untouched():
    y_pred, y, _ = images((6, 2, 5, 5), torch.float32, 3)
    before = y_pred.clone(), y.clone()
    check_state_dict_roundtrip(lambda: PSNR(1.0), [(y_pred[:3], y[:3]), (y_pred[3:], y[3:])])
    assert torch.equal(before[0], y_pred) and torch.equal(before[1], y)


def test_nan_inputs_raise_instead_of_returning_nan():
    m = PSNR(1.0)
    m.update((torch.full((2, 1, 8, 8), float("nan")), torch.rand(2, 1, 8, 8)))
    with pytest.raises(ValueError, match="PSNR is NaN: y_pred or y contains NaN values."):
        m.compute()
