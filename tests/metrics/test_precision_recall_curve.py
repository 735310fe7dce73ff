"""PrecisionRecallCurve (spec metrics.md §3.11), computed in torch, against scikit-learn."""

import numpy as np
import pytest
import torch
from metric_checks import check_state_dict_roundtrip, run_engine, run_updates
from sklearn.metrics import precision_recall_curve

from ignite.exceptions import NotComputableError
from ignite.metrics import PrecisionRecallCurve
from ignite.metrics.precision_recall_curve import precision_recall_curve_compute_fn


def _scores(seed, n, ties=False, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    s = torch.sigmoid(y.float() + torch.randn(n, generator=g))
    if ties:
        s = (s * 5).round() / 5
    return s.to(dtype), y


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n", [1, 2, 300])
def test_matches_sklearn(ties, dtype, n):
    s, y = _scores(n, n, ties, dtype)
    y[0] = 1
    result = run_updates(PrecisionRecallCurve(), [(s, y)])
    reference = precision_recall_curve(y.numpy(), s.numpy())
    assert len(result) == 3
    for mine, theirs in zip(result, reference):
        assert mine.dtype == torch.float64
        np.testing.assert_allclose(mine.numpy(), theirs, rtol=1e-12, atol=1e-12)


def test_engine_and_caching():
    s, y = _scores(5, 100)
    pr = PrecisionRecallCurve(output_transform=lambda out: (out[0], out[1]))
    precision, recall, thresholds = run_engine(pr, [(s[:50], y[:50]), (s[50:], y[50:])])
    ref = precision_recall_curve(y.numpy(), s.numpy())
    np.testing.assert_allclose(precision.numpy(), ref[0])
    np.testing.assert_allclose(thresholds.numpy(), ref[2])
    assert pr.compute() is pr.compute()  # cached until the next update/reset
    assert pr._result is not None
    pr.update((s[:2], y[:2]))
    assert pr._result is None


def test_edge_cases_and_errors():
    with pytest.warns(UserWarning, match="No positive class found in y_true, recall is set to one for all thresholds."):
        precision, recall, _ = precision_recall_curve_compute_fn(torch.rand(6), torch.zeros(6, dtype=torch.long))
    assert recall[:-1].eq(1).all() and precision[:-1].eq(0).all()
    with pytest.raises(ValueError, match="multiclass format is not supported"):
        precision_recall_curve_compute_fn(torch.rand(6), torch.tensor([0, 1, 2, 0, 1, 2]))
    with pytest.raises(ValueError, match="PrecisionRecallCurve expects 1-d scores and targets"):
        precision_recall_curve_compute_fn(torch.rand(6, 2), torch.randint(0, 2, (6, 2)))
    with pytest.raises(
        NotComputableError, match="PrecisionRecallCurve must have at least one example before it can be computed."
    ):
        PrecisionRecallCurve().compute()


def test_state_dict_roundtrip():
    s, y = _scores(6, 40)
    check_state_dict_roundtrip(PrecisionRecallCurve, [(s[:20], y[:20]), (s[20:], y[20:])])
