"""AveragePrecision (spec metrics.md §3.11), computed in torch, against scikit-learn."""

import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import check_state_dict_roundtrip, run_engine, run_updates, split_batches
from sklearn.metrics import average_precision_score

from ignite.exceptions import NotComputableError
from ignite.metrics import AveragePrecision
from ignite.metrics.average_precision import average_precision_compute_fn


def _scores(seed, n, shape=(), ties=False):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n, *shape), generator=g)
    s = torch.sigmoid(y.float() + torch.randn(n, *shape, generator=g))
    if ties:
        s = (s * 5).round() / 5
    return s, y


def test_sklearn_docstring_values():
    assert average_precision_compute_fn(
        torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1])
    ) == pytest.approx(0.8333333333)
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    scores = torch.tensor(
        [[0.7, 0.2, 0.1], [0.4, 0.3, 0.3], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.4, 0.4, 0.2], [0.1, 0.2, 0.7]]
    )
    assert average_precision_compute_fn(scores, y) == pytest.approx(average_precision_score(y.numpy(), scores.numpy()))


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("shape", [(), (3,)])
def test_matches_sklearn(ties, shape):
    s, y = _scores(1, 240, shape, ties)
    batches = [(s[i : i + 60], y[i : i + 60]) for i in range(0, 240, 60)]
    result = run_engine(AveragePrecision(), batches)
    assert isinstance(result, float)
    assert result == pytest.approx(average_precision_score(y.numpy(), s.numpy()), abs=1e-6)


def test_edge_cases_as_sklearn():
    s = torch.rand(8)
    with pytest.warns(UserWarning, match="No positive class found in y_true, recall is set to one for all thresholds."):
        value = average_precision_compute_fn(s, torch.zeros(8, dtype=torch.long))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert value == average_precision_score([0] * 8, s.numpy()) == 0.0
    assert average_precision_compute_fn(s, torch.ones(8, dtype=torch.long)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"pos_label=1 is not a valid label. It should be one of \[0, 2\]"):
        average_precision_compute_fn(s, torch.tensor([0, 2] * 4))
    with pytest.raises(ValueError, match="`y_score` needs to be of shape `\\(n_samples, n_classes\\)`"):
        average_precision_compute_fn(s, torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
    with pytest.raises(ValueError, match="continuous format is not supported"):
        average_precision_compute_fn(s, torch.rand(8))
    with pytest.raises(ValueError, match="Input y_score contains NaN."):
        average_precision_compute_fn(torch.tensor([float("nan"), 0.2]), torch.tensor([0, 1]))
    with pytest.raises(
        NotComputableError, match="AveragePrecision must have at least one example before it can be computed."
    ):
        AveragePrecision().compute()
    # a multilabel column without positives counts 0 in the mean, as in scikit-learn
    y = torch.randint(0, 2, (10, 3), generator=torch.Generator().manual_seed(2))
    y[:, 2] = 0
    scores = torch.rand(10, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert average_precision_compute_fn(scores, y) == pytest.approx(
            average_precision_score(y.numpy(), scores.numpy())
        )


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
    y[0] = 1
    s = torch.randint(0, levels, (n,), generator=g).float() / levels
    whole = run_updates(AveragePrecision(), [(s, y)])
    assert run_updates(AveragePrecision(), split_batches([s, y], cuts)) == whole
    assert whole == pytest.approx(average_precision_score(y.numpy(), s.numpy()), abs=1e-9)


def test_state_dict_roundtrip():
    s, y = _scores(3, 60, (2,))
    check_state_dict_roundtrip(AveragePrecision, [(s[:30], y[:30]), (s[30:], y[30:])])
