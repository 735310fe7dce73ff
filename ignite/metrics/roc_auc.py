"""Area under the ROC curve and the ROC curve itself, computed in torch (no scikit-learn needed)."""

from __future__ import annotations

import torch

from ignite.metrics import _ranking
from ignite.metrics.epoch_metric import _FixedFnEpochMetric

__all__ = ["ROC_AUC", "RocCurve", "roc_auc_compute_fn", "roc_auc_curve_compute_fn"]


def roc_auc_compute_fn(y_preds: torch.Tensor, y_targets: torch.Tensor) -> float:
    """ROC AUC of all scores and 0/1 targets; equals ``sklearn.metrics.roc_auc_score(y_targets, y_preds)``.

    Binary input is ``(N,)``; ``(N, T)`` multilabel input gives the mean over the ``T`` columns. With a single
    class present the score is undefined: ``nan`` and an :class:`~ignite.metrics._ranking.UndefinedMetricWarning`.
    """
    return _ranking.roc_auc_score(y_targets, y_preds)


def roc_auc_curve_compute_fn(
    y_preds: torch.Tensor, y_targets: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(fpr, tpr, thresholds)`` float64 tensors; equal to ``sklearn.metrics.roc_curve(y_targets, y_preds)``."""
    return _ranking.roc_curve(y_targets, y_preds)


class ROC_AUC(_FixedFnEpochMetric):
    """Area under the receiver operating characteristic curve.

    Stores every score and target of the epoch (see :class:`~ignite.metrics.EpochMetric`) and computes the
    area natively in torch, with the results of scikit-learn's ``roc_auc_score`` (ties included).

    ``y_pred`` holds scores (probabilities or confidences: apply a sigmoid in ``output_transform`` if the model
    returns logits — any monotonic score works) and ``y`` 0/1 targets, both ``(N,)`` for binary input or
    ``(N, T)`` for multilabel input (macro average over the ``T`` labels).

    Args:
        output_transform: applied to the engine output before ``update``.
        check_compute_fn: compute on the first batch and warn if that fails.
        device: where the stored tensors live.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ```python
    roc_auc = ROC_AUC(output_transform=lambda out: (torch.sigmoid(out[0]), out[1]))
    roc_auc.attach(evaluator, "roc_auc")
    ```
    """

    _metric_fn = staticmethod(roc_auc_compute_fn)


class RocCurve(_FixedFnEpochMetric):
    """The ROC curve: ``(fpr, tpr, thresholds)`` float64 tensors, as scikit-learn's ``roc_curve``.

    Binary input only: ``y_pred`` scores and ``y`` 0/1 targets of shape ``(N,)``. ``thresholds[0]`` is ``inf``
    (the curve starts at ``(0, 0)``) and points collinear with their neighbours are dropped.

    Args:
        output_transform: applied to the engine output before ``update``.
        check_compute_fn: compute on the first batch and warn if that fails.
        device: where the stored tensors live.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ```python
    roc = RocCurve()
    roc.update((torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1])))
    fpr, tpr, thresholds = roc.compute()
    ```
    """

    _metric_fn = staticmethod(roc_auc_curve_compute_fn)
    _compute_on_every_rank = True  # a deterministic curve: every rank computes it, nothing is broadcast
