"""Entropy (spec metrics.md §5)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_chunked, check_state_dict_roundtrip, run_engine
from scipy.special import softmax
from scipy.stats import entropy

from ignite.exceptions import NotComputableError
from ignite.metrics import Entropy


def rows(t):
    t = t.double()
    return t.movedim(1, -1).reshape(-1, t.shape[1]).numpy() if t.ndim > 2 else t.numpy()


def reference(y_pred):
    return entropy(softmax(rows(y_pred), axis=1), axis=1).mean()


def test_worked_example():
    m = Entropy()
    m.update((torch.tensor([[1.0, 2.0], [3.0, 4.0]]), None))
    assert m.compute() == pytest.approx(0.582203, abs=1e-6)


@pytest.mark.parametrize("shape", [(10, 4), (10, 4, 3), (10, 2, 3, 5)])
def test_shapes_match_scipy(shape):
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(shape, generator=g) * 3, torch.zeros(shape[0])) for _ in range(3)]
    y_pred = torch.cat([b[0] for b in batches])
    m = Entropy()
    assert_close(run_engine(m, batches), reference(y_pred), rtol=1e-5)
    assert m._num_examples == y_pred.numel() // shape[1]  # every position is a row


def test_errors():
    with pytest.raises(ValueError, match=r"y_pred must be in the shape of \(B, C\) or \(B, C, ...\), got"):
        Entropy().update((torch.rand(4), None))
    with pytest.raises(NotComputableError, match="Entropy must have at least one example before it can be computed."):
        Entropy().compute()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=6), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    y_pred = torch.randn(n, 5, generator=torch.Generator().manual_seed(seed)) * 2
    check_chunked(Entropy, [y_pred, torch.zeros(n)], cuts, reference(y_pred), rtol=1e-5)


def test_state_dict_roundtrip():
    g = torch.Generator().manual_seed(2)
    check_state_dict_roundtrip(Entropy, [(torch.randn(4, 3, generator=g), None) for _ in range(3)])
