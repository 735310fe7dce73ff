"""Matthews correlation coefficient, computed in torch (no scikit-learn needed)."""

from __future__ import annotations

import torch

from ignite.metrics.epoch_metric import _FixedFnEpochMetric

__all__ = ["MatthewsCorrCoef", "matthews_corrcoef_compute_fn"]


def _label_kind(t: torch.Tensor) -> str:
    if t.is_floating_point() and bool((t != t.round()).any()):
        return "continuous"
    return "binary" if torch.unique(t).numel() <= 2 else "multiclass"


def _label_confusion(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Confusion matrix (rows truth, columns prediction, float64) over the sorted union of the labels seen.

    Labels must be class labels (integral values): continuous values raise ``ValueError`` as in scikit-learn.
    """
    kind_true, kind_pred = _label_kind(y_true), _label_kind(y_pred)
    if "continuous" in (kind_true, kind_pred):
        if kind_true == kind_pred:
            raise ValueError("continuous is not supported")
        raise ValueError(f"Classification metrics can't handle a mix of {kind_true} and {kind_pred} targets")
    y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
    if y_true.numel() != y_pred.numel():
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: [{y_true.numel()}, {y_pred.numel()}]"
        )
    labels, inverse = torch.unique(torch.cat((y_true, y_pred)), return_inverse=True)
    c = labels.numel()
    n = y_true.numel()
    counts = torch.bincount(inverse[:n] * c + inverse[n:], minlength=c * c)
    dd = torch.float32 if y_true.device.type == "mps" else torch.float64
    return counts.view(c, c).to(dd)


def matthews_corrcoef_compute_fn(y_preds: torch.Tensor, y_targets: torch.Tensor) -> float:
    """MCC of predicted and true labels; equals ``sklearn.metrics.matthews_corrcoef(y_targets, y_preds)``.

    2-d predictions (scores) are turned into labels by argmax over dim 1, and so are 2-d targets when the
    predictions are 2-d. Returns 0.0 when the coefficient is undefined (a constant prediction or target).
    """
    if y_preds.ndim == 1 and y_targets.ndim == 2:
        raise ValueError(
            "Incoherent types between input y_pred and stored predictions: y_pred is 1D while y_target is 2D"
        )
    if y_preds.ndim == 2:
        y_preds = torch.argmax(y_preds, dim=1)
        if y_targets.ndim == 2:
            y_targets = torch.argmax(y_targets, dim=1)
    cm = _label_confusion(y_targets, y_preds)
    t_sum = cm.sum(dim=1)
    p_sum = cm.sum(dim=0)
    n_correct = torch.trace(cm)
    n_samples = p_sum.sum()
    cov_ytyp = n_correct * n_samples - torch.dot(t_sum, p_sum)
    cov_ypyp = n_samples**2 - torch.dot(p_sum, p_sum)
    cov_ytyt = n_samples**2 - torch.dot(t_sum, t_sum)
    denominator = cov_ypyp * cov_ytyt
    if denominator == 0:
        return 0.0
    return float(cov_ytyp / torch.sqrt(denominator))


class MatthewsCorrCoef(_FixedFnEpochMetric):
    r"""Matthews correlation coefficient (binary or multiclass), as scikit-learn's ``matthews_corrcoef``.

    .. math:: MCC = \frac{c \cdot s - \sum_k p_k t_k}{\sqrt{(s^2 - \sum_k p_k^2)(s^2 - \sum_k t_k^2)}}

    with ``c`` correct predictions out of ``s`` samples, ``p_k``/``t_k`` the predicted/true counts of class ``k``.
    Stores every prediction and target of the epoch (see :class:`~ignite.metrics.EpochMetric`); computed
    natively in torch.

    ``y_pred`` holds predicted labels ``(N,)`` or scores ``(N, C)`` (argmax taken), ``y`` true labels ``(N,)``
    (or one-hot ``(N, C)`` with score predictions).

    Args:
        output_transform: applied to the engine output before ``update``.
        check_compute_fn: compute on the first batch and warn if that fails.
        device: where the stored tensors live.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ```python
    mcc = MatthewsCorrCoef()
    mcc.update((torch.tensor([1, 0, 1, 1]), torch.tensor([1, 0, 0, 1])))
    mcc.compute()  # 0.5773...
    ```
    """

    _metric_fn = staticmethod(matthews_corrcoef_compute_fn)
