"""Fairness metrics (spec metrics.md §6.3) against scikit-learn building blocks applied per subgroup, and
hand-worked values."""

import io
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, mean_squared_error, precision_score

from ignite.exceptions import NotComputableError
from ignite.metrics import Accuracy, MeanSquaredError, Precision, fairness
from ignite.metrics.fairness import (
    DemographicParityDifference,
    SelectionRate,
    SubgroupAccuracyDifference,
    SubgroupDifference,
    SubgroupMetric,
)

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import check_chunked, run_engine, run_updates  # noqa: E402

GROUPS = [0, 1, 5]


def data(seed, kind="binary", n=40, classes=3, groups=(0, 1, 5, 9)):
    g = torch.Generator().manual_seed(seed)
    if kind == "binary":
        y_pred, y = torch.randint(0, 2, (n,), generator=g), torch.randint(0, 2, (n,), generator=g)
    elif kind == "multiclass":
        y_pred, y = torch.randn(n, classes, generator=g), torch.randint(0, classes, (n,), generator=g)
    else:  # multilabel
        y_pred = torch.randint(0, 2, (n, classes), generator=g)
        y = torch.randint(0, 2, (n, classes), generator=g)
    group_labels = torch.tensor(groups)[torch.randint(0, len(groups), (n,), generator=g)]  # 9: not a group
    return y_pred, y, group_labels


def per_group(fn, y_pred, y, group_labels, groups=GROUPS):
    out = {}
    for gid in groups:
        mask = (group_labels == gid).numpy()
        if mask.any():
            out[gid] = fn(y_pred.numpy()[mask], y.numpy()[mask])
    return out


def selection_rate(kind, classes=3):
    def fn(y_pred, y):
        if kind == "binary":
            return np.array([np.mean(y_pred == 0), np.mean(y_pred == 1)])
        if kind == "multiclass":
            return np.bincount(y_pred.argmax(axis=1), minlength=classes) / len(y_pred)
        return y_pred.mean(axis=0)

    return fn


def accuracy(kind):
    def fn(y_pred, y):
        return accuracy_score(y, y_pred.argmax(axis=1) if kind == "multiclass" else y_pred)

    return fn


def gap(values):
    stacked = np.stack([np.atleast_1d(v) for v in values.values()])
    return float((stacked.max(axis=0) - stacked.min(axis=0)).max())


def test_hand_worked():
    y_pred, y, groups = torch.tensor([1, 1, 0, 1]), torch.tensor([1, 0, 0, 1]), torch.tensor([0, 0, 1, 1])
    rate = SelectionRate()
    rate.update((torch.tensor([1, 0, 1, 1]), torch.tensor([1, 0, 0, 1])))
    result = rate.compute()
    assert result.dtype == torch.float32 and torch.equal(result, torch.tensor([0.25, 0.75]))
    # group 0 selects [0, 1] at [0, 1], group 1 at [.5, .5] -> gap .5; accuracies .5 and 1 -> gap .5
    assert run_updates(DemographicParityDifference(groups=[0, 1]), [(y_pred, y, groups)]) == 0.5
    assert run_updates(SubgroupAccuracyDifference(groups=[0, 1]), [(y_pred, y, groups)]) == 0.5
    assert run_updates(SubgroupMetric(Accuracy(), groups=[0, 1]), [(y_pred, y, groups)]) == {0: 0.5, 1: 1.0}


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_selection_rate_matches_reference(kind):
    y_pred, y, _ = data(0, kind)
    m = SelectionRate(is_multilabel=kind == "multilabel")
    m.update((y_pred[:15], y[:15]))
    m.update((y_pred[15:], y[15:]))
    np.testing.assert_allclose(m.compute().numpy(), selection_rate(kind)(y_pred.numpy(), y.numpy()), rtol=1e-6)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_differences_match_sklearn_per_group(kind):
    y_pred, y, group_labels = data(1, kind)
    multilabel = kind == "multilabel"
    batches = [(y_pred[:17], y[:17], group_labels[:17]), (y_pred[17:], y[17:], group_labels[17:])]
    rates = per_group(selection_rate(kind), y_pred, y, group_labels)
    accuracies = per_group(accuracy(kind), y_pred, y, group_labels)
    dpd = run_updates(DemographicParityDifference(GROUPS, is_multilabel=multilabel), batches)
    assert isinstance(dpd, float) and dpd == pytest.approx(gap(rates), abs=1e-6)
    sad = run_updates(SubgroupAccuracyDifference(GROUPS, is_multilabel=multilabel), batches)
    assert sad == pytest.approx(gap(accuracies))
    metric = run_updates(SubgroupMetric(Accuracy(is_multilabel=multilabel), GROUPS), batches)
    assert metric == pytest.approx(accuracies)


def test_other_base_metrics():
    # a regression metric per group, and a tensor-valued metric (per-class precision) compared per position
    g = torch.Generator().manual_seed(2)
    y_pred, y = torch.randn(30, generator=g), torch.randn(30, generator=g)
    groups = torch.randint(0, 3, (30,), generator=g)
    mse = run_updates(SubgroupMetric(MeanSquaredError(), [0, 1, 2]), [(y_pred, y, groups)])
    assert mse == pytest.approx(per_group(mean_squared_error, y, y_pred, groups, [0, 1, 2]))
    assert run_updates(SubgroupDifference(MeanSquaredError(), [0, 1, 2]), [(y_pred, y, groups)]) == pytest.approx(
        max(mse.values()) - min(mse.values())
    )
    logits, labels, groups = data(3, "multiclass", n=60)
    precision = per_group(
        lambda p, t: precision_score(t, p.argmax(axis=1), average=None, labels=[0, 1, 2], zero_division=0),
        logits,
        labels,
        groups,
    )
    result = run_updates(SubgroupDifference(Precision(average=False), GROUPS), [(logits, labels, groups)])
    assert result == pytest.approx(gap(precision))


def test_groups_without_data():
    y_pred, y = torch.tensor([1, 0, 1]), torch.tensor([1, 1, 1])
    per = SubgroupMetric(Accuracy(), groups=[0, 1, 2])
    per.update((y_pred, y, torch.tensor([0, 0, 7])))  # group 7 is not followed; groups 1, 2 see nothing
    assert per.compute() == {0: 0.5}
    diff = SubgroupDifference(Accuracy(), groups=[0, 1])
    with pytest.raises(
        NotComputableError, match=r"^Fairness metrics must have at least one example before it can be computed.$"
    ):
        diff.compute()
    diff.update((y_pred, y, torch.tensor([0, 0, 0])))
    with pytest.raises(
        NotComputableError, match=r"^Fairness metrics require at least two unique subgroups to compute a disparity.$"
    ):
        diff.compute()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), cuts=st.lists(st.integers(1, 39), max_size=4))
def test_many_small_updates_equal_one_big(seed, cuts):
    y_pred, y, group_labels = data(seed, "multiclass")
    rates = per_group(selection_rate("multiclass"), y_pred, y, group_labels)
    if len(rates) >= 2:
        check_chunked(lambda: DemographicParityDifference(GROUPS), (y_pred, y, group_labels), cuts, gap(rates))
        check_chunked(
            lambda: SubgroupAccuracyDifference(GROUPS),
            (y_pred, y, group_labels),
            cuts,
            gap(per_group(accuracy("multiclass"), y_pred, y, group_labels)),
        )
    check_chunked(SelectionRate, (y_pred, y), cuts, selection_rate("multiclass")(y_pred.numpy(), y.numpy()))


@pytest.mark.parametrize(
    "factory",
    [
        lambda: SubgroupMetric(Accuracy(), GROUPS),
        lambda: SubgroupAccuracyDifference(GROUPS),
        lambda: DemographicParityDifference(GROUPS),
    ],
)
def test_state_dict_roundtrip(factory):
    y_pred, y, group_labels = data(4)
    metric = factory()
    metric.update((y_pred[:20], y[:20], group_labels[:20]))
    expected = metric.compute()
    state = metric.state_dict()
    assert list(state) == ["__metric_state_per_rank", "_metrics"] and sorted(state["_metrics"]) == ["0", "1", "5"]
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    fresh = factory()
    fresh.load_state_dict(loaded)
    assert list(loaded) == ["__metric_state_per_rank", "_metrics"]  # the given dict is left as it was
    assert fresh.compute() == expected
    for m in (fresh, metric):
        m.update((y_pred[20:], y[20:], group_labels[20:]))
    assert fresh.compute() == metric.compute()


def test_selection_rate_state_dict_and_engine():
    y_pred, y, group_labels = data(5, "multilabel")
    state_metric = SelectionRate(is_multilabel=True)
    state_metric.update((y_pred, y))
    fresh = SelectionRate(is_multilabel=True)
    fresh.load_state_dict(state_metric.state_dict())
    assert torch.equal(fresh.compute(), state_metric.compute())
    batches = [
        {"y_pred": y_pred[i : i + 8], "y": y[i : i + 8], "group_labels": group_labels[i : i + 8]} for i in (0, 8)
    ]
    result = run_engine(DemographicParityDifference(GROUPS, is_multilabel=True), batches)
    assert result == pytest.approx(gap(per_group(selection_rate("multilabel"), y_pred[:16], y[:16], group_labels[:16])))


def test_inputs_are_not_modified():
    y_pred, y, group_labels = data(6, "multiclass")
    copies = [t.clone() for t in (y_pred, y, group_labels)]
    for m in (SubgroupMetric(Accuracy(), GROUPS), DemographicParityDifference(GROUPS)):
        m.update((y_pred, y, group_labels))
        m.compute()
    assert all(torch.equal(a, b) for a, b in zip((y_pred, y, group_labels), copies))


def test_errors():
    with pytest.raises(TypeError, match=r"^base_metric should be a Metric, got <class 'str'>$"):
        SubgroupMetric("accuracy", [0, 1])
    with pytest.raises(ValueError, match=r"^groups should hold at least one group id"):
        SubgroupMetric(Accuracy(), [])
    with pytest.raises(TypeError, match=r"^groups should hold numbers \(values of group_labels\), got \['a', 'b'\]$"):
        SubgroupMetric(Accuracy(), ["a", "b"])
    with pytest.raises(ValueError, match=r"^groups should hold distinct group ids"):
        SubgroupMetric(Accuracy(), [0, 0])
    m = SubgroupAccuracyDifference([0, 1])
    with pytest.raises(ValueError, match=r"^y_pred, y, and group_labels must have the same batch size.$"):
        m.update((torch.tensor([1, 0]), torch.tensor([1, 0]), torch.tensor([0, 1, 1])))
    with pytest.raises(ValueError, match=r"^For binary cases, y_pred must be comprised of 0's and 1's.$"):
        m.update((torch.tensor([2, 0]), torch.tensor([1, 0]), torch.tensor([0, 1])))
    with pytest.raises(
        NotComputableError, match=r"^SelectionRate must have at least one example before it can be computed.$"
    ):
        SelectionRate().compute()
    with pytest.raises(ValueError, match=r"^For binary cases, y must be comprised of 0's and 1's.$"):
        SelectionRate().update((torch.tensor([1, 0]), torch.tensor([3, 0])))


def test_subpackage_exports():
    names = ["SubgroupAccuracyDifference", "SubgroupDifference", "SubgroupMetric", "DemographicParityDifference"]
    assert all(hasattr(fairness, n) for n in names + ["SelectionRate"])
