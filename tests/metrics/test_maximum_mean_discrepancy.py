"""MaximumMeanDiscrepancy (spec metrics.md §5.2) against a numpy implementation of the formula."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, split_batches

from ignite.exceptions import NotComputableError
from ignite.metrics import MaximumMeanDiscrepancy


def kernel_sum(a, b, var):
    d = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    return np.exp(-d / (2 * var)).sum()


def terms(x, y, var):
    x, y = x.double().reshape(len(x), -1).numpy(), y.double().reshape(len(y), -1).numpy()
    n = len(x)
    xx = (kernel_sum(x, x, var) - n) / (n * (n - 1))
    yy = (kernel_sum(y, y, var) - n) / (n * (n - 1))
    return xx, yy, kernel_sum(x, y, var) / n**2


def reference(batches, var=1.0):
    xx, yy, xy = np.sum([terms(x, y, var) for x, y in batches], axis=0)
    return np.sqrt(max(xx + yy - 2 * xy, 0) / len(batches))


def data(n, shape, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, *shape, generator=g).to(dtype), (torch.randn(n, *shape, generator=g) + 0.5).to(dtype)


def test_worked_example():
    m = MaximumMeanDiscrepancy()
    m.update((torch.zeros(3, 2), torch.ones(3, 2)))
    assert m.compute() == pytest.approx(1.124385, abs=1e-6)
    assert m.var == 1.0


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 2, 2)])
@pytest.mark.parametrize("var", [1.0, 3.5])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_numpy(shape, var, dtype):
    x, y = data(24, shape, seed=0, dtype=dtype)
    batches = split_batches([x, y], [8, 16])
    assert_close(run_engine(MaximumMeanDiscrepancy(var), batches), reference(batches, var), rtol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match=r"x and y must be in the same shape, got torch.Size\(\[3, 2\]\) != "):
        MaximumMeanDiscrepancy().update((torch.rand(3, 2), torch.rand(3, 3)))
    with pytest.raises(ValueError, match=r"x must be in the shape of \(B, ...\), got torch.Size\(\[3\]\)."):
        MaximumMeanDiscrepancy().update((torch.rand(3), torch.rand(3)))
    with pytest.raises(ValueError, match="x and y must hold at least 2 samples per batch"):
        MaximumMeanDiscrepancy().update((torch.rand(1, 2), torch.rand(1, 2)))
    with pytest.raises(ValueError, match="x and y must be on the same device, got meta and cpu."):
        MaximumMeanDiscrepancy().update((torch.rand(3, 2, device="meta"), torch.rand(3, 2)))
    with pytest.raises(
        NotComputableError, match="MaximumMeanDiscrepacy must have at least one batch before it can be computed."
    ):
        MaximumMeanDiscrepancy().compute()
    m = MaximumMeanDiscrepancy()
    m.update((torch.full((3, 2), float("nan")), torch.rand(3, 2)))
    with pytest.raises(ValueError, match="MaximumMeanDiscrepancy is NaN: x or y contains NaN values."):
        m.compute()


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(2, 10), min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_batches_of_any_sizes(sizes, seed):
    x, y = data(sum(sizes), (3,), seed)
    batches = split_batches([x, y], np.cumsum(sizes)[:-1].tolist())
    m = MaximumMeanDiscrepancy()
    for b in batches:
        m.update(b)
    assert_close(m.compute(), reference(batches), rtol=1e-5, atol=1e-7)


def test_state_dict_roundtrip_and_inputs_untouched():
    x, y = data(12, (3,), seed=2)
    before = x.clone(), y.clone()
    check_state_dict_roundtrip(MaximumMeanDiscrepancy, split_batches([x, y], [6]))
    assert torch.equal(before[0], x) and torch.equal(before[1], y)
