"""NDCG (spec metrics.md §6.6) against scikit-learn's ndcg_score (gains passed as relevances) and hand-worked
values for ties."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import ndcg_score

from ignite.exceptions import NotComputableError
from ignite.metrics import NDCG

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import check_chunked, check_state_dict_roundtrip, run_engine  # noqa: E402


def reference(y_pred, y, top_k, ignore_zero_hits=True, threshold=1.0, gain="exp_rank"):
    """scikit-learn's NDCG uses the relevance itself as the gain: give it the gains."""
    scores, rel = y_pred.double().numpy(), y.double().numpy()
    rel = np.where(rel >= threshold, rel, 0.0)
    if ignore_zero_hits:
        keep = (y.double().numpy() >= threshold).any(axis=1)
        scores, rel = scores[keep], rel[keep]
    gains = 2.0**rel - 1 if gain == "exp_rank" else rel
    return [ndcg_score(gains, scores, k=k) for k in top_k]


def data(seed, rows=16, items=8, dtype=torch.float32, rel_dtype=torch.int64):
    g = torch.Generator().manual_seed(seed)
    y_pred = torch.randn(rows, items, generator=g).to(dtype)  # no ties (scikit-learn averages over ties)
    y = torch.randint(0, 4, (rows, items), generator=g)
    y[torch.rand(rows, items, generator=g) < 0.5] = 0
    return y_pred, y.to(rel_dtype)


def test_spec_worked_example():
    m = NDCG(top_k=[1, 3])
    m.update((torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.3, 0.1]]), torch.tensor([[0, 0, 1], [0, 1, 0]])))
    assert m.compute() == pytest.approx([0.5, 0.815465], abs=1e-6)


@pytest.mark.parametrize("gain", ["exp_rank", "linear_rank"])
@pytest.mark.parametrize("threshold", [1.0, 2.0, 0.0])
@pytest.mark.parametrize("ignore_zero_hits", [True, False])
@pytest.mark.parametrize("dtype,rel_dtype", [(torch.float32, torch.int64), (torch.float64, torch.float32)])
def test_matches_sklearn(gain, threshold, ignore_zero_hits, dtype, rel_dtype):
    y_pred, y = data(0, dtype=dtype, rel_dtype=rel_dtype)
    top_k = [8, 1, 3, 12]
    m = NDCG(top_k=top_k, ignore_zero_hits=ignore_zero_hits, relevance_threshold=threshold, gain_function=gain)
    m.update((y_pred, y))
    expected = reference(y_pred, y, sorted(top_k), ignore_zero_hits, threshold, gain)
    np.testing.assert_allclose(m.compute(), expected, rtol=1e-12)


def test_float_relevances():
    g = torch.Generator().manual_seed(2)
    y_pred, y = torch.randn(10, 6, generator=g), 3 * torch.rand(10, 6, generator=g)
    m = NDCG(top_k=[2, 6], relevance_threshold=0.5)
    m.update((y_pred, y))
    np.testing.assert_allclose(m.compute(), reference(y_pred, y, [2, 6], threshold=0.5), rtol=1e-12)


def test_ties_rank_in_item_order_hand_worked():
    # scores tie on items 0 and 1: item 0 ranks first; relevances [0, 1, 0] -> DCG@1 = 0, DCG@2 = 1/log2(3)
    m = NDCG(top_k=[1, 2])
    m.update((torch.tensor([[0.5, 0.5, 0.1]]), torch.tensor([[0, 1, 0]])))
    assert m.compute() == pytest.approx([0.0, 1 / np.log2(3)])


def test_rows_below_threshold_count_zero_when_kept():
    m = NDCG(top_k=[2], ignore_zero_hits=False)
    m.update((torch.tensor([[0.3, 0.2], [0.1, 0.9]]), torch.tensor([[0, 0], [1, 0]])))
    assert m.compute() == pytest.approx([(0 + 1 / np.log2(3)) / 2])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), cuts=st.lists(st.integers(1, 15), max_size=4), ignore=st.booleans())
def test_many_small_updates_equal_one_big(seed, cuts, ignore):
    y_pred, y = data(seed)
    y[0, 0] = 2
    factory = lambda: NDCG(top_k=[1, 2, 5], ignore_zero_hits=ignore)  # noqa: E731
    check_chunked(factory, (y_pred, y), cuts, reference(y_pred, y, [1, 2, 5], ignore), rtol=1e-12)


def test_state_dict_roundtrip_and_engine():
    y_pred, y = data(3)
    batches = [(y_pred[:7], y[:7]), (y_pred[7:], y[7:])]
    check_state_dict_roundtrip(lambda: NDCG(top_k=[1, 3]), batches)
    assert run_engine(NDCG(top_k=[1, 3]), batches) == pytest.approx(reference(y_pred, y, [1, 3]))


def test_inputs_are_not_modified():
    y_pred, y = data(4, rel_dtype=torch.float32)
    copies = y_pred.clone(), y.clone()
    NDCG(top_k=[2], relevance_threshold=2.0).update((y_pred, y))
    assert torch.equal(y_pred, copies[0]) and torch.equal(y, copies[1])


def test_errors():
    with pytest.raises(ValueError, match=r"^top_k must be list of positive integers only, but given \[1, -1\]$"):
        NDCG(top_k=[1, -1])
    with pytest.raises(
        ValueError, match=r"^gain_function must be either 'exp_rank' or 'linear_rank', but given log_rank$"
    ):
        NDCG(top_k=[1], gain_function="log_rank")
    m = NDCG(top_k=[1])
    with pytest.raises(ValueError, match=r"^output should be in format `\(y_pred,y\)` but got tuple of 1 tensors.$"):
        m.update((torch.zeros(2, 3),))
    with pytest.raises(ValueError, match=r"^y_pred and y must be in the same shape, got "):
        m.update((torch.zeros(2, 3), torch.zeros(3, 3)))
    with pytest.raises(NotComputableError, match=r"^NDCG must have at least one example.$"):
        m.compute()
