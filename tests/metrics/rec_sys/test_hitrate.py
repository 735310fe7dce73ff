"""HitRate (spec metrics.md §6.6) against a per-row numpy reference and hand-worked values."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ignite.exceptions import NotComputableError
from ignite.metrics import HitRate

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import check_chunked, check_state_dict_roundtrip, run_engine  # noqa: E402


def reference(y_pred, y, top_k, ignore_zero_hits=True):
    scores, rel = y_pred.double().numpy(), y.double().numpy()
    hits, rows = np.zeros(len(top_k)), 0
    for s, r in zip(scores, rel):
        if ignore_zero_hits and not (r > 0).any():
            continue
        rows += 1
        order = np.argsort(-s, kind="stable")
        hits += [(r[order[:k]] > 0).any() for k in top_k]
    return hits / rows


def data(seed, rows=16, items=9, dtype=torch.float32, rel_dtype=torch.int64):
    g = torch.Generator().manual_seed(seed)
    y_pred = torch.randn(rows, items, generator=g).to(dtype)
    y = (torch.rand(rows, items, generator=g) < 0.15).to(rel_dtype)
    return y_pred, y


def test_spec_worked_example():
    m = HitRate(top_k=[1, 2])
    m.update((torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.3, 0.1]]), torch.tensor([[0, 0, 1], [0, 1, 0]])))
    assert m.compute() == pytest.approx([0.5, 1.0])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.int64])
@pytest.mark.parametrize("rel_dtype", [torch.int64, torch.float32, torch.bool])
@pytest.mark.parametrize("ignore_zero_hits", [True, False])
def test_matches_reference(dtype, rel_dtype, ignore_zero_hits):
    y_pred, y = data(0, dtype=dtype, rel_dtype=rel_dtype)
    if dtype == torch.int64:
        y_pred = torch.randperm(y_pred.numel(), generator=torch.Generator().manual_seed(1)).reshape(y_pred.shape)
    top_k = [5, 1, 3, 20]  # sorted by the metric; 20 > number of items counts every item
    m = HitRate(top_k=top_k, ignore_zero_hits=ignore_zero_hits)
    m.update((y_pred, y))
    result = m.compute()
    assert isinstance(result, list) and all(isinstance(v, float) for v in result)
    np.testing.assert_allclose(result, reference(y_pred, y, sorted(top_k), ignore_zero_hits))


def test_ties_keep_item_order():
    # equal scores: the first item ranks first
    m = HitRate(top_k=1)
    m.update((torch.tensor([[0.5, 0.5, 0.5], [0.5, 0.5, 0.1]]), torch.tensor([[1, 0, 0], [0, 1, 0]])))
    assert m.compute() == [0.5]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), cuts=st.lists(st.integers(1, 15), max_size=4), ignore=st.booleans())
def test_many_small_updates_equal_one_big(seed, cuts, ignore):
    y_pred, y = data(seed)
    y[0, 0] = 1  # at least one row counts
    factory = lambda: HitRate(top_k=[1, 2, 4], ignore_zero_hits=ignore)  # noqa: E731
    check_chunked(factory, (y_pred, y), cuts, reference(y_pred, y, [1, 2, 4], ignore), rtol=1e-12)


def test_state_dict_roundtrip_and_engine():
    y_pred, y = data(3)
    batches = [(y_pred[:7], y[:7]), (y_pred[7:], y[7:])]
    check_state_dict_roundtrip(lambda: HitRate(top_k=[1, 3]), batches)
    assert run_engine(HitRate(top_k=[1, 3]), batches) == pytest.approx(list(reference(y_pred, y, [1, 3])))


def test_inputs_are_not_modified():
    y_pred, y = data(4)
    copies = y_pred.clone(), y.clone()
    HitRate(top_k=[2]).update((y_pred, y))
    assert torch.equal(y_pred, copies[0]) and torch.equal(y, copies[1])


def test_errors():
    with pytest.raises(ValueError, match=r"^top_k must be either int or a list\[int\]$"):
        HitRate(top_k=(1, 2))
    with pytest.raises(ValueError, match=r"^top_k must have at least one positive value$"):
        HitRate(top_k=[])
    with pytest.raises(ValueError, match=r"^top_k must be list of positive integers only.$"):
        HitRate(top_k=[1, 0])
    m = HitRate()
    with pytest.raises(ValueError, match=r"^output should be in format `\(y_pred,y\)` but got tuple of 3 tensors.$"):
        m.update((torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3)))
    with pytest.raises(ValueError, match=r"^y_pred and y must be in the same shape, got "):
        m.update((torch.zeros(2, 3), torch.zeros(2, 4)))
    with pytest.raises(ValueError, match=r"^y_pred and y should be of shape \(batch_size, num_items\)"):
        m.update((torch.zeros(3), torch.zeros(3)))
    with pytest.raises(NotComputableError, match=r"^HitRate must have at least one example.$"):
        m.compute()
    m.update((torch.rand(2, 3), torch.zeros(2, 3)))  # rows without a relevant item are left out
    with pytest.raises(NotComputableError, match=r"^HitRate must have at least one example.$"):
        m.compute()
