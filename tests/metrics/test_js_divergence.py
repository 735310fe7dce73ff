"""JSDivergence (spec metrics.md §5)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_chunked, check_state_dict_roundtrip, run_engine
from scipy.spatial.distance import jensenshannon
from scipy.special import softmax

from ignite.exceptions import NotComputableError
from ignite.metrics import JSDivergence, KLDivergence


def rows(t):
    t = t.double()
    return t.movedim(1, -1).reshape(-1, t.shape[1]).numpy() if t.ndim > 2 else t.numpy()


def reference(y_pred, y):
    p, q = softmax(rows(y), axis=1), softmax(rows(y_pred), axis=1)
    return (jensenshannon(p, q, axis=1) ** 2).mean()  # scipy gives the distance (square root), natural log


def test_worked_example():
    m = JSDivergence()
    assert isinstance(m, KLDivergence)
    m.update((torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.5, 2.0], [2.0, 5.0]])))
    assert m.compute() == pytest.approx(0.028437, abs=1e-6)


@pytest.mark.parametrize("shape", [(10, 4), (10, 4, 3), (10, 2, 3, 5)])
def test_shapes_match_scipy(shape):
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(shape, generator=g) * 2, torch.randn(shape, generator=g) * 2) for _ in range(3)]
    y_pred = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    assert_close(run_engine(JSDivergence(), batches), reference(y_pred, y), rtol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match="y_pred and y must be in the same shape"):
        JSDivergence().update((torch.rand(4, 2), torch.rand(4, 3)))
    with pytest.raises(NotComputableError, match="JSDivergence must have at least one example"):
        JSDivergence().compute()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=6), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    y_pred, y = torch.randn(n, 4, generator=g), torch.randn(n, 4, generator=g)
    check_chunked(JSDivergence, [y_pred, y], cuts, reference(y_pred, y), rtol=1e-5, atol=1e-6)


def test_state_dict_roundtrip():
    g = torch.Generator().manual_seed(2)
    check_state_dict_roundtrip(JSDivergence, [(torch.randn(4, 3, generator=g), torch.randn(4, 3)) for _ in range(3)])
