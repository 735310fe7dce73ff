"""Average precision, computed in torch (no scikit-learn needed)."""

from __future__ import annotations

import torch

from ignite.metrics import _ranking
from ignite.metrics.epoch_metric import _FixedFnEpochMetric

__all__ = ["AveragePrecision", "average_precision_compute_fn"]


def average_precision_compute_fn(y_preds: torch.Tensor, y_targets: torch.Tensor) -> float:
    """Average precision; equals ``sklearn.metrics.average_precision_score(y_targets, y_preds)``.

    ``AP = Σ_n (R_n - R_{n-1}) P_n`` over the distinct score thresholds (no interpolation). Binary input is
    ``(N,)`` with 0/1 targets; ``(N, T)`` multilabel input, or ``(N,)`` class indices with ``(N, C)`` scores,
    give the mean over columns/classes.
    """
    return _ranking.average_precision_score(y_targets, y_preds)


class AveragePrecision(_FixedFnEpochMetric):
    """Average precision of scores against 0/1 targets, as scikit-learn's ``average_precision_score``.

    Stores every score and target of the epoch (see :class:`~ignite.metrics.EpochMetric`) and computes natively
    in torch. ``y_pred`` holds scores (probabilities or confidences), ``y`` 0/1 targets: ``(N,)`` for binary
    input or ``(N, T)`` for multilabel input (macro average); ``(N, C)`` scores with ``(N,)`` class indices
    are scored one-vs-rest per class and averaged.

    Args:
        output_transform: applied to the engine output before ``update``.
        check_compute_fn: compute on the first batch and warn if that fails.
        device: where the stored tensors live.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ```python
    ap = AveragePrecision(output_transform=lambda out: (torch.softmax(out[0], dim=1), out[1]))
    ap.attach(evaluator, "average_precision")
    ```
    """

    _metric_fn = staticmethod(average_precision_compute_fn)
