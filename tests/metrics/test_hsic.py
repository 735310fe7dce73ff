"""HSIC (spec metrics.md §5.1) against a numpy implementation of the unbiased estimator."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, split_batches

from ignite.exceptions import NotComputableError
from ignite.metrics import HSIC


def gram(t, sigma):
    t = t.reshape(len(t), -1)
    d = ((t[:, None, :] - t[None, :, :]) ** 2).sum(-1)
    v = np.median(d) if sigma < 0 else sigma**2
    k = np.exp(-d / (2 * v))
    np.fill_diagonal(k, 0)
    return k


def hsic_batch(x, y, sigma_x=-1.0, sigma_y=-1.0):
    x, y = x.double().numpy(), y.double().numpy()
    b = len(x)
    k, l_ = gram(x, sigma_x), gram(y, sigma_y)
    one = np.ones(b)
    value = (
        np.trace(k @ l_) + (one @ k @ one) * (one @ l_ @ one) / ((b - 1) * (b - 2)) - 2 / (b - 2) * one @ k @ l_ @ one
    )
    return max(value / (b * (b - 3)), 0.0)


def data(n, shape, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, *shape, generator=g)
    y = x.reshape(n, -1)[:, :1] ** 2 + 0.3 * torch.randn(n, 1, generator=g)
    return x, y


def test_worked_example():
    x = torch.arange(12.0).reshape(6, 2)
    m = HSIC()
    m.update((x, x**2))
    assert m.compute() == pytest.approx(0.094693, abs=1e-6)
    assert (m.sigma_x, m.sigma_y, m.ignore_invalid_batch) == (-1, -1, True)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 2)])
@pytest.mark.parametrize("sigmas", [(-1.0, -1.0), (1.5, 0.7)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_numpy(shape, sigmas, dtype):
    x, y = data(30, shape, seed=0)
    x, y = x.to(dtype), y.to(dtype)
    batches = split_batches([x, y], [10, 20])
    expected = np.mean([hsic_batch(bx, by, *sigmas) for bx, by in batches])
    assert_close(run_engine(HSIC(*sigmas), batches), expected, rtol=1e-5)


def test_small_batches_skipped_or_refused():
    x, y = data(8, (2,), seed=1)
    m = HSIC()
    m.update((x[:3], y[:3]))
    with pytest.raises(NotComputableError, match="HSIC must have at least one batch before it can be computed."):
        m.compute()
    m.update((x, y))
    assert m.compute() == pytest.approx(hsic_batch(x, y), rel=1e-5)
    with pytest.raises(ValueError, match="A batch must contain more than four samples, got only 3 samples."):
        HSIC(ignore_invalid_batch=False).update((x[:3], y[:3]))


def test_bad_input():
    x, y = data(8, (2,), seed=1)
    with pytest.raises(ValueError, match="y_pred and y must have the same batch size, got 8 and 6."):
        HSIC().update((x, y[:6]))
    with pytest.raises(ValueError, match="y_pred and y must be on the same device, got meta and cpu."):
        HSIC().update((x.to("meta"), y))
    m = HSIC()
    m.update((torch.ones(6, 2), torch.rand(6, 1)))  # identical samples: median distance 0
    with pytest.raises(ValueError, match="HSIC is NaN"):
        m.compute()


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(4, 12), min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_mean_over_batches_of_any_sizes(sizes, seed):
    x, y = data(sum(sizes), (3,), seed)
    cuts = np.cumsum(sizes)[:-1].tolist()
    batches = split_batches([x, y], cuts)
    m = HSIC()
    for b in batches:
        m.update(b)
    assert_close(m.compute(), np.mean([hsic_batch(bx, by) for bx, by in batches]), rtol=1e-5, atol=1e-7)


def test_state_dict_roundtrip_and_inputs_untouched():
    x, y = data(20, (3,), seed=2)
    before = x.clone(), y.clone()
    check_state_dict_roundtrip(HSIC, split_batches([x, y], [10]))
    assert torch.equal(before[0], x) and torch.equal(before[1], y)
