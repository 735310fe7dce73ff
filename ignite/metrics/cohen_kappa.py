"""Cohen's kappa, computed in torch (no scikit-learn needed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.accuracy import _bincount, _identity
from ignite.metrics.confusion_matrix import ConfusionMatrix
from ignite.metrics.epoch_metric import EpochMetric
from ignite.metrics.matthews_corrcoef import _label_confusion
from ignite.metrics.metric import Metric, reinit__is_reduced

__all__ = ["CohenKappa"]

_WEIGHTS = (None, "linear", "quadratic")


def _kappa(matrix: torch.Tensor, weights: str | None) -> float:
    """Cohen's kappa of a ``C x C`` count matrix (rows truth, columns prediction)."""
    matrix = matrix.to(torch.float32 if matrix.device.type == "mps" else torch.float64)
    n = matrix.sum()
    if n == 0:
        raise NotComputableError("CohenKappa cannot be computed on an empty confusion matrix (n == 0).")
    rows, cols = matrix.sum(dim=1), matrix.sum(dim=0)
    if weights is None:
        p_o = torch.trace(matrix) / n
        p_e = torch.dot(rows, cols) / n**2
    else:
        index = torch.arange(matrix.shape[0], dtype=matrix.dtype, device=matrix.device)
        distance = index.reshape(-1, 1) - index.reshape(1, -1)
        w = distance.abs() if weights == "linear" else distance**2
        w_max = w.max()
        if w_max > 0:
            w = w / w_max
        expected = torch.outer(rows, cols) / n
        p_o = 1 - (w * matrix).sum() / n
        p_e = 1 - (w * expected).sum() / n
    return float((p_o - p_e) / torch.clamp(1 - p_e, min=1e-9))


def _labels_1d(t: torch.Tensor) -> torch.Tensor:
    if t.ndim == 2 and t.shape[1] == 1:
        t = t.squeeze(1)
    if t.ndim > 1:
        raise ValueError("multilabel-indicator is not supported")
    return t


class _CohenKappaEpochMetric(EpochMetric):
    """Stores the labels; the classes are the distinct labels seen (as scikit-learn's ``cohen_kappa_score``)."""

    def __init__(self, weights: str | None, check_compute_fn: bool, device: str | torch.device) -> None:
        self.weights = weights
        super().__init__(self._kappa_fn, check_compute_fn=check_compute_fn, device=device)

    def _kappa_fn(self, y_preds: torch.Tensor, y_targets: torch.Tensor) -> float:
        return _kappa(_label_confusion(_labels_1d(y_targets), _labels_1d(y_preds)), self.weights)

    def compute(self) -> Any:
        for t in (*self._predictions, *self._targets):
            if t.ndim > 1:
                raise ValueError("multilabel-indicator is not supported")
        return super().compute()


class _CohenKappaConfusionMatrix(ConfusionMatrix):
    """Streams a ``num_classes x num_classes`` count matrix of label pairs (no stored samples).

    Labels outside ``[0, num_classes)`` in ``y`` are skipped (as ``ConfusionMatrix`` skips ignored targets);
    predicted labels outside the range are an error, checked on the first batch after ``reset`` (later
    batches count them apart and ``compute`` raises).
    """

    def __init__(self, num_classes: int, weights: str | None, device: str | torch.device) -> None:
        self.weights = weights
        super().__init__(num_classes, device=device)

    @reinit__is_reduced
    def reset(self) -> None:
        super().reset()
        self._invalid_predictions = torch.tensor(0, dtype=torch.int64, device=self._device)
        self._checked_values = False

    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = _labels_1d(output[0].detach()), _labels_1d(output[1].detach())
        c = self.num_classes
        pred = y_pred.long()
        target = y.long()
        if pred.shape != target.shape:
            raise ValueError(f"y_pred and y should have the same shape, but given {y_pred.shape} vs {y.shape}")
        if not self._checked_values and pred.numel() > 0:  # one host synchronisation, first batch only
            low, high = torch.aminmax(pred)
            if low < 0 or high >= c:
                raise ValueError(
                    f"y_pred should hold labels in [0, {c}), but given a label {int(high if high >= c else low)}"
                )
            self._checked_values = True
        self._num_examples += pred.shape[0]
        valid_pred = (pred >= 0) & (pred < c)
        # c * target + prediction, shifted by one: bin 0 for targets < 0, bin c * c + 1 for targets >= c
        index = torch.add(torch.where(valid_pred, pred, 0), target, alpha=c).clamp_(-1, c * c).add_(1)
        index = torch.where(valid_pred, index, c * c + 2)  # invalid predictions counted apart
        self._queue((_bincount(index, c * c + 3),))

    def _add_totals(self, totals: list[torch.Tensor]) -> None:
        c = self.num_classes
        counts = totals[0]  # [targets < 0 | c * c pairs | targets >= c | invalid predictions]
        self._invalid_predictions = self._fold_into(self._invalid_predictions, counts[c * c + 2])
        super()._add_totals([counts[1 : c * c + 1]])

    def compute(self) -> float:  # type: ignore[override]
        self._fold_pending()
        if bool(self._invalid_predictions > 0):
            raise ValueError(f"y_pred should hold labels in [0, {self.num_classes}), but some labels were outside")
        return _kappa(super().compute(), self.weights)


class CohenKappa(Metric):
    r"""Cohen's kappa: agreement between predicted and true labels beyond chance.

    .. math:: \kappa = \frac{p_o - p_e}{1 - p_e}

    with observed agreement :math:`p_o` and chance agreement :math:`p_e` from the label frequencies; the
    ``linear``/``quadratic`` weights penalise disagreements by the (normalised) distance between classes.
    Equals scikit-learn's ``cohen_kappa_score`` (no scikit-learn needed).

    Inputs: predicted and true labels, ``(N,)`` or ``(N, 1)``.

    Args:
        output_transform: applied to the engine output before ``update``.
        weights: ``None``, ``"linear"`` or ``"quadratic"``.
        check_compute_fn: (without ``num_classes``) compute on the first batch and warn if that fails.
        device: device of the state.
        skip_unrolling: pass list outputs to ``update`` unchanged.
        num_classes: when given, a ``num_classes x num_classes`` matrix of counts is streamed (constant memory,
            sums across ranks); otherwise every label is stored and the classes are the distinct labels seen.

    ``compute()`` returns a float.

    ```python
    kappa = CohenKappa(weights="quadratic", num_classes=5)
    kappa.attach(evaluator, "kappa")
    ```
    """

    _state_dict_all_req_keys = ("_impl",)
    _state_dict_added_keys = ("_impl",)

    def __init__(
        self,
        output_transform: Callable = _identity,
        weights: str | None = None,
        check_compute_fn: bool = False,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
        num_classes: int | None = None,
    ) -> None:
        if weights not in _WEIGHTS:
            raise ValueError("Kappa Weighting type must be None or linear or quadratic.")
        self.weights = weights
        self._impl: Metric
        if num_classes is None:
            self._impl = _CohenKappaEpochMetric(weights, check_compute_fn=check_compute_fn, device=device)
        else:
            self._impl = _CohenKappaConfusionMatrix(num_classes, weights, device=device)
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    def reset(self) -> None:
        self._impl.reset()

    def update(self, output: Sequence[torch.Tensor]) -> None:
        self._impl.update(output)

    def compute(self) -> float:
        return self._impl.compute()
