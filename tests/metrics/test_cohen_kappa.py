"""CohenKappa (spec metrics.md §3.9) against scikit-learn's cohen_kappa_score, both backends."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import check_state_dict_roundtrip, run_engine, run_updates, split_batches
from sklearn.metrics import cohen_kappa_score

from ignite.exceptions import NotComputableError
from ignite.metrics import CohenKappa
from ignite.metrics.cohen_kappa import _CohenKappaConfusionMatrix, _CohenKappaEpochMetric
from ignite.metrics.epoch_metric import EpochMetricWarning

WEIGHTS = [None, "linear", "quadratic"]


def _batches(seed, num_classes, n=20, count=4, column=False):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        y = torch.randint(0, num_classes, (n,), generator=g)
        y_pred = torch.where(torch.rand(n, generator=g) < 0.6, y, torch.randint(0, num_classes, (n,), generator=g))
        out.append((y_pred.unsqueeze(1), y.unsqueeze(1)) if column else (y_pred, y))
    return out


def _flat(batches):
    return torch.cat([b[1] for b in batches]).reshape(-1).numpy(), torch.cat([b[0] for b in batches]).reshape(
        -1
    ).numpy()


def test_spec_worked_examples():
    y_pred, y = torch.tensor([0, 1, 2, 2, 1]), torch.tensor([0, 1, 1, 2, 2])
    for kwargs in ({}, {"num_classes": 3}):
        assert run_updates(CohenKappa(**kwargs), [(y_pred, y)]) == pytest.approx(0.375)
        assert run_updates(CohenKappa(weights="quadratic", **kwargs), [(y_pred, y)]) == pytest.approx(
            0.642857, abs=1e-6
        )


@pytest.mark.parametrize("weights", WEIGHTS)
@pytest.mark.parametrize("num_classes", [None, 5])
@pytest.mark.parametrize("column", [False, True])
def test_matches_sklearn(weights, num_classes, column):
    batches = _batches(1, 5, column=column)
    y, y_pred = _flat(batches)
    expected = cohen_kappa_score(y, y_pred, weights=weights, labels=list(range(5)) if num_classes else None)
    result = run_engine(CohenKappa(weights=weights, num_classes=num_classes), batches)
    assert isinstance(result, float) and result == pytest.approx(expected)


@pytest.mark.parametrize("weights", WEIGHTS)
def test_labels_with_gaps_match_sklearn(weights):
    # without num_classes the classes are the distinct labels seen (as scikit-learn): gaps do not weigh
    y = torch.tensor([0, 3, 7, 7, 3, 0, 7, 3])
    y_pred = torch.tensor([0, 7, 7, 3, 3, 0, 7, 0])
    assert run_updates(CohenKappa(weights=weights), [(y_pred, y)]) == pytest.approx(
        cohen_kappa_score(y.numpy(), y_pred.numpy(), weights=weights)
    )
    # with num_classes the classes are 0..k-1 (scikit-learn with labels=range(k))
    assert run_updates(CohenKappa(weights=weights, num_classes=8), [(y_pred, y)]) == pytest.approx(
        cohen_kappa_score(y.numpy(), y_pred.numpy(), weights=weights, labels=list(range(8)))
    )


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 40),
    cuts=st.lists(st.integers(1, 39), max_size=5),
    weights=st.sampled_from(WEIGHTS),
    seed=st.integers(0, 2**16),
)
def test_many_small_updates_equal_one_big(n, cuts, weights, seed):
    g = torch.Generator().manual_seed(seed)
    tensors = [torch.randint(0, 4, (n,), generator=g), torch.randint(0, 4, (n,), generator=g)]
    for num_classes in (None, 4):
        whole = run_updates(CohenKappa(weights=weights, num_classes=num_classes), [tuple(tensors)])
        parts = run_updates(CohenKappa(weights=weights, num_classes=num_classes), split_batches(tensors, cuts))
        assert parts == pytest.approx(whole, abs=1e-12)


def test_degenerate_agreement_is_zero():
    # one class only: p_e = 1, kappa = 0 / max(1 - p_e, 1e-9) = 0 (scikit-learn returns nan and warns)
    for kwargs in ({}, {"num_classes": 3}):
        assert run_updates(CohenKappa(**kwargs), [(torch.tensor([1, 1, 1]), torch.tensor([1, 1, 1]))]) == 0.0


def test_errors():
    with pytest.raises(ValueError, match="Kappa Weighting type must be None or linear or quadratic."):
        CohenKappa(weights="cubic")
    with pytest.raises(ValueError, match="Argument num_classes needs to be > 1"):
        CohenKappa(num_classes=1)
    m = CohenKappa()
    assert isinstance(m._impl, _CohenKappaEpochMetric) and m.weights is None
    with pytest.raises(
        NotComputableError, match="_CohenKappaEpochMetric must have at least one example before it can be computed."
    ):
        m.compute()
    m.update((torch.randint(0, 2, (4, 3)), torch.randint(0, 2, (4, 3))))
    with pytest.raises(ValueError, match="multilabel-indicator is not supported"):
        m.compute()
    cm = CohenKappa(num_classes=3)
    assert isinstance(cm._impl, _CohenKappaConfusionMatrix)
    with pytest.raises(
        NotComputableError, match="Confusion matrix must have at least one example before it can be computed."
    ):
        cm.compute()
    with pytest.raises(ValueError, match="multilabel-indicator is not supported"):
        cm.update((torch.randint(0, 2, (4, 3)), torch.randint(0, 2, (4, 3))))
    with pytest.raises(ValueError, match=r"y_pred should hold labels in \[0, 3\), but given a label 5"):
        cm.update((torch.tensor([0, 5]), torch.tensor([0, 1])))
    # targets out of range are skipped like ignored labels; nothing left -> n == 0
    empty = CohenKappa(num_classes=3)
    empty.update((torch.tensor([0, 1]), torch.tensor([9, 9])))
    with pytest.raises(
        NotComputableError, match=r"CohenKappa cannot be computed on an empty confusion matrix \(n == 0\)."
    ):
        empty.compute()
    # an invalid prediction after the first (checked) batch is reported by compute
    late = CohenKappa(num_classes=3)
    late.update((torch.tensor([0, 1]), torch.tensor([0, 1])))
    late.update((torch.tensor([0, 4]), torch.tensor([0, 1])))
    with pytest.raises(ValueError, match=r"y_pred should hold labels in \[0, 3\)"):
        late.compute()


def test_check_compute_fn_warns_on_bad_first_batch():
    m = CohenKappa(check_compute_fn=True)
    with pytest.warns(EpochMetricWarning, match="Probably, there can be a problem with `compute_fn`"):
        m.update((torch.tensor([0.5, 1.5]), torch.tensor([0, 1])))


def test_state_dict_roundtrip_both_backends():
    batches = _batches(2, 4)
    check_state_dict_roundtrip(lambda: CohenKappa(weights="linear"), batches)
    check_state_dict_roundtrip(lambda: CohenKappa(weights="quadratic", num_classes=4), batches)
    state = CohenKappa(num_classes=4).state_dict()["__metric_state_per_rank"][0]
    assert list(state) == ["_impl"] and list(state["_impl"]) == ["confusion_matrix", "_num_examples"]
