"""ConfusionMatrix and the IoU/Dice family (spec metrics.md §3.7) against scikit-learn."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, run_updates, split_batches
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, jaccard_score, precision_score, recall_score

from ignite.exceptions import NotComputableError
from ignite.metrics import ConfusionMatrix, DiceCoefficient, IoU, JaccardIndex, MetricsLambda, mIoU
from ignite.metrics.confusion_matrix import cmAccuracy, cmPrecision, cmRecall

SPEC_PRED = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.5, 0.1]])
SPEC_Y = torch.tensor([1, 2, 2, 0])


def _batches(seed, num_classes, extra=(), n=16, count=4, ignore=None):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        y = torch.randint(0, num_classes, (n, *extra), generator=g)
        if ignore is not None:
            y[torch.rand(y.shape, generator=g) < 0.2] = ignore
        out.append((torch.randn(n, num_classes, *extra, generator=g), y))
    return out


def _flat(batches):
    y_pred = torch.cat([b[0] for b in batches]).argmax(1).reshape(-1).numpy()
    y = torch.cat([b[1] for b in batches]).reshape(-1).numpy()
    return y, y_pred


def test_spec_worked_examples():
    cm = run_updates(ConfusionMatrix(3), [(SPEC_PRED, SPEC_Y)])
    assert cm.dtype == torch.int64 and cm.tolist() == [[0, 1, 0], [0, 1, 0], [1, 0, 1]]
    expected = {
        "samples": [[0, 0.25, 0], [0, 0.25, 0], [0.25, 0, 0.25]],
        "recall": [[0, 1, 0], [0, 1, 0], [0.5, 0, 0.5]],
        "precision": [[0, 0.5, 0], [0, 0.5, 0], [1, 0, 1]],
    }
    for average, value in expected.items():
        result = run_updates(ConfusionMatrix(3, average=average), [(SPEC_PRED, SPEC_Y)])
        assert result.dtype == torch.float32
        assert_close(result, value)
    cm = ConfusionMatrix(3)
    metrics = {
        "iou": IoU(cm),
        "miou": mIoU(cm),
        "dice": DiceCoefficient(cm, ignore_index=0),
        "acc": cmAccuracy(cm),
        "prec": cmPrecision(cm, average=False),
        "rec": cmRecall(cm),
    }
    cm.update((SPEC_PRED, SPEC_Y))
    values = {k: m.compute() for k, m in metrics.items()}
    assert_close(values["iou"], [0, 0.5, 0.5])
    assert values["miou"].ndim == 0 and values["miou"].item() == pytest.approx(1 / 3)
    assert_close(values["dice"], [2 / 3, 2 / 3])
    assert values["acc"].item() == pytest.approx(0.5)
    assert_close(values["prec"], [0, 0.5, 1])
    assert values["rec"].item() == pytest.approx(0.5)
    assert all(v.dtype == torch.float64 for v in values.values())


@pytest.mark.parametrize("extra", [(), (4,), (3, 5)])
@pytest.mark.parametrize("num_classes", [2, 6])
def test_matches_sklearn(extra, num_classes):
    batches = _batches(1, num_classes, extra)
    y, y_pred = _flat(batches)
    expected = confusion_matrix(y, y_pred, labels=list(range(num_classes)))
    result = run_engine(ConfusionMatrix(num_classes), batches)
    assert result.dtype == torch.int64 and np.array_equal(result.numpy(), expected)
    normalized = {
        "recall": confusion_matrix(y, y_pred, labels=list(range(num_classes)), normalize="true"),
        "precision": confusion_matrix(y, y_pred, labels=list(range(num_classes)), normalize="pred"),
        "samples": expected / sum(b[0].shape[0] for b in batches),  # divided by the number of samples N
    }
    for average, value in normalized.items():
        assert_close(run_updates(ConfusionMatrix(num_classes, average=average), batches), np.nan_to_num(value))


@pytest.mark.parametrize("ignore", [255, -1, -100])
def test_targets_outside_range_are_skipped(ignore):
    batches = _batches(2, 4, extra=(6,), ignore=ignore)
    y, y_pred = _flat(batches)
    keep = y != ignore
    expected = confusion_matrix(y[keep], y_pred[keep], labels=[0, 1, 2, 3])
    assert np.array_equal(run_updates(ConfusionMatrix(4), batches).numpy(), expected)
    # uint8 segmentation targets with 255
    if ignore == 255:
        uint8_batches = [(p, t.to(torch.uint8)) for p, t in batches]
        assert np.array_equal(run_updates(ConfusionMatrix(4), uint8_batches).numpy(), expected)


@pytest.mark.parametrize("ignore_index", [None, 0, 2])
def test_derived_metrics_match_sklearn(ignore_index):
    num_classes = 4
    batches = _batches(3, num_classes, extra=(5,))
    y, y_pred = _flat(batches)
    labels = [c for c in range(num_classes) if c != ignore_index]
    cm = ConfusionMatrix(num_classes)
    iou, jac, miou = IoU(cm, ignore_index), JaccardIndex(cm, ignore_index), mIoU(cm, ignore_index)
    dice = DiceCoefficient(cm, ignore_index)
    acc, prec, rec = cmAccuracy(cm), cmPrecision(cm, average=False), cmRecall(cm, average=False)
    prec_mean, rec_mean = cmPrecision(cm), cmRecall(cm)
    for b in batches:
        cm.update(b)
    expected_iou = jaccard_score(y, y_pred, labels=labels, average=None, zero_division=0)
    assert_close(iou.compute(), expected_iou)
    assert_close(jac.compute(), expected_iou)
    assert miou.compute().item() == pytest.approx(expected_iou.mean())
    assert_close(dice.compute(), f1_score(y, y_pred, labels=labels, average=None, zero_division=0))
    assert acc.compute().item() == pytest.approx(accuracy_score(y, y_pred))
    all_labels = list(range(num_classes))
    assert_close(prec.compute(), precision_score(y, y_pred, labels=all_labels, average=None, zero_division=0))
    assert_close(rec.compute(), recall_score(y, y_pred, labels=all_labels, average=None, zero_division=0))
    assert prec_mean.compute().item() == pytest.approx(
        precision_score(y, y_pred, average="macro", labels=all_labels, zero_division=0)
    )
    assert rec_mean.compute().item() == pytest.approx(
        recall_score(y, y_pred, average="macro", labels=all_labels, zero_division=0)
    )


def test_iou_on_samples_average_and_attached():
    batches = _batches(4, 3)
    y, y_pred = _flat(batches)
    cm = ConfusionMatrix(3, average="samples")
    assert_close(run_engine(IoU(cm), batches), jaccard_score(y, y_pred, average=None))
    assert run_engine(mIoU(ConfusionMatrix(3)), batches) == pytest.approx(jaccard_score(y, y_pred, average="macro"))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=6), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    tensors = [torch.randn(n, 5, 2, generator=g), torch.randint(-1, 6, (n, 2), generator=g)]
    whole = run_updates(ConfusionMatrix(5), [tuple(tensors)])
    assert torch.equal(run_updates(ConfusionMatrix(5), split_batches(tensors, cuts)), whole)
    assert whole.sum().item() == int(((tensors[1] >= 0) & (tensors[1] < 5)).sum())


def test_constructor_and_input_errors():
    with pytest.raises(ValueError, match="Argument average can None or one of 'samples', 'recall', 'precision'"):
        ConfusionMatrix(3, average="macro")
    with pytest.raises(ValueError, match="Argument num_classes needs to be > 1"):
        ConfusionMatrix(1)
    cm = ConfusionMatrix(3)
    assert cm.num_classes == 3 and cm.average is None and cm._skip_unrolling is True
    with pytest.raises(
        ValueError,
        match=r"y_pred must have shape \(batch_size, num_classes \(currently set to 3\), \.\.\.\), but given",
    ):
        cm.update((torch.rand(4), torch.randint(0, 3, (4,))))
    with pytest.raises(ValueError, match="y_pred does not have correct number of classes: 4 vs 3"):
        cm.update((torch.rand(4, 4), torch.randint(0, 3, (4,))))
    with pytest.raises(
        ValueError,
        match=r"y_pred must have shape \(batch_size, num_classes \(currently set to 3\), \.\.\.\) "
        r"and y must have shape of \(batch_size, \.\.\.\), but given",
    ):
        cm.update((torch.rand(4, 3), torch.randint(0, 3, (4, 2))))
    with pytest.raises(ValueError, match="y and y_pred must have compatible shapes."):
        cm.update((torch.rand(4, 3, 5), torch.randint(0, 3, (4, 6))))
    with pytest.raises(
        NotComputableError, match="Confusion matrix must have at least one example before it can be computed."
    ):
        cm.compute()
    with pytest.raises(ValueError, match="Argument average should be one of 'samples', 'recall', 'precision'"):
        ConfusionMatrix.normalize(torch.ones(2, 2), "samples")


def test_factory_errors():
    cm = ConfusionMatrix(3)
    for factory in (IoU, mIoU, DiceCoefficient, JaccardIndex):
        with pytest.raises(TypeError, match="Argument cm should be instance of ConfusionMatrix, but given"):
            factory(None)
        for bad in (-1, 3, 1.0, "0"):
            with pytest.raises(
                ValueError, match=r"ignore_index should be integer and in the range of \[0, 3\), but given"
            ):
                factory(cm, ignore_index=bad)
    for factory in (IoU, mIoU, JaccardIndex):
        with pytest.raises(ValueError, match="ConfusionMatrix should have average attribute either None or 'samples'"):
            factory(ConfusionMatrix(3, average="recall"))
    DiceCoefficient(ConfusionMatrix(3, average="recall"))  # no average check
    assert isinstance(IoU(cm), MetricsLambda) and isinstance(cmAccuracy(cm), MetricsLambda)


def test_compute_does_not_mutate_state():
    cm = ConfusionMatrix(3, average="recall")
    cm.update((SPEC_PRED, SPEC_Y))
    first = cm.compute()
    assert cm.confusion_matrix.dtype == torch.int64
    assert torch.equal(first, cm.compute())
    plain = ConfusionMatrix(3)
    plain.update((SPEC_PRED, SPEC_Y))
    result = plain.compute()
    plain.update((SPEC_PRED, SPEC_Y))
    assert result.sum().item() == 4 and plain.compute().sum().item() == 8  # the returned matrix is a copy


def test_counts_stay_exact_beyond_float32():
    cm = ConfusionMatrix(2, average="samples")
    big = 2**25 + 1
    cm.confusion_matrix = torch.tensor([[big, 0], [0, 0]])
    cm._num_examples = big
    assert cm.state_dict()["__metric_state_per_rank"][0]["confusion_matrix"][0, 0].item() == big
    assert cm.compute()[0, 0].item() == 1.0


def test_state_dict_roundtrip_including_derived_metrics():
    batches = _batches(5, 4, extra=(3,), ignore=255)
    check_state_dict_roundtrip(lambda: ConfusionMatrix(4), batches)
    check_state_dict_roundtrip(lambda: IoU(ConfusionMatrix(4), ignore_index=1), batches)
    check_state_dict_roundtrip(lambda: mIoU(ConfusionMatrix(4)), batches)
    assert ConfusionMatrix(4)._state_dict_all_req_keys == ("confusion_matrix", "_num_examples")
