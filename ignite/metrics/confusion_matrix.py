"""Multiclass confusion matrix and the quantities derived from it (IoU, Dice, ...)."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._pending import _PendingSums
from ignite.metrics.accuracy import _identity, _scatter_count
from ignite.metrics.metric import Metric, reinit__is_reduced, sync_all_reduce
from ignite.metrics.metrics_lambda import MetricsLambda

__all__ = ["ConfusionMatrix", "mIoU", "IoU", "DiceCoefficient", "cmAccuracy", "cmPrecision", "cmRecall", "JaccardIndex"]


class ConfusionMatrix(_PendingSums, Metric):
    """Confusion matrix of a multiclass problem: ``matrix[target, prediction]`` counts.

    ``y_pred`` holds scores or logits ``(N, C, ...)`` (the predicted class is the argmax over dim 1) and ``y``
    class indices ``(N, ...)``; every element of ``y`` is counted. Targets outside ``[0, C)`` (e.g. an
    "ignore" label 255 in segmentation) are skipped.

    Args:
        num_classes: number of classes ``C`` (> 1).
        average: ``None`` (counts, int64), ``"samples"`` (counts divided by the number of samples ``N``
            accumulated), ``"recall"`` (rows normalised) or ``"precision"`` (columns normalised); normalised
            matrices are float32.
        output_transform: applied to the engine output before ``update``.
        device: device of the accumulators.
        skip_unrolling: pass list outputs to ``update`` unchanged (default True).

    ```python
    cm = ConfusionMatrix(num_classes=3)
    miou = mIoU(cm, ignore_index=0)
    miou.attach(evaluator, "mIoU")
    ```
    """

    _state_dict_all_req_keys = ("confusion_matrix", "_num_examples")
    _pending_attrs = ("confusion_matrix",)

    def __init__(
        self,
        num_classes: int,
        average: str | None = None,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = True,
    ) -> None:
        if average is not None and average not in ("samples", "recall", "precision"):
            raise ValueError("Argument average can None or one of 'samples', 'recall', 'precision'")
        if num_classes <= 1:
            raise ValueError("Argument num_classes needs to be > 1")
        self.num_classes = num_classes
        self._num_examples = 0
        self.average = average
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self.confusion_matrix = torch.zeros(self.num_classes, self.num_classes, dtype=torch.int64, device=self._device)
        self._num_examples = 0
        self._checked: tuple | None = None
        self._negative_targets = False
        self._reset_pending()

    def _check_shape(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        c = self.num_classes
        if y_pred.ndim < 2:
            raise ValueError(
                f"y_pred must have shape (batch_size, num_classes (currently set to {c}), ...), "
                f"but given {y_pred.shape}"
            )
        if y_pred.shape[1] != c:
            raise ValueError(f"y_pred does not have correct number of classes: {y_pred.shape[1]} vs {c}")
        if not (y.ndim + 1 == y_pred.ndim):
            raise ValueError(
                f"y_pred must have shape (batch_size, num_classes (currently set to {c}), ...) "
                f"and y must have shape of (batch_size, ...), but given {y.shape} vs {y_pred.shape}."
            )
        if y.shape[0] != y_pred.shape[0] or y.shape[1:] != y_pred.shape[2:]:
            raise ValueError("y and y_pred must have compatible shapes.")

    def update(self, output: Sequence[torch.Tensor]) -> None:
        # no detach needed: argmax and counts carry no autograd history
        y_pred, y = output[0], output[1]
        key = (y_pred.shape, y.shape)
        if key != self._checked:
            self._check_shape((y_pred, y))
            self._checked = key
        c = self.num_classes
        self._num_examples += y_pred.shape[0]
        target = y if y.ndim == 1 else y.reshape(-1)
        if target.dtype != torch.long:
            target = target.long()
        pred = torch.argmax(y_pred, dim=1)
        if pred.ndim != 1:
            pred = pred.reshape(-1)
        # index c * target + prediction; targets outside [0, c) land below 0 or at/after c * c
        index = torch.add(pred, target, alpha=c)
        cc = c * c
        on_cpu = index.is_cpu
        if not on_cpu:
            counts = _scatter_count(index, cc)  # drops out-of-range indices without a host sync
        elif not self._negative_targets:
            try:
                # indices >= c * c (targets >= c) only lengthen the counts: sliced off below
                counts = torch.bincount(index, minlength=cc)
            except RuntimeError:  # a negative target ("ignore" label): clamp from now on
                self._negative_targets = True
        if on_cpu and self._negative_targets:
            # shift by one and clamp: bin 0 gathers negative targets, bin c * c + 1 targets >= c
            counts = torch.bincount(index.clamp_(-1, cc).add_(1), minlength=cc + 2)[1:]
        self._queue((counts if counts.shape[0] == cc else counts[:cc],))

    def _add_totals(self, totals: list[torch.Tensor]) -> None:
        c = self.num_classes
        super()._add_totals([totals[0].view(c, c)])

    @sync_all_reduce("confusion_matrix", "_num_examples")
    def compute(self) -> torch.Tensor:
        if self._num_examples == 0:
            raise NotComputableError("Confusion matrix must have at least one example before it can be computed.")
        matrix = self.confusion_matrix.to(self._device)
        if self.average is None:
            return matrix.clone()
        # normalise a float64 copy (the stored counts stay exact int64), return float32 as upstream
        matrix = matrix.to(torch.float64)
        if self.average == "samples":
            return (matrix / self._num_examples).to(torch.float32)
        return self.normalize(matrix, self.average).to(torch.float32)

    @staticmethod
    def normalize(matrix: torch.Tensor, average: str) -> torch.Tensor:
        """``matrix`` with rows (``"recall"``) or columns (``"precision"``) divided by their sums."""
        if average == "recall":
            return matrix / (matrix.sum(dim=1).unsqueeze(1) + 1e-15)
        elif average == "precision":
            return matrix / (matrix.sum(dim=0) + 1e-15)
        raise ValueError("Argument average should be one of 'samples', 'recall', 'precision'")


def _check_cm(cm: ConfusionMatrix, ignore_index: int | None) -> None:
    if not isinstance(cm, ConfusionMatrix):
        raise TypeError(f"Argument cm should be instance of ConfusionMatrix, but given {type(cm)}")
    if ignore_index is not None:
        if not (isinstance(ignore_index, numbers.Integral) and 0 <= ignore_index < cm.num_classes):
            raise ValueError(
                f"ignore_index should be integer and in the range of [0, {cm.num_classes}), but given {ignore_index}"
            )


def _drop_index(vector: torch.Tensor, ignore_index: int | None) -> torch.Tensor:
    if ignore_index is None:
        return vector
    if ignore_index >= len(vector):
        raise ValueError(f"ignore_index {ignore_index} is larger than the length of IoU vector {len(vector)}")
    keep = [i for i in range(len(vector)) if i != ignore_index]
    return vector[keep]


def _iou(matrix: torch.Tensor) -> torch.Tensor:
    matrix = matrix.to(torch.float64)
    diag = matrix.diag()
    return diag / (matrix.sum(dim=1) + matrix.sum(dim=0) - diag + 1e-15)


def IoU(cm: ConfusionMatrix, ignore_index: int | None = None) -> MetricsLambda:
    r"""Intersection over union per class, :math:`\frac{TP}{TP + FP + FN}`, from a :class:`ConfusionMatrix`.

    Args:
        cm: a ``ConfusionMatrix`` with ``average`` ``None`` or ``"samples"``.
        ignore_index: a class to leave out of the result (its entry is removed).

    Returns a ``MetricsLambda`` computing a float64 tensor of length ``C`` (``C - 1`` with ``ignore_index``).

    ```python
    cm = ConfusionMatrix(num_classes=3)
    IoU(cm, ignore_index=0).attach(evaluator, "IoU")
    ```
    """
    _check_cm(cm, ignore_index)
    if cm.average not in (None, "samples"):
        raise ValueError("ConfusionMatrix should have average attribute either None or 'samples'")
    return MetricsLambda(lambda matrix: _drop_index(_iou(matrix), ignore_index), cm)


def JaccardIndex(cm: ConfusionMatrix, ignore_index: int | None = None) -> MetricsLambda:
    """The Jaccard index per class: the same as :func:`IoU`."""
    return IoU(cm, ignore_index)


def mIoU(cm: ConfusionMatrix, ignore_index: int | None = None) -> MetricsLambda:
    """Mean of :func:`IoU` over the classes (without ``ignore_index``); a 0-d float64 tensor.

    ```python
    cm = ConfusionMatrix(num_classes=21)
    mIoU(cm, ignore_index=0).attach(evaluator, "mIoU")
    ```
    """
    _check_cm(cm, ignore_index)
    if cm.average not in (None, "samples"):
        raise ValueError("ConfusionMatrix should have average attribute either None or 'samples'")
    return MetricsLambda(lambda matrix: _drop_index(_iou(matrix), ignore_index).mean(), cm)


def DiceCoefficient(cm: ConfusionMatrix, ignore_index: int | None = None) -> MetricsLambda:
    r"""Dice coefficient per class, :math:`\frac{2 TP}{2 TP + FP + FN}`, from a :class:`ConfusionMatrix`.

    Args:
        cm: a ``ConfusionMatrix``.
        ignore_index: a class to leave out of the result (its entry is removed).
    """
    _check_cm(cm, ignore_index)

    def dice(matrix: torch.Tensor) -> torch.Tensor:
        matrix = matrix.to(torch.float64)
        return _drop_index(2.0 * matrix.diag() / (matrix.sum(dim=1) + matrix.sum(dim=0) + 1e-15), ignore_index)

    return MetricsLambda(dice, cm)


def cmAccuracy(cm: ConfusionMatrix) -> MetricsLambda:
    """Accuracy from a confusion matrix: trace over total (0-d float64 tensor)."""

    def accuracy(matrix: torch.Tensor) -> torch.Tensor:
        matrix = matrix.to(torch.float64)
        return matrix.diag().sum() / (matrix.sum() + 1e-15)

    return MetricsLambda(accuracy, cm)


def cmPrecision(cm: ConfusionMatrix, average: bool = True) -> MetricsLambda:
    """Precision per class from a confusion matrix (diagonal over column sums), or its mean."""

    def precision(matrix: torch.Tensor) -> torch.Tensor:
        matrix = matrix.to(torch.float64)
        value = matrix.diag() / (matrix.sum(dim=0) + 1e-15)
        return value.mean() if average else value

    return MetricsLambda(precision, cm)


def cmRecall(cm: ConfusionMatrix, average: bool = True) -> MetricsLambda:
    """Recall per class from a confusion matrix (diagonal over row sums), or its mean."""

    def recall(matrix: torch.Tensor) -> torch.Tensor:
        matrix = matrix.to(torch.float64)
        value = matrix.diag() / (matrix.sum(dim=1) + 1e-15)
        return value.mean() if average else value

    return MetricsLambda(recall, cm)
