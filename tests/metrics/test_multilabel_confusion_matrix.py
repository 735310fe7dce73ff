"""MultiLabelConfusionMatrix (spec metrics.md §3.8) against scikit-learn's multilabel_confusion_matrix."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, run_updates, split_batches
from sklearn.metrics import multilabel_confusion_matrix

from ignite.exceptions import NotComputableError
from ignite.metrics import MultiLabelConfusionMatrix


def _batches(seed, num_labels=4, extra=(), n=16, count=4, dtype=torch.int64):
    g = torch.Generator().manual_seed(seed)
    return [
        (
            torch.randint(0, 2, (n, num_labels, *extra), generator=g).to(dtype),
            torch.randint(0, 2, (n, num_labels, *extra), generator=g).to(dtype),
        )
        for _ in range(count)
    ]


def _rows(t):
    return t.movedim(1, -1).reshape(-1, t.shape[1]).numpy()


def test_spec_worked_example():
    y_pred = torch.tensor([[1, 0, 1], [0, 1, 1], [1, 1, 0]])
    y = torch.tensor([[1, 0, 0], [0, 1, 1], [0, 1, 0]])
    result = run_updates(MultiLabelConfusionMatrix(3), [(y_pred, y)])
    assert result.dtype == torch.int64
    assert result.tolist() == [[[1, 1], [0, 1]], [[1, 0], [0, 2]], [[1, 1], [0, 1]]]
    normalized = run_updates(MultiLabelConfusionMatrix(3, normalized=True), [(y_pred, y)])
    assert normalized.dtype == torch.float64
    assert_close(normalized, result.double() / 3)


@pytest.mark.parametrize("extra", [(), (3,), (2, 2)])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int32, torch.int64])
def test_matches_sklearn(extra, dtype):
    batches = _batches(1, 4, extra, dtype=dtype)
    y_pred = _rows(torch.cat([b[0] for b in batches]))
    y = _rows(torch.cat([b[1] for b in batches]))
    expected = multilabel_confusion_matrix(y, y_pred)
    assert np.array_equal(run_engine(MultiLabelConfusionMatrix(4), batches).numpy(), expected)
    normalized = run_updates(MultiLabelConfusionMatrix(4, normalized=True), batches)
    assert_close(normalized, expected / expected.sum(axis=(1, 2), keepdims=True))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=6), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    tensors = [torch.randint(0, 2, (n, 3), generator=g), torch.randint(0, 2, (n, 3), generator=g)]
    whole = run_updates(MultiLabelConfusionMatrix(3), [tuple(tensors)])
    assert torch.equal(run_updates(MultiLabelConfusionMatrix(3), split_batches(tensors, cuts)), whole)
    assert (whole.sum(dim=(1, 2)) == n).all()


def test_errors():
    with pytest.raises(ValueError, match="Argument num_classes needs to be > 1"):
        MultiLabelConfusionMatrix(1)
    m = MultiLabelConfusionMatrix(3)
    ones = torch.ones(4, 3, dtype=torch.long)
    cases = [
        (
            (torch.ones(4, dtype=torch.long), ones),
            r"y_pred must at least have shape \(batch_size, num_classes \(currently set to 3\), \.\.\.\)",
        ),
        (
            (ones, torch.ones(4, dtype=torch.long)),
            r"y must at least have shape \(batch_size, num_classes \(currently set to 3\), \.\.\.\)",
        ),
        ((torch.ones(5, 3, dtype=torch.long), ones), "y_pred and y have different batch size: 5 vs 4"),
        ((torch.ones(4, 2, dtype=torch.long), ones), "y_pred does not have correct number of classes: 2 vs 3"),
        ((ones, torch.ones(4, 2, dtype=torch.long)), "y does not have correct number of classes: 2 vs 3"),
        ((torch.ones(4, 3, 2, dtype=torch.long), ones), "y and y_pred shapes must match."),
        (
            (ones.float(), ones),
            r"y_pred must be of any type: \(torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64\)",
        ),
        (
            (ones, ones.float()),
            r"y must be of any type: \(torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64\)",
        ),
        ((ones * 2, ones), "y_pred must be a binary tensor"),
        ((ones, ones * 2), "y must be a binary tensor"),
    ]
    for (y_pred, y), msg in cases:
        with pytest.raises(ValueError, match=msg):
            m.update((y_pred, y))
    with pytest.raises(
        NotComputableError, match="Confusion matrix must have at least one example before it can be computed."
    ):
        m.compute()


def test_state_dict_roundtrip():
    check_state_dict_roundtrip(lambda: MultiLabelConfusionMatrix(4), _batches(2))
    check_state_dict_roundtrip(lambda: MultiLabelConfusionMatrix(4, normalized=True), _batches(3, extra=(2,)))
