"""ROC_AUC and RocCurve (spec metrics.md §3.11), computed in torch, against scikit-learn."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, run_updates, split_batches
from sklearn.metrics import roc_auc_score, roc_curve

from ignite.exceptions import NotComputableError
from ignite.metrics import ROC_AUC, EpochMetric, RocCurve
from ignite.metrics._ranking import UndefinedMetricWarning
from ignite.metrics.epoch_metric import EpochMetricWarning
from ignite.metrics.roc_auc import roc_auc_compute_fn, roc_auc_curve_compute_fn


def _scores(seed, n, shape=(), ties=False, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n, *shape), generator=g)
    s = torch.sigmoid(y.float() + torch.randn(n, *shape, generator=g))
    if ties:
        s = (s * 4).round() / 4  # few distinct values: many ties
    return s.to(dtype), y


def _sk(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_binary_auc_matches_sklearn(ties, dtype):
    s, y = _scores(1, 300, ties=ties, dtype=dtype)
    batches = [(s[i : i + 50], y[i : i + 50]) for i in range(0, 300, 50)]
    result = run_engine(ROC_AUC(), batches)
    assert isinstance(result, float) and result == pytest.approx(roc_auc_score(y.numpy(), s.numpy()), abs=1e-6)
    assert isinstance(ROC_AUC(), EpochMetric)


@pytest.mark.parametrize("ties", [False, True])
def test_multilabel_auc_is_macro_average(ties):
    s, y = _scores(2, 200, shape=(4,), ties=ties)
    assert run_updates(ROC_AUC(), [(s, y)]) == pytest.approx(roc_auc_score(y.numpy(), s.numpy()), abs=1e-6)


def test_auc_labels_and_targets_of_other_dtypes():
    s, y = _scores(3, 100)
    expected = roc_auc_score(y.numpy(), s.numpy())
    assert roc_auc_compute_fn(s, y.bool()) == pytest.approx(expected)
    assert roc_auc_compute_fn(s, y.float()) == pytest.approx(expected)
    assert roc_auc_compute_fn(s, y * 2 - 1) == pytest.approx(expected)  # {-1, 1}
    assert roc_auc_compute_fn(s, y + 3) == pytest.approx(roc_auc_score((y + 3).numpy(), s.numpy()))  # {3, 4}
    # logits rank like probabilities
    assert roc_auc_compute_fn(torch.logit(s.double()), y) == pytest.approx(expected)
    # (N, 1) inputs are squeezed by EpochMetric
    assert run_updates(ROC_AUC(), [(s.unsqueeze(1), y.unsqueeze(1))]) == pytest.approx(expected)


def test_undefined_auc_warns_and_is_nan_as_sklearn():
    s = torch.rand(10)
    with pytest.warns(
        UndefinedMetricWarning, match="Only one class is present in y_true. ROC AUC score is not defined"
    ):
        value = roc_auc_compute_fn(s, torch.zeros(10, dtype=torch.long))
    assert np.isnan(value) and np.isnan(_sk(roc_auc_score, np.zeros(10), s.numpy()))
    y = torch.randint(0, 2, (10, 3))
    y[:, 1] = 1
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(roc_auc_compute_fn(torch.rand(10, 3), y))


def test_auc_errors_as_sklearn():
    s = torch.rand(12)
    with pytest.raises(ValueError, match=r"multi_class must be in \('ovo', 'ovr'\)"):
        roc_auc_compute_fn(torch.rand(12, 3), torch.randint(0, 3, (12,)))
    with pytest.raises(ValueError, match=r"multi_class must be in \('ovo', 'ovr'\)"):
        roc_auc_compute_fn(s, torch.tensor([0, 1, 2] * 4))
    with pytest.raises(ValueError, match="continuous format is not supported"):
        roc_auc_compute_fn(s, torch.rand(12))
    with pytest.raises(ValueError, match="Input y_score contains NaN."):
        roc_auc_compute_fn(torch.tensor([0.1, float("nan")]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="contains infinity"):
        roc_auc_compute_fn(torch.tensor([0.1, float("inf")]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="y_true and y_score have different shapes"):
        roc_auc_compute_fn(torch.rand(4, 2), torch.randint(0, 2, (4, 3)))
    with pytest.raises(NotComputableError, match="ROC_AUC must have at least one example before it can be computed."):
        ROC_AUC().compute()
    with pytest.raises(
        ValueError, match=r"Predictions should be of shape \(batch_size, n_targets\) or \(batch_size, \)."
    ):
        ROC_AUC().update((torch.rand(4, 2, 2), torch.randint(0, 2, (4,))))


def test_check_compute_fn_warnings():
    # an exception of the compute function on the first batch becomes an EpochMetricWarning
    m = ROC_AUC(check_compute_fn=True)
    with pytest.warns(EpochMetricWarning, match="Probably, there can be a problem with `compute_fn`"):
        m.update((torch.rand(4), torch.tensor([0.5, 0.2, 0.1, 0.9])))
    # an undefined score is not an exception: its own warning passes through
    m = ROC_AUC(check_compute_fn=True)
    with pytest.warns(UndefinedMetricWarning):
        m.update((torch.rand(4), torch.zeros(4, dtype=torch.long)))


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("n", [1, 2, 3, 500])
def test_roc_curve_matches_sklearn(ties, n):
    s, y = _scores(4 + n, n, ties=ties)
    if n >= 2:
        y[0], y[1] = 0, 1
    fpr, tpr, thr = run_updates(RocCurve(), [(s, y)])
    ref = _sk(roc_curve, y.numpy(), s.numpy())
    for mine, theirs in zip((fpr, tpr, thr), ref):
        assert mine.dtype == torch.float64
        np.testing.assert_allclose(mine.numpy(), theirs, rtol=1e-12, atol=1e-12)


def test_roc_curve_warnings_and_engine():
    with pytest.warns(
        UndefinedMetricWarning, match="No positive samples in y_true, true positive value should be meaningless"
    ):
        fpr, tpr, thr = roc_auc_curve_compute_fn(torch.rand(5), torch.zeros(5, dtype=torch.long))
    assert torch.isnan(tpr).all() and thr[0] == float("inf")
    with pytest.warns(
        UndefinedMetricWarning, match="No negative samples in y_true, false positive value should be meaningless"
    ):
        fpr, _, _ = roc_auc_curve_compute_fn(torch.rand(5), torch.ones(5, dtype=torch.long))
    assert torch.isnan(fpr).all()
    with pytest.raises(ValueError, match="RocCurve expects 1-d scores and targets"):
        roc_auc_curve_compute_fn(torch.rand(5, 2), torch.randint(0, 2, (5, 2)))
    with pytest.raises(ValueError, match=r"y_true takes value in \[0, 2\] and pos_label is not specified"):
        roc_auc_curve_compute_fn(torch.rand(4), torch.tensor([0, 2, 0, 2]))
    with pytest.raises(NotComputableError, match="RocCurve must have at least one example before it can be computed."):
        RocCurve().compute()
    s, y = _scores(9, 64)
    fpr, tpr, thr = run_engine(RocCurve(), [(s[:32], y[:32]), (s[32:], y[32:])])
    ref = roc_curve(y.numpy(), s.numpy())
    assert_close(fpr, ref[0])
    assert_close(tpr, ref[1])


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(4, 60),
    cuts=st.lists(st.integers(1, 59), max_size=5),
    levels=st.integers(2, 8),
    seed=st.integers(0, 2**16),
)
def test_many_small_updates_equal_one_big_and_sklearn(n, cuts, levels, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    y[0], y[1] = 0, 1
    s = torch.randint(0, levels, (n,), generator=g).float() / levels  # heavy ties
    whole = run_updates(ROC_AUC(), [(s, y)])
    assert run_updates(ROC_AUC(), split_batches([s, y], cuts)) == whole
    assert whole == pytest.approx(roc_auc_score(y.numpy(), s.numpy()), abs=1e-9)


def test_state_dict_roundtrip():
    s, y = _scores(10, 90)
    batches = [(s[i : i + 30], y[i : i + 30]) for i in range(0, 90, 30)]
    check_state_dict_roundtrip(ROC_AUC, batches)
    check_state_dict_roundtrip(RocCurve, batches)


@pytest.mark.parametrize(
    "y",
    [
        torch.tensor([0, 1, 1, 0]),
        torch.tensor([1, 1, 1]),
        torch.tensor([0, 0], dtype=torch.int32),
        torch.tensor([-1, 1, -1]),
        torch.tensor([3, 4, 4], dtype=torch.uint8),
        torch.tensor([0, 1, 2, 1]),
        torch.tensor([], dtype=torch.long),
        torch.tensor([True, False, True]),
        torch.tensor([0.0, 1.0, 0.5]),
        torch.tensor([[0, 1], [1, 1]]),
    ],
)
def test_distinct_values_equal_torch_unique(y):
    from ignite.metrics._ranking import _distinct_values

    got = _distinct_values(y)
    assert got.dtype == y.dtype and torch.equal(got, torch.unique(y))
