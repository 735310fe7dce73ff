"""Precision-recall curve, computed in torch (no scikit-learn needed)."""

from __future__ import annotations

import torch

from ignite.metrics import _ranking
from ignite.metrics.epoch_metric import _FixedFnEpochMetric

__all__ = ["PrecisionRecallCurve", "precision_recall_curve_compute_fn"]


def precision_recall_curve_compute_fn(
    y_preds: torch.Tensor, y_targets: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(precision, recall, thresholds)`` float64 tensors; equal to scikit-learn's ``precision_recall_curve``.

    One point per distinct score, in increasing threshold order, followed by the point ``(1, 0)`` (which has
    no threshold).
    """
    return _ranking.precision_recall_curve(y_targets, y_preds)


class PrecisionRecallCurve(_FixedFnEpochMetric):
    """The precision-recall curve of binary scores: ``(precision, recall, thresholds)`` float64 tensors.

    ``y_pred`` holds scores and ``y`` 0/1 targets, both ``(N,)``. Computed natively in torch, with the result of
    scikit-learn's ``precision_recall_curve``; with no positive target recall is set to one (and a warning).

    Args:
        output_transform: applied to the engine output before ``update``.
        check_compute_fn: compute on the first batch and warn if that fails.
        device: where the stored tensors live.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ```python
    pr = PrecisionRecallCurve(output_transform=lambda out: (torch.sigmoid(out[0]), out[1]))
    pr.attach(evaluator, "pr_curve")
    precision, recall, thresholds = evaluator.state.metrics["pr_curve"]
    ```
    """

    _metric_fn = staticmethod(precision_recall_curve_compute_fn)
    _compute_on_every_rank = True  # a deterministic curve: every rank computes it, nothing is broadcast
