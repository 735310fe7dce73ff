"""MeanSquaredError (spec metrics.md §4)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_chunked, check_state_dict_roundtrip, run_engine
from sklearn.metrics import mean_squared_error

from ignite.exceptions import NotComputableError
from ignite.metrics import MeanSquaredError

SHAPES = [(10,), (10, 1), (10, 4), (10, 3, 5)]


def reference(y_pred, y):
    # per-sample sums of squared errors averaged over samples (not over elements)
    d = y_pred.double().numpy() - y.double().reshape(y_pred.shape).numpy()
    return (d**2).sum() / y_pred.shape[0]


def test_worked_example():
    m = MeanSquaredError()
    m.update((torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.5, 2.0], [2.0, 5.0]])))
    assert m.compute() == 1.125


def test_matches_sklearn_for_1d():
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(16, generator=g), torch.randn(16, generator=g)) for _ in range(5)]
    y_pred = torch.cat([b[0] for b in batches]).numpy()
    y = torch.cat([b[1] for b in batches]).numpy()
    assert run_engine(MeanSquaredError(), batches) == pytest.approx(mean_squared_error(y, y_pred), rel=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.int64])
def test_shapes_and_dtypes_match_numpy(shape, dtype):
    g = torch.Generator().manual_seed(1)
    y_pred = (torch.randn(shape, generator=g) * 4).to(dtype)
    y = (torch.randn(shape, generator=g) * 4).to(dtype)
    m = MeanSquaredError()
    m.update((y_pred, y))
    assert_close(m.compute(), reference(y_pred, y), rtol=1e-3 if dtype == torch.float16 else 1e-6)


def test_target_viewed_as_prediction():
    m = MeanSquaredError()
    m.update((torch.zeros(4), torch.ones(4, 1)))
    assert m.compute() == 1.0
    with pytest.raises(RuntimeError):
        m.update((torch.zeros(4), torch.ones(3)))


def test_not_computable_and_grad_inputs():
    with pytest.raises(NotComputableError, match="MeanSquaredError must have at least one example before it can be"):
        MeanSquaredError().compute()
    m = MeanSquaredError()
    m.update((torch.ones(3, requires_grad=True), torch.zeros(3)))
    assert not m._sum_of_squared_errors.requires_grad and m._sum_of_squared_errors.dtype == torch.float64


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(2, 40),
    d=st.sampled_from([0, 1, 3]),
    cuts=st.lists(st.integers(1, 39), max_size=6),
    seed=st.integers(0, 2**16),
)
def test_many_small_updates_equal_one_big(n, d, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    shape = (n,) if d == 0 else (n, d)
    y_pred, y = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
    check_chunked(MeanSquaredError, [y_pred, y], cuts, reference(y_pred, y), rtol=1e-5)


def test_state_dict_roundtrip():
    g = torch.Generator().manual_seed(2)
    check_state_dict_roundtrip(
        MeanSquaredError, [(torch.randn(4, 2, generator=g), torch.randn(4, 2)) for _ in range(3)]
    )
    assert MeanSquaredError._state_dict_all_req_keys == ("_sum_of_squared_errors", "_num_examples")
    assert np.isfinite(MeanSquaredError()._sum_of_squared_errors.item())
