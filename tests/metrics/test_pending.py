"""The accumulators of the metrics with deferred accumulation (``_PendingSums``), as user code reads them.

Spec metrics.md §2.2.8, §3.2, §3.3 and the state tables: ``_num_correct``, ``_numerator``, ``confusion_matrix``,
``_sum_of_squared_errors``, ... are tensors on the metric's device, up to date with every batch, whenever they are
read (issue 12 §1.9). The update path still defers the work: it only queues.
"""

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix

from ignite.engine import Engine, Events
from ignite.metrics import (
    Accuracy,
    ConfusionMatrix,
    CosineSimilarity,
    Entropy,
    JSDivergence,
    KLDivergence,
    Loss,
    MeanAbsoluteError,
    MeanPairwiseDistance,
    MeanSquaredError,
    MultiLabelConfusionMatrix,
    Precision,
    Recall,
    RootMeanSquaredError,
    TopKCategoricalAccuracy,
)


def _multiclass_batches(n_batches=5, n=8, c=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.rand(n, c, generator=g), torch.randint(0, c, (n,), generator=g)) for _ in range(n_batches)]


def _all(batches):
    return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])


def test_accuracy_counts_read_mid_epoch_from_an_engine_handler():
    batches = _multiclass_batches()
    engine = Engine(lambda e, b: b)
    acc = Accuracy()
    acc.attach(engine, "acc")
    seen = []

    @engine.on(Events.ITERATION_COMPLETED)
    def read(_):
        assert acc.__dict__["_pending"]  # the batch was queued, not added: accumulation stays deferred
        seen.append((acc._num_correct, acc._num_examples))

    engine.run(batches)
    for i, (num_correct, num_examples) in enumerate(seen, start=1):
        y_pred, y = _all(batches[:i])
        assert isinstance(num_correct, torch.Tensor) and num_correct.dtype == torch.int64
        assert num_correct.device == torch.device("cpu")
        assert int(num_correct) == int((y_pred.argmax(dim=1) == y).sum())
        assert type(num_examples) is int and num_examples == 8 * i


def test_update_only_queues():
    acc = Accuracy()
    for batch in _multiclass_batches(n_batches=3):
        acc.update(batch)
    assert len(acc.__dict__["_pending"]) == 3 and int(acc.__dict__["_num_correct"]) == 0
    _ = acc._num_correct  # the read folds
    assert acc.__dict__["_pending"] == []


def test_top_k_counts():
    batches = _multiclass_batches()
    metric = TopKCategoricalAccuracy(k=2)
    for batch in batches:
        metric.update(batch)
    y_pred, y = _all(batches)
    top2 = torch.topk(y_pred, 2, dim=1).indices
    assert int(metric._num_correct) == int((top2 == y[:, None]).any(dim=1).sum())


@pytest.mark.parametrize("cls", [Precision, Recall])
@pytest.mark.parametrize("average", [False, "macro", "weighted"])
def test_precision_recall_counters(cls, average):
    batches = _multiclass_batches()
    metric = cls(average=average)
    assert metric._numerator == 0 and metric._denominator == 0  # ints before the first update (spec §3.3)
    metric.update(batches[0])
    assert isinstance(metric._numerator, torch.Tensor)  # tensors after it, though the batch is only queued
    for batch in batches[1:]:
        metric.update(batch)
    y_pred, y = _all(batches)
    cm = confusion_matrix(y.numpy(), y_pred.argmax(dim=1).numpy(), labels=range(4))
    tp = np.diag(cm)
    positives = cm.sum(axis=0) if cls is Precision else cm.sum(axis=1)
    np.testing.assert_array_equal(metric._numerator.numpy(), tp)
    np.testing.assert_array_equal(metric._denominator.numpy(), positives)
    if average == "weighted":
        np.testing.assert_array_equal(metric._weight.numpy(), cm.sum(axis=1))
    assert metric._numerator.device == torch.device("cpu")


def test_confusion_matrices():
    batches = _multiclass_batches()
    cm = ConfusionMatrix(num_classes=4)
    for batch in batches:
        cm.update(batch)
    y_pred, y = _all(batches)
    np.testing.assert_array_equal(
        cm.confusion_matrix.numpy(), confusion_matrix(y.numpy(), y_pred.argmax(dim=1).numpy(), labels=range(4))
    )

    g = torch.Generator().manual_seed(1)
    ml_batches = [(torch.randint(0, 2, (6, 3), generator=g), torch.randint(0, 2, (6, 3), generator=g)) for _ in "ab"]
    mlcm = MultiLabelConfusionMatrix(num_classes=3)
    for batch in ml_batches:
        mlcm.update(batch)
    y_pred, y = _all(ml_batches)
    np.testing.assert_array_equal(mlcm.confusion_matrix.numpy(), multilabel_confusion_matrix(y.numpy(), y_pred.numpy()))


def _regression_batches(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)) for _ in range(4)]


@pytest.mark.parametrize(
    "metric, attr, reference",
    [
        (MeanSquaredError(), "_sum_of_squared_errors", lambda p, y: ((p - y) ** 2).sum()),
        (RootMeanSquaredError(), "_sum_of_squared_errors", lambda p, y: ((p - y) ** 2).sum()),
        (MeanAbsoluteError(), "_sum_of_absolute_errors", lambda p, y: (p - y).abs().sum()),
        (MeanPairwiseDistance(), "_sum_of_distances", lambda p, y: torch.pairwise_distance(p, y).sum()),
        (CosineSimilarity(), "_sum_of_cos_similarities", lambda p, y: torch.cosine_similarity(p, y, eps=1e-8).sum()),
        (Loss(torch.nn.functional.mse_loss), "_sum", lambda p, y: ((p - y) ** 2).mean() * 5 * 4 / 4),
    ],
    ids=["mse", "rmse", "mae", "pairwise", "cosine", "loss"],
)
def test_batch_sums(metric, attr, reference):
    batches = _regression_batches()
    for batch in batches:
        metric.update(batch)
    assert metric.__dict__["_pending"]
    value = getattr(metric, attr)
    assert isinstance(value, torch.Tensor) and value.device == torch.device("cpu") and value.ndim == 0
    if attr == "_sum":  # per-batch mean loss times batch size
        expected = sum(float(((p - y) ** 2).mean()) * 5 for p, y in batches)
    else:
        expected = float(reference(*_all(batches)))
    assert float(value) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("cls, attr", [(Entropy, "_sum_of_entropies"), (KLDivergence, "_sum_of_kl"),
                                       (JSDivergence, "_sum_of_kl")])  # fmt: skip
def test_distribution_sums_match_compute(cls, attr):
    g = torch.Generator().manual_seed(3)
    batches = [(torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)) for _ in range(3)]
    metric = cls()
    for batch in batches:
        metric.update(batch)
    total = getattr(metric, attr)
    assert isinstance(total, torch.Tensor) and total.device == torch.device("cpu")
    divisor = 2 if cls is JSDivergence else 1  # JS averages two KL terms
    assert float(total) / (metric._num_examples * divisor) == pytest.approx(metric.compute(), rel=1e-12)


def test_writing_an_accumulator_replaces_it():
    acc = Accuracy()
    acc.update(_multiclass_batches(n_batches=1)[0])
    acc._num_correct = acc._num_correct + 100  # read (folds), then write
    assert int(acc.__dict__["_num_correct"]) == int(acc._num_correct) and acc.__dict__["_pending"] == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
@pytest.mark.parametrize("metric_device, data_device", [("cpu", "cuda"), ("cuda", "cpu"), ("cuda", "cuda")])
def test_read_on_the_metric_device(metric_device, data_device):
    batches = [(p.to(data_device), y.to(data_device)) for p, y in _multiclass_batches()]
    acc, prec = Accuracy(device=metric_device), Precision(average="macro", device=metric_device)
    mse = MeanSquaredError(device=metric_device)
    for batch in batches:
        acc.update(batch)
        prec.update(batch)
        mse.update((batch[0], torch.nn.functional.one_hot(batch[1], 4).float()))
    expected = torch.device(metric_device)
    for value in (acc._num_correct, prec._numerator, prec._denominator, mse._sum_of_squared_errors):
        assert value.device.type == expected.type
    y_pred, y = _all([(p.cpu(), t.cpu()) for p, t in batches])
    assert int(acc._num_correct) == int((y_pred.argmax(dim=1) == y).sum())
    assert acc.compute() == pytest.approx(int((y_pred.argmax(dim=1) == y).sum()) / len(y))
