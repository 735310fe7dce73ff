"""Ranking curves and scores computed in torch, on the tensors' device.

These reproduce scikit-learn's ``roc_curve``, ``roc_auc_score``, ``precision_recall_curve`` and
``average_precision_score`` (default arguments) without depending on it: the same tie handling (one point
per distinct score), the same dropped ROC points, the same warnings and the same errors for inputs that
scikit-learn rejects. All work happens in float64 (float32 on MPS).
"""

from __future__ import annotations

import warnings

import torch

__all__ = ["UndefinedMetricWarning"]


class UndefinedMetricWarning(UserWarning):
    """A score or curve is undefined for the given data (e.g. ROC AUC with one class only); as scikit-learn's."""


def _float_dtype(t: torch.Tensor) -> torch.dtype:
    return torch.float32 if t.device.type == "mps" else torch.float64


def _check_finite(t: torch.Tensor, name: str) -> None:
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        kind = "NaN" if bool(torch.isnan(t).any()) else "infinity or a value too large for dtype('float64')"
        raise ValueError(f"Input {name} contains {kind}.")


def _target_kind(y: torch.Tensor) -> tuple[str, torch.Tensor]:
    """scikit-learn's ``type_of_target`` for our tensors, with the sorted distinct values.

    ``"binary"`` (at most 2 values), ``"multiclass"``, ``"continuous"`` (non-integral floats),
    ``"multilabel-indicator"`` (2-d, 0/1) or ``"multiclass-multioutput"`` (other 2-d).
    """
    values = _distinct_values(y)
    if y.is_floating_point() and bool((values != values.round()).any()):
        return ("continuous-multioutput" if y.ndim == 2 else "continuous"), values
    if y.ndim == 2 and y.shape[1] > 1:
        if values.numel() <= 2 and bool(((values == 0) | (values == 1)).all()):
            return "multilabel-indicator", values
        return "multiclass-multioutput", values
    return ("binary" if values.numel() <= 2 else "multiclass"), values


def _distinct_values(y: torch.Tensor) -> torch.Tensor:
    """``torch.unique(y)`` (sorted), from the minimum and maximum alone when an integer ``y`` spans at most two
    consecutive values (the usual 0/1 target: two reductions instead of a sort of the whole epoch)."""
    if y.numel() and not y.is_floating_point() and not y.is_complex() and y.dtype != torch.bool:
        lo, hi = torch.aminmax(y)
        if int(hi) - int(lo) <= 1:
            return torch.stack((lo, hi)) if bool(hi != lo) else lo.reshape(1)
    return torch.unique(y)


def _positive_mask(y_true: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Positives of a binary target whose positive label is inferred as scikit-learn does (``pos_label=None``)."""
    allowed = ({0, 1}, {-1, 1}, {0}, {-1}, {1})
    present = set(values.tolist())
    if not any(present <= a for a in allowed):
        raise ValueError(
            f"y_true takes value in {sorted(present)} and pos_label is not specified: either make y_true take "
            "value in {0, 1} or {-1, 1} or pass pos_label explicitly."
        )
    return y_true == 1


def _clf_curve(positive: torch.Tensor, y_score: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """False and true positive counts at each distinct score (decreasing), and those scores (float64)."""
    dd = _float_dtype(y_score)
    y_score = y_score.reshape(-1)
    # the order inside a run of equal scores does not matter (each run becomes one point): no stable sort needed
    order = torch.argsort(y_score, descending=True)
    sorted_score = y_score[order]
    sorted_true = positive.reshape(-1)[order].to(dd)
    n = sorted_score.numel()
    # last index of each run of equal scores
    distinct = torch.nonzero(sorted_score[1:] != sorted_score[:-1]).reshape(-1)
    threshold_idxs = torch.cat((distinct, torch.tensor([n - 1], device=distinct.device)))
    tps = torch.cumsum(sorted_true, dim=0)[threshold_idxs]
    fps = 1 + threshold_idxs.to(dd) - tps
    return fps, tps, sorted_score[threshold_idxs].to(dd)


def _roc_curve(
    positive: torch.Tensor, y_score: torch.Tensor, drop_intermediate: bool = True
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    fps, tps, thresholds = _clf_curve(positive, y_score)
    if drop_intermediate and fps.numel() > 2:
        corner = (torch.diff(fps, n=2) != 0) | (torch.diff(tps, n=2) != 0)
        ends = torch.ones(1, dtype=torch.bool, device=corner.device)
        keep = torch.nonzero(torch.cat((ends, corner, ends))).reshape(-1)
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    zero = torch.zeros(1, dtype=fps.dtype, device=fps.device)
    tps = torch.cat((zero, tps))
    fps = torch.cat((zero, fps))
    thresholds = torch.cat((torch.full_like(zero, float("inf")), thresholds))
    if fps[-1] <= 0:
        warnings.warn(
            "No negative samples in y_true, false positive value should be meaningless", UndefinedMetricWarning
        )
        fpr = torch.full_like(fps, float("nan"))
    else:
        fpr = fps / fps[-1]
    if tps[-1] <= 0:
        warnings.warn(
            "No positive samples in y_true, true positive value should be meaningless", UndefinedMetricWarning
        )
        tpr = torch.full_like(tps, float("nan"))
    else:
        tpr = tps / tps[-1]
    return fpr, tpr, thresholds


def _binary_roc_auc(positive: torch.Tensor, y_score: torch.Tensor) -> float:
    n_pos = int(torch.count_nonzero(positive))
    if n_pos == 0 or n_pos == positive.numel():
        warnings.warn(
            "Only one class is present in y_true. ROC AUC score is not defined in that case.", UndefinedMetricWarning
        )
        return float("nan")
    fpr, tpr, _ = _roc_curve(positive, y_score)
    return float(torch.trapezoid(tpr, fpr))


def _precision_recall_curve(
    positive: torch.Tensor, y_score: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    fps, tps, thresholds = _clf_curve(positive, y_score)
    ps = tps + fps
    precision = torch.where(ps != 0, tps / torch.where(ps != 0, ps, 1), 0.0)
    if tps[-1] == 0:
        warnings.warn("No positive class found in y_true, recall is set to one for all thresholds.")
        recall = torch.ones_like(tps)
    else:
        recall = tps / tps[-1]
    one = torch.ones(1, dtype=precision.dtype, device=precision.device)
    return (
        torch.cat((precision.flip(0), one)),
        torch.cat((recall.flip(0), torch.zeros_like(one))),
        thresholds.flip(0),
    )


def _binary_average_precision(positive: torch.Tensor, y_score: torch.Tensor) -> float:
    precision, recall, _ = _precision_recall_curve(positive, y_score)
    return max(0.0, float(-torch.sum(torch.diff(recall) * precision[:-1])))


def _as_1d_binary(y_true: torch.Tensor, y_score: torch.Tensor, name: str) -> torch.Tensor:
    """Checks of the binary curves (``roc_curve``, ``precision_recall_curve``); returns the positives mask."""
    if y_score.ndim != 1 or y_true.ndim != 1:
        raise ValueError(
            f"{name} expects 1-d scores and targets, got y_pred of shape {tuple(y_score.shape)} and y of shape "
            f"{tuple(y_true.shape)}."
        )
    if y_true.shape != y_score.shape:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: [{y_true.shape[0]}, {y_score.shape[0]}]"
        )
    _check_finite(y_score, "y_score")
    kind, values = _target_kind(y_true)
    if kind != "binary":
        raise ValueError(f"{kind} format is not supported")
    return _positive_mask(y_true, values)


def roc_curve(y_true: torch.Tensor, y_score: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(fpr, tpr, thresholds)`` as scikit-learn's ``roc_curve`` (``drop_intermediate=True``)."""
    return _roc_curve(_as_1d_binary(y_true, y_score, "RocCurve"), y_score)


def precision_recall_curve(
    y_true: torch.Tensor, y_score: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(precision, recall, thresholds)`` as scikit-learn's ``precision_recall_curve``."""
    return _precision_recall_curve(_as_1d_binary(y_true, y_score, "PrecisionRecallCurve"), y_score)


def _check_same_shape(y_true: torch.Tensor, y_score: torch.Tensor) -> None:
    if y_true.shape != y_score.shape:
        raise ValueError(f"y_true and y_score have different shapes: {tuple(y_true.shape)} vs {tuple(y_score.shape)}")


def roc_auc_score(y_true: torch.Tensor, y_score: torch.Tensor) -> float:
    """ROC AUC as scikit-learn's ``roc_auc_score``: binary, or the macro average over multilabel columns."""
    _check_finite(y_score, "y_score")
    kind, values = _target_kind(y_true)
    if kind == "multiclass" or (kind == "binary" and y_score.ndim == 2 and y_score.shape[1] > 2):
        raise ValueError("multi_class must be in ('ovo', 'ovr')")
    if kind == "binary":
        if y_score.ndim != 1:
            raise ValueError(f"y should be a 1d array, got an array of shape {tuple(y_score.shape)} instead.")
        _check_same_shape(y_true, y_score)
        if values.numel() < 2:
            return _binary_roc_auc(torch.zeros_like(y_true, dtype=torch.bool), y_score)
        return _binary_roc_auc(y_true == values[1], y_score)
    if kind != "multilabel-indicator":
        raise ValueError(f"{kind} format is not supported")
    _check_same_shape(y_true, y_score)
    scores = [_binary_roc_auc(y_true[:, c] == 1, y_score[:, c]) for c in range(y_true.shape[1])]
    return sum(scores) / len(scores)


def average_precision_score(y_true: torch.Tensor, y_score: torch.Tensor) -> float:
    """Average precision as scikit-learn's ``average_precision_score`` (``average="macro"``, ``pos_label=1``)."""
    _check_finite(y_score, "y_score")
    kind, values = _target_kind(y_true)
    if kind == "binary":
        if values.numel() == 2 and not bool((values == 1).any()):
            raise ValueError(f"pos_label=1 is not a valid label. It should be one of {values.tolist()}")
        if y_score.ndim != 1:
            raise ValueError(f"y should be a 1d array, got an array of shape {tuple(y_score.shape)} instead.")
        _check_same_shape(y_true, y_score)
        return _binary_average_precision(y_true == 1, y_score)
    if kind == "multiclass":
        if y_score.ndim != 2 or y_score.shape != (y_true.shape[0], values.numel()):
            raise ValueError(
                "`y_score` needs to be of shape `(n_samples, n_classes)`, since `y_true` contains multiple "
                f"classes. Got `y_score.shape={tuple(y_score.shape)}`."
            )
        y_true = (y_true.reshape(-1, 1) == values.reshape(1, -1)).to(torch.uint8)
    elif kind != "multilabel-indicator":
        raise ValueError(f"{kind} format is not supported")
    _check_same_shape(y_true, y_score)
    scores = [_binary_average_precision(y_true[:, c] == 1, y_score[:, c]) for c in range(y_true.shape[1])]
    return sum(scores) / len(scores)
