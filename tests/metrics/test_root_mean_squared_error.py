"""RootMeanSquaredError (spec metrics.md §4)."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import check_chunked, check_state_dict_roundtrip, run_engine
from sklearn.metrics import root_mean_squared_error

from ignite.exceptions import NotComputableError
from ignite.metrics import MeanSquaredError, RootMeanSquaredError


def test_worked_example():
    m = RootMeanSquaredError()
    m.update((torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.5, 2.0], [2.0, 5.0]])))
    assert m.compute() == pytest.approx(1.060660, abs=1e-6)
    assert isinstance(m, MeanSquaredError)


def test_matches_sklearn():
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(16, generator=g), torch.randn(16, generator=g)) for _ in range(5)]
    y_pred = torch.cat([b[0] for b in batches]).numpy()
    y = torch.cat([b[1] for b in batches]).numpy()
    assert run_engine(RootMeanSquaredError(), batches) == pytest.approx(root_mean_squared_error(y, y_pred), rel=1e-6)


def test_not_computable_message_is_the_mse_one():
    with pytest.raises(NotComputableError, match="MeanSquaredError must have at least one example"):
        RootMeanSquaredError().compute()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=6), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    y_pred, y = torch.randn(n, 2, generator=g), torch.randn(n, 2, generator=g)
    expected = math.sqrt(((y_pred.double() - y.double()) ** 2).sum().item() / n)
    check_chunked(RootMeanSquaredError, [y_pred, y], cuts, expected, rtol=1e-5)


def test_state_dict_roundtrip():
    g = torch.Generator().manual_seed(2)
    check_state_dict_roundtrip(RootMeanSquaredError, [(torch.randn(5, generator=g), torch.randn(5)) for _ in range(3)])
