"""MeanAveragePrecision (spec metrics.md §3.12) against scikit-learn's average_precision_score."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, run_updates, split_batches
from sklearn.metrics import average_precision_score, precision_recall_curve

from ignite.engine import Engine
from ignite.metrics import MeanAveragePrecision
from ignite.metrics.accuracy import _BaseClassification
from ignite.metrics.mean_average_precision import _BaseAveragePrecision

SPEC_PRED = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.5, 0.1]])
SPEC_Y = torch.tensor([1, 2, 2, 0])


def _sk_ap(y, s, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return average_precision_score(y, s, **kwargs)


def _thresholded_ap(y, s, thresholds):
    """AP sampled at recall thresholds, from scikit-learn's precision-recall curve."""
    precision, recall, _ = precision_recall_curve(y, s)
    precision, recall = precision[:-1][::-1], recall[:-1][::-1]  # increasing recall, without the (1, 0) point
    ap, previous = 0.0, 0.0
    for t in thresholds:
        reached = np.nonzero(recall >= t)[0]
        ap += (t - previous) * (precision[reached[0]] if len(reached) else 0.0)
        previous = t
    return ap


def test_spec_worked_examples():
    assert run_updates(MeanAveragePrecision(), [(SPEC_PRED, SPEC_Y)]).item() == pytest.approx(0.777778, abs=1e-6)
    per_class = run_updates(MeanAveragePrecision(class_mean=None), [(SPEC_PRED, SPEC_Y)])
    assert_close(per_class, [0.5, 1.0, 0.833333])
    assert run_updates(MeanAveragePrecision(class_mean="weighted"), [(SPEC_PRED, SPEC_Y)]).item() == pytest.approx(
        0.791667, abs=1e-6
    )
    assert run_updates(MeanAveragePrecision(class_mean="micro"), [(SPEC_PRED, SPEC_Y)]).item() == pytest.approx(0.75)
    thresholded = run_updates(MeanAveragePrecision(rec_thresholds=[0, 0.5, 1]), [(SPEC_PRED, SPEC_Y)])
    assert thresholded.item() == pytest.approx(0.777778, abs=1e-6)
    binary = run_updates(MeanAveragePrecision(), [(torch.tensor([0.9, 0.8, 0.3, 0.2]), torch.tensor([1, 0, 1, 0]))])
    assert isinstance(binary, float) and binary == pytest.approx(0.833333, abs=1e-6)


@pytest.mark.parametrize("class_mean", [None, "macro", "weighted", "micro"])
@pytest.mark.parametrize("extra", [(), (3,)])
def test_multiclass_matches_sklearn(class_mean, extra):
    g = torch.Generator().manual_seed(1)
    batches = [
        (torch.randn(20, 4, *extra, generator=g).softmax(1), torch.randint(0, 4, (20, *extra), generator=g))
        for _ in range(3)
    ]
    scores = torch.cat([b[0] for b in batches]).movedim(1, -1).reshape(-1, 4).numpy()
    y = torch.cat([b[1] for b in batches]).reshape(-1)
    one_hot = torch.nn.functional.one_hot(y, 4).numpy()
    expected = _sk_ap(one_hot, scores, average=class_mean)
    assert_close(run_engine(MeanAveragePrecision(class_mean=class_mean), batches), expected)


@pytest.mark.parametrize("class_mean", [None, "macro", "weighted", "micro"])
def test_multilabel_matches_sklearn(class_mean):
    g = torch.Generator().manual_seed(2)
    y = torch.randint(0, 2, (60, 5), generator=g)
    scores = torch.sigmoid(y.float() + torch.randn(60, 5, generator=g))
    scores = (scores * 6).round() / 6  # ties
    batches = [(scores[i : i + 20], y[i : i + 20]) for i in range(0, 60, 20)]
    expected = _sk_ap(y.numpy(), scores.numpy(), average=class_mean)
    assert_close(run_updates(MeanAveragePrecision(class_mean=class_mean, is_multilabel=True), batches), expected)


def test_binary_matches_sklearn_with_extra_dims():
    g = torch.Generator().manual_seed(3)
    y = torch.randint(0, 2, (30, 4), generator=g)
    scores = torch.rand(30, 4, generator=g)
    assert run_updates(MeanAveragePrecision(), [(scores, y)]) == pytest.approx(
        _sk_ap(y.reshape(-1).numpy(), scores.reshape(-1).numpy())
    )
    assert run_updates(MeanAveragePrecision(), [(scores[:, :1], y[:, 0])]) == pytest.approx(
        _sk_ap(y[:, 0].numpy(), scores[:, 0].numpy())
    )


@pytest.mark.parametrize("thresholds", [[0.0, 0.5, 1.0], [0.1, 0.35, 0.6, 0.9], list(np.linspace(0, 1, 11))])
def test_recall_thresholds(thresholds):
    g = torch.Generator().manual_seed(4)
    y = torch.randint(0, 2, (40, 3), generator=g)
    scores = torch.rand(40, 3, generator=g)
    result = run_updates(
        MeanAveragePrecision(rec_thresholds=thresholds, class_mean=None, is_multilabel=True), [(scores, y)]
    )
    expected = [_thresholded_ap(y[:, c].numpy(), scores[:, c].numpy(), sorted(thresholds)) for c in range(3)]
    assert_close(result, expected)
    # thresholds given unsorted, as a tensor, are sorted
    shuffled = torch.tensor(thresholds[::-1])
    again = run_updates(
        MeanAveragePrecision(rec_thresholds=shuffled, class_mean=None, is_multilabel=True), [(scores, y)]
    )
    assert_close(again, result)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=5), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    tensors = [torch.rand(n, 3, generator=g), torch.randint(0, 3, (n,), generator=g)]
    whole = run_updates(MeanAveragePrecision(class_mean=None), [tuple(tensors)])
    assert torch.equal(run_updates(MeanAveragePrecision(class_mean=None), split_batches(tensors, cuts)), whole)


def test_errors():
    with pytest.raises(ValueError, match="Wrong `class_mean` parameter, given samples"):
        MeanAveragePrecision(class_mean="samples")
    with pytest.raises(
        ValueError,
        match="rec_thresholds should be a one-dimensional tensor or a sequence of floats, "
        "given a 2-dimensional tensor.",
    ):
        MeanAveragePrecision(rec_thresholds=torch.rand(2, 2))
    with pytest.raises(
        TypeError, match="rec_thresholds should be a sequence of floats or a tensor, given <class 'int'>."
    ):
        MeanAveragePrecision(rec_thresholds=1)
    with pytest.raises(ValueError, match="rec_thresholds values should be between 0 and 1, given"):
        MeanAveragePrecision(rec_thresholds=[0.2, 1.5])
    with pytest.raises(TypeError, match="`y_pred` should be a float tensor, given torch.int64"):
        MeanAveragePrecision().update((torch.tensor([1, 0]), torch.tensor([1, 0])))
    with pytest.raises(ValueError, match="For binary cases, y must be comprised of 0's and 1's."):
        MeanAveragePrecision().update((torch.rand(3), torch.tensor([0, 2, 1])))
    with pytest.warns(RuntimeWarning, match="`y` should be of dtype long when entry type is multiclass"):
        MeanAveragePrecision().update((torch.rand(3, 3), torch.tensor([0, 2, 1], dtype=torch.int32)))
    with pytest.raises(
        ValueError,
        match="y_pred contains fewer classes than y. Number of classes in prediction is 3 and an element in y "
        "has invalid class = 5.",
    ):
        MeanAveragePrecision().update((torch.rand(3, 3), torch.tensor([0, 4, 1])))
    with pytest.raises(RuntimeError, match="Metric could not be computed without any update method call"):
        MeanAveragePrecision().compute()
    m = MeanAveragePrecision(rec_thresholds=[0.5])
    assert isinstance(m, _BaseClassification) and isinstance(m, _BaseAveragePrecision)
    assert m.rec_thresholds.dtype == torch.float64


def test_state_dict_roundtrip_all_types():
    g = torch.Generator().manual_seed(5)
    multiclass = [(torch.rand(10, 3, generator=g), torch.randint(0, 3, (10,), generator=g)) for _ in range(3)]
    multilabel = [(torch.rand(10, 3, generator=g), torch.randint(0, 2, (10, 3), generator=g)) for _ in range(3)]
    binary = [(torch.rand(10, generator=g), torch.randint(0, 2, (10,), generator=g)) for _ in range(3)]
    check_state_dict_roundtrip(lambda: MeanAveragePrecision(class_mean=None), multiclass)
    check_state_dict_roundtrip(lambda: MeanAveragePrecision(is_multilabel=True), multilabel)
    check_state_dict_roundtrip(MeanAveragePrecision, binary)
    check_state_dict_roundtrip(lambda: MeanAveragePrecision(class_mean="micro"), multiclass)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int32])
def test_multiclass_non_long_targets_warn(dtype):
    """Spec metrics.md §3.12 (issue 12 §1.9): float targets in multiclass mode warn too, through an engine as well,
    and the value is the one of the long targets."""
    g = torch.Generator().manual_seed(0)
    y_pred, y = torch.rand(12, 3, generator=g), torch.randint(0, 3, (12,), generator=g)
    expected = MeanAveragePrecision()
    expected.update((y_pred, y))
    with pytest.warns(RuntimeWarning, match=r"^`y` should be of dtype long when entry type is multiclass$"):
        engine = Engine(lambda e, b: b)
        MeanAveragePrecision().attach(engine, "map")
        engine.run([(y_pred[:6], y[:6].to(dtype)), (y_pred[6:], y[6:].to(dtype))])
    assert engine.state.metrics["map"] == pytest.approx(float(expected.compute()), rel=1e-12)
