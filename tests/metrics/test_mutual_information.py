"""MutualInformation (spec metrics.md §5) against scikit-learn's ``mutual_info_score``: I(X; Y) of the joint
distribution P(sample i, class c) = p_ic / n, given as a (scaled integer) contingency table."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_chunked, check_state_dict_roundtrip, run_engine
from scipy.special import softmax
from sklearn.metrics import mutual_info_score

from ignite.exceptions import NotComputableError
from ignite.metrics import MutualInformation


def reference(y_pred):
    t = y_pred.double()
    rows = t.movedim(1, -1).reshape(-1, t.shape[1]).numpy() if t.ndim > 2 else t.numpy()
    p = softmax(rows, axis=1)
    # counts summing to ~1e8: exact enough, and sklearn's int64 products of marginals do not overflow
    return mutual_info_score(None, None, contingency=np.rint(p * 1e8 / len(p)).astype(np.int64))


def test_worked_example():
    m = MutualInformation()
    m.update((torch.tensor([[2.0, 0.0], [0.0, 2.0]]), None))
    assert m.compute() == pytest.approx(0.327813, abs=1e-6)


@pytest.mark.parametrize("shape", [(12, 4), (6, 3, 5), (4, 3, 2, 3)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_sklearn(shape, dtype):
    g = torch.Generator().manual_seed(0)
    y_pred = (2 * torch.randn(shape, generator=g)).to(dtype)
    batches = [(y_pred[:2], None), (y_pred[2:], None)]
    assert_close(run_engine(MutualInformation(), batches), reference(y_pred), rtol=1e-5, atol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match=r"y_pred must be in the shape of \(B, C\) or \(B, C, ...\)"):
        MutualInformation().update((torch.rand(4), None))
    with pytest.raises(ValueError, match="y_pred must not be empty"):
        MutualInformation().update((torch.rand(0, 3), None))
    with pytest.raises(
        NotComputableError, match="MutualInformation must have at least one example before it can be computed."
    ):
        MutualInformation().compute()
    m = MutualInformation()
    m.update((torch.full((3, 2), float("nan")), None))
    with pytest.raises(ValueError, match="MutualInformation is NaN: y_pred contains NaN values."):
        m.compute()


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 30), cuts=st.lists(st.integers(1, 29), max_size=5), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    y_pred = 2 * torch.randn(n, 4, generator=g)
    check_chunked(MutualInformation, [y_pred, y_pred], cuts, reference(y_pred), rtol=1e-5, atol=1e-6)


def test_state_dict_saves_every_sum():
    g = torch.Generator().manual_seed(1)
    y_pred = torch.randn(12, 3, generator=g)
    check_state_dict_roundtrip(MutualInformation, [(y_pred[:5], None), (y_pred[5:], None)])
    m = MutualInformation()
    m.update((y_pred, None))
    saved = m.state_dict()["__metric_state_per_rank"][0]
    assert set(saved) == {"_sum_of_probabilities", "_sum_of_entropies", "_num_examples"}


def test_loads_an_older_state_with_probabilities_only():
    m = MutualInformation()
    m.load_state_dict({"__metric_state_per_rank": [{"_sum_of_probabilities": torch.tensor([1.0, 1.0])}]})
    assert torch.equal(m._sum_of_probabilities, torch.tensor([1.0, 1.0]))
