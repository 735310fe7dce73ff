"""CosineSimilarity (spec metrics.md §4)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_chunked, check_state_dict_roundtrip, run_engine

from ignite.exceptions import NotComputableError
from ignite.metrics import CosineSimilarity


def reference(y_pred, y, eps=1e-8):
    a = y_pred.double().reshape(y_pred.shape[0], -1).numpy()
    b = y.double().reshape(y.shape[0], -1).numpy()
    norms = np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), eps)
    return ((a * b).sum(axis=1) / norms).mean()


def test_worked_example_and_attributes():
    m = CosineSimilarity()
    assert m.eps == 1e-8
    m.update((torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.5, 2.0], [2.0, 5.0]])))
    assert m.compute() == pytest.approx(0.974743, abs=1e-6)


@pytest.mark.parametrize("shape", [(12, 1), (12, 5), (12, 3, 4), (12, 2, 3, 2)])
def test_shapes_match_numpy(shape):
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(shape, generator=g), torch.randn(shape, generator=g)) for _ in range(3)]
    y_pred = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    assert_close(run_engine(CosineSimilarity(), batches), reference(y_pred, y), rtol=1e-5)


def test_eps_bounds_the_norm_product():
    m = CosineSimilarity(eps=1.0)
    m.update((torch.tensor([[0.1, 0.0]]), torch.tensor([[0.2, 0.0]])))
    assert m.compute() == pytest.approx(0.02)  # 0.02 / max(0.02, 1)


def test_not_computable():
    with pytest.raises(NotComputableError, match="CosineSimilarity must have at least one example"):
        CosineSimilarity().compute()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=6), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    y_pred, y = torch.randn(n, 3, generator=g), torch.randn(n, 3, generator=g)
    check_chunked(CosineSimilarity, [y_pred, y], cuts, reference(y_pred, y), rtol=1e-5, atol=1e-6)


def test_state_dict_roundtrip():
    g = torch.Generator().manual_seed(2)
    check_state_dict_roundtrip(
        CosineSimilarity, [(torch.randn(4, 3, generator=g), torch.randn(4, 3)) for _ in range(3)]
    )
