"""Precision and the machinery it shares with Recall (spec metrics.md §3.3), against scikit-learn."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, run_updates, split_batches
from sklearn.metrics import precision_score, recall_score

from ignite.engine import Engine
from ignite.exceptions import NotComputableError
from ignite.metrics import Precision, Recall
from ignite.metrics.precision import _BasePrecisionRecall

PAIRS = [(Precision, precision_score), (Recall, recall_score)]
AVERAGES = [False, None, True, "micro", "macro", "weighted"]


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _rows(t):
    return t.movedim(1, -1).reshape(-1, t.shape[1]).numpy()


def _sk_average(average):
    return {False: None, None: None, True: "macro"}.get(average, average)


def _cat(batches, i):
    return torch.cat([b[i] for b in batches])


def _multiclass_batches(seed, num_classes, extra=(), n=16, count=4):
    g = _gen(seed)
    return [
        (torch.randn(n, num_classes, *extra, generator=g), torch.randint(0, num_classes, (n, *extra), generator=g))
        for _ in range(count)
    ]


def _binary_batches(seed, extra=(), n=16, count=4):
    g = _gen(seed)
    return [
        (torch.randint(0, 2, (n, *extra), generator=g), torch.randint(0, 2, (n, *extra), generator=g))
        for _ in range(count)
    ]


def _multilabel_batches(seed, num_labels=4, extra=(), n=16, count=4):
    g = _gen(seed)
    return [
        (
            torch.randint(0, 2, (n, num_labels, *extra), generator=g),
            torch.randint(0, 2, (n, num_labels, *extra), generator=g),
        )
        for _ in range(count)
    ]


# ---------------------------------------------------------------------------------------------- spec anchors


def test_spec_worked_examples_multiclass():
    y_pred = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.5, 0.1]])
    y = torch.tensor([1, 2, 2, 0])
    p = run_updates(Precision(), [(y_pred, y)])
    r = run_updates(Recall(), [(y_pred, y)])
    assert p.dtype == torch.float64 and p.tolist() == [0.0, 0.5, 1.0]
    assert r.dtype == torch.float64 and r.tolist() == [0.0, 1.0, 0.5]
    for avg, pv, rv in (("micro", 0.5, 0.5), ("macro", 0.5, 0.5), ("weighted", 0.625, 0.5)):
        assert run_updates(Precision(average=avg), [(y_pred, y)]) == pytest.approx(pv)
        assert run_updates(Recall(average=avg), [(y_pred, y)]) == pytest.approx(rv)


def test_spec_worked_examples_binary():
    y_pred = torch.tensor([1, 1, 0, 1, 0, 0])
    y = torch.tensor([1, 0, 0, 1, 1, 0])
    for cls in (Precision, Recall):
        v = run_updates(cls(), [(y_pred, y)])
        assert v.ndim == 0 and v.item() == pytest.approx(2 / 3)
        v = run_updates(cls(average=None), [(y_pred, y)])
        assert v.shape == (2,) and v.tolist() == pytest.approx([2 / 3, 2 / 3])
        for avg in ("micro", "macro", "weighted"):
            assert run_updates(cls(average=avg), [(y_pred, y)]) == pytest.approx(2 / 3)


def test_spec_worked_examples_multilabel():
    y_pred = torch.tensor([[1, 0, 1], [0, 1, 1], [1, 1, 0]])
    y = torch.tensor([[1, 0, 0], [0, 1, 1], [0, 1, 0]])
    p = run_updates(Precision(is_multilabel=True), [(y_pred, y)])
    assert p.tolist() == pytest.approx([0.5, 1.0, 0.5])
    expected = {"micro": 2 / 3, "macro": 2 / 3, "weighted": 0.75, "samples": 2 / 3}
    for avg, value in expected.items():
        assert run_updates(Precision(average=avg, is_multilabel=True), [(y_pred, y)]) == pytest.approx(value)
        assert run_updates(Recall(average=avg, is_multilabel=True), [(y_pred, y)]) == pytest.approx(1.0)
    assert run_updates(Recall(is_multilabel=True), [(y_pred, y)]).tolist() == [1.0, 1.0, 1.0]


# ---------------------------------------------------------------------------------------------- vs scikit-learn


@pytest.mark.parametrize("cls, reference", PAIRS)
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("extra", [(), (3,), (2, 3)])
def test_multiclass_matches_sklearn(cls, reference, average, extra):
    num_classes = 5
    batches = _multiclass_batches(10, num_classes, extra)
    y_pred = _cat(batches, 0).argmax(1).reshape(-1).numpy()
    y = _cat(batches, 1).reshape(-1).numpy()
    expected = reference(y, y_pred, average=_sk_average(average), labels=list(range(num_classes)), zero_division=0)
    result = run_engine(cls(average=average), batches)
    assert_close(result, expected)
    if average in (False, None):
        assert isinstance(result, torch.Tensor) and result.shape == (num_classes,)
    else:
        assert isinstance(result, float)


def test_multiclass_with_absent_classes_and_int32_targets():
    # class 3 is never predicted nor present; targets of another integer dtype warn but count
    g = _gen(11)
    y_pred = torch.randn(30, 4, generator=g)
    y_pred[:, 3] = -10
    y = torch.randint(0, 3, (30,), generator=g, dtype=torch.int32)
    for cls, reference in PAIRS:
        with pytest.warns(RuntimeWarning, match="`y` should be of dtype long when entry type is multiclass"):
            value = run_updates(cls(average=False), [(y_pred, y)])
        expected = reference(y.numpy(), y_pred.argmax(1).numpy(), average=None, labels=[0, 1, 2, 3], zero_division=0)
        assert_close(value, expected)
        assert value[3] == 0.0


@pytest.mark.parametrize("cls, reference", PAIRS)
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("extra", [(), (3,)])
def test_binary_matches_sklearn(cls, reference, average, extra):
    batches = _binary_batches(12, extra)
    y_pred = _cat(batches, 0).reshape(-1).numpy()
    y = _cat(batches, 1).reshape(-1).numpy()
    if average is False:
        expected = reference(y, y_pred, zero_division=0)  # the positive class
    else:
        expected = reference(y, y_pred, average=_sk_average(average), labels=[0, 1], zero_division=0)
    assert_close(run_engine(cls(average=average), batches), expected)
    result = run_updates(cls(average=average), batches)
    assert_close(result, expected)
    if average is False:
        assert result.ndim == 0  # the engine stores it as a float
    elif average is None:
        assert result.shape == (2,)


def test_binary_with_class_dim_and_float_predictions():
    # y_pred (N, 1) of 0./1. with average=False: no dtype requirement
    batches = _binary_batches(13)
    float_batches = [(p.float().unsqueeze(1), t) for p, t in batches]
    for cls, reference in PAIRS:
        expected = reference(_cat(batches, 1).numpy(), _cat(batches, 0).numpy())
        assert_close(run_updates(cls(), float_batches), expected)


@pytest.mark.parametrize("cls, reference", PAIRS)
@pytest.mark.parametrize("average", [False, None, True, "micro", "macro", "weighted", "samples"])
@pytest.mark.parametrize("extra", [(), (3,)])
def test_multilabel_matches_sklearn(cls, reference, average, extra):
    batches = _multilabel_batches(14, 4, extra)
    y_pred = _rows(_cat(batches, 0))
    y = _rows(_cat(batches, 1))
    expected = reference(y, y_pred, average=_sk_average(average), zero_division=0)
    result = run_engine(cls(average=average, is_multilabel=True), batches)
    assert_close(result, expected)


def test_multilabel_float_inputs():
    batches = [(p.float(), t.float()) for p, t in _multilabel_batches(15)]
    for cls, reference in PAIRS:
        expected = reference(_rows(_cat(batches, 1)), _rows(_cat(batches, 0)), average=None, zero_division=0)
        assert_close(run_updates(cls(is_multilabel=True), batches), expected)


# ---------------------------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 40),
    cuts=st.lists(st.integers(1, 39), max_size=6),
    kind=st.sampled_from(["binary", "multiclass", "multilabel"]),
    average=st.sampled_from([False, None, "micro", "macro", "weighted", "samples"]),
    precision=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_many_small_updates_equal_one_big(n, cuts, kind, average, precision, seed):
    if average == "samples" and kind != "multilabel":
        return
    g = _gen(seed)
    if kind == "multiclass":
        tensors = [torch.randn(n, 4, generator=g), torch.randint(0, 4, (n,), generator=g)]
    elif kind == "binary":
        tensors = [torch.randint(0, 2, (n,), generator=g), torch.randint(0, 2, (n,), generator=g)]
    else:
        tensors = [torch.randint(0, 2, (n, 3), generator=g), torch.randint(0, 2, (n, 3), generator=g)]
    cls = Precision if precision else Recall
    kwargs = {"average": average, "is_multilabel": kind == "multilabel"}
    whole = run_updates(cls(**kwargs), [tuple(tensors)])
    parts = run_updates(cls(**kwargs), split_batches(tensors, cuts))
    assert_close(parts, whole, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    num_classes=st.integers(2, 6),
    precision=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_averaging_modes_are_consistent(n, num_classes, precision, seed):
    g = _gen(seed)
    y_pred = torch.randn(n, num_classes, generator=g)
    y = torch.randint(0, num_classes, (n,), generator=g)
    cls = Precision if precision else Recall
    per_class = run_updates(cls(average=False), [(y_pred, y)])
    assert torch.equal(per_class, run_updates(cls(average=None), [(y_pred, y)]))
    # macro: unweighted mean of the per-class values
    assert run_updates(cls(average="macro"), [(y_pred, y)]) == pytest.approx(per_class.mean().item())
    assert run_updates(cls(average=True), [(y_pred, y)]) == pytest.approx(per_class.mean().item())
    # weighted: mean weighted by the support (actual members) of each class
    support = torch.bincount(y, minlength=num_classes).double()
    expected_weighted = (per_class @ support / support.sum()).item()
    assert run_updates(cls(average="weighted"), [(y_pred, y)]) == pytest.approx(expected_weighted)
    # micro: pooled counts, i.e. accuracy for multiclass input
    accuracy = (y_pred.argmax(1) == y).double().mean().item()
    assert run_updates(cls(average="micro"), [(y_pred, y)]) == pytest.approx(accuracy)
    # every value is a ratio
    assert bool(((per_class >= 0) & (per_class <= 1)).all())


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 30), num_labels=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_samples_average_is_mean_of_per_sample_ratios(n, num_labels, seed):
    g = _gen(seed)
    y_pred = torch.randint(0, 2, (n, num_labels), generator=g)
    y = torch.randint(0, 2, (n, num_labels), generator=g)
    tp = (y_pred * y).sum(1).double()
    for cls, ref in ((Precision, y_pred), (Recall, y)):
        denominator = ref.sum(1).double()
        expected = torch.where(denominator > 0, tp / denominator.clamp(min=1), 0.0).mean().item()
        assert run_updates(cls(average="samples", is_multilabel=True), [(y_pred, y)]) == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------- errors


def test_average_argument_validation():
    msg = "Argument average should be None or a boolean or one of values 'macro', 'micro', 'weighted' and 'samples'."
    for bad in ("binary", "none", 1, 0.5, ["macro"]):
        with pytest.raises(ValueError, match=msg):
            Precision(average=bad)
        with pytest.raises(ValueError, match=msg):
            Recall(average=bad)
    assert Precision(average=True)._average == "macro"
    assert Precision()._average is False and Precision(average=None)._average is None
    p = Precision()
    assert p.eps == 1e-20 and p._updated is False
    assert p._numerator == 0 and p._denominator == 0 and p._weight == 0


def test_samples_rejected_for_binary_and_multiclass():
    msg = "Argument average='samples' is incompatible with binary and multiclass input data."
    with pytest.raises(ValueError, match=msg):
        Precision(average="samples").update((torch.rand(4, 3), torch.randint(0, 3, (4,))))
    with pytest.raises(ValueError, match=msg):
        Recall(average="samples").update((torch.randint(0, 2, (4,)), torch.randint(0, 2, (4,))))


def test_fewer_classes_in_prediction_than_in_targets():
    msg = (
        r"y_pred contains fewer classes than y. Number of classes in the prediction is 3 and an element in y has "
        r"invalid class = 5."
    )
    for cls in (Precision, Recall):
        with pytest.raises(ValueError, match=msg):
            cls().update((torch.rand(4, 3), torch.tensor([0, 1, 4, 2])))
    # on the CPU, Recall and weighted Precision also see it on later batches (the count length is free to read)
    for metric in (Recall(), Precision(average="weighted")):
        metric.update((torch.rand(4, 3), torch.tensor([0, 1, 2, 2])))
        with pytest.raises(ValueError, match="y_pred contains fewer classes than y"):
            metric.update((torch.rand(4, 3), torch.tensor([0, 1, 4, 2])))


def test_dtype_warnings():
    with pytest.warns(RuntimeWarning, match="`y` should be of dtype long when entry type is multiclass"):
        Precision().update((torch.rand(4, 3), torch.tensor([0, 1, 2, 2], dtype=torch.uint8)))
    with pytest.warns(
        RuntimeWarning, match="`y` and `y_pred` should be of dtype long when entry type is binary and average!=False"
    ):
        Precision(average="macro").update((torch.tensor([0.0, 1.0]), torch.tensor([0, 1])))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Precision(average=False).update((torch.tensor([0.0, 1.0]), torch.tensor([0, 1])))  # no warning
        Precision(average="macro").update((torch.tensor([0, 1]), torch.tensor([0, 1])))


def test_binary_value_checks():
    with pytest.raises(ValueError, match="For binary cases, y must be comprised of 0's and 1's."):
        Precision().update((torch.tensor([0, 1]), torch.tensor([0, 2])))
    with pytest.raises(ValueError, match="For binary cases, y_pred must be comprised of 0's and 1's."):
        Recall(is_multilabel=True).update((torch.full((2, 3), 0.5), torch.ones(2, 3)))


def test_type_changes_and_not_computable():
    for cls in (Precision, Recall):
        m = cls()
        with pytest.raises(
            NotComputableError, match=f"{cls.__name__} must have at least one example before it can be computed."
        ):
            m.compute()
        m.update((torch.rand(4, 3), torch.randint(0, 3, (4,))))
        with pytest.raises(RuntimeError, match="Input data type has changed from multiclass to binary."):
            m.update((torch.randint(0, 2, (4,)), torch.randint(0, 2, (4,))))
        with pytest.raises(ValueError, match="Input data number of classes has changed from 3 to 5"):
            m.update((torch.rand(4, 5), torch.randint(0, 3, (4,))))
        m.reset()
        with pytest.raises(NotComputableError):
            m.compute()


# ---------------------------------------------------------------------------------------------- state and engine


@pytest.mark.parametrize("cls", [Precision, Recall])
@pytest.mark.parametrize("average", [False, None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_state_dict_roundtrip(cls, average, kind):
    if kind == "multiclass":
        batches = _multiclass_batches(20, 4, count=3)
    elif kind == "binary":
        batches = _binary_batches(21, count=3)
    else:
        batches = _multilabel_batches(22, count=3)
    check_state_dict_roundtrip(lambda: cls(average=average, is_multilabel=kind == "multilabel"), batches)


def test_state_dict_roundtrip_samples_and_keys():
    check_state_dict_roundtrip(lambda: Recall(average="samples", is_multilabel=True), _multilabel_batches(23, count=3))
    p = Precision(average="weighted")
    assert p._state_dict_all_req_keys == ("_numerator", "_denominator", "_weight", "_updated")
    state = p.state_dict()["__metric_state_per_rank"][0]
    assert state == {"_numerator": 0, "_denominator": 0, "_weight": 0, "_updated": False}
    p.update((torch.rand(6, 3), torch.tensor([0, 1, 2, 2, 1, 0])))
    state = p.state_dict()["__metric_state_per_rank"][0]
    assert state["_updated"] is True and state["_weight"].tolist() == [2.0, 2.0, 2.0]
    assert state["_numerator"].dtype == torch.float64 and state["_denominator"].shape == (3,)


def test_base_class_and_prepare_output():
    p = Precision(average="macro")
    assert isinstance(p, _BasePrecisionRecall) and isinstance(Recall(), _BasePrecisionRecall)
    y_pred = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    y = torch.tensor([1, 1, 0])
    p.update((y_pred, y))
    yp, yt, correct = p._prepare_output((y_pred, y))
    assert yp.tolist() == [[0, 1], [1, 0], [0, 1]] and yt.tolist() == [[0, 1], [0, 1], [1, 0]]
    assert correct.tolist() == [[0, 1], [0, 0], [0, 0]] and correct.dtype == torch.float64


def test_slides_f1_formula_with_average_false():
    # the slides' F1 = (P * R * 2 / (P + R)).mean() with per-class Precision/Recall
    g = _gen(30)
    batches = _multiclass_batches(31, 4, n=64)
    y_pred = _cat(batches, 0).argmax(1).numpy()
    y = _cat(batches, 1).numpy()
    precision = Precision(average=False)
    recall = Recall(average=False)
    F1 = (precision * recall * 2 / (precision + recall)).mean()
    engine = Engine(lambda e, b: b)
    F1.attach(engine, "F1")
    precision.attach(engine, "precision")
    state = engine.run(batches)
    from sklearn.metrics import f1_score

    assert state.metrics["F1"] == pytest.approx(f1_score(y, y_pred, average="macro"))
    assert isinstance(state.metrics["F1"], float)
    assert_close(state.metrics["precision"], precision_score(y, y_pred, average=None))
    del g


def test_results_on_metric_device_and_repeatable_compute():
    p = Precision()
    p.update((torch.rand(5, 3), torch.tensor([0, 1, 2, 1, 0])))
    first = p.compute()
    assert first.device == torch.device("cpu") and torch.equal(first, p.compute())
    p.update((torch.rand(5, 3), torch.tensor([0, 1, 2, 1, 0])))
    assert p.compute().shape == (3,)


def test_inputs_with_grad():
    y_pred = torch.randn(8, 3, requires_grad=True)
    y = torch.randint(0, 3, (8,))
    value = run_updates(Recall(average="macro"), [(y_pred, y)])
    expected = recall_score(
        y.numpy(), y_pred.detach().argmax(1).numpy(), average="macro", labels=[0, 1, 2], zero_division=0
    )
    assert value == pytest.approx(expected)
    ml = torch.randint(0, 2, (8, 3)).float().requires_grad_()
    value = run_updates(Precision(is_multilabel=True, average="micro"), [(ml, torch.randint(0, 2, (8, 3)))])
    assert isinstance(value, float)


def test_many_batches_numerically_equal_to_numpy_counts():
    batches = _multiclass_batches(40, 10, n=32, count=200)  # more batches than the fold queue holds
    y_pred = _cat(batches, 0).argmax(1).numpy()
    y = _cat(batches, 1).numpy()
    for cls, reference in PAIRS:
        result = run_updates(cls(average=False), batches)
        np.testing.assert_allclose(result.numpy(), reference(y, y_pred, average=None), rtol=1e-14)
