"""Mean average precision of classification scores (binary, multiclass, multilabel)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import torch

from ignite.metrics.accuracy import _BaseClassification, _identity, _nonbinary
from ignite.metrics.epoch_metric import _all_gather_uneven
from ignite.metrics.metric import _world_size, reinit__is_reduced

__all__ = ["MeanAveragePrecision"]


class _BaseAveragePrecision:
    """Average precision from recall/precision points, with optional recall thresholds (shared with detection).

    Args:
        rec_thresholds: recall values at which precision is sampled (``AP = Σ_j (t_j - t_{j-1}) p(t_j)``, ``p(t)``
            the precision at the first point whose recall reaches ``t``, 0 if none); by default every point
            counts (``AP = Σ_k (r_k - r_{k-1}) p_k``, no interpolation).
        class_mean: ``None`` (per class), ``"micro"``, ``"macro"`` or ``"weighted"``.
    """

    def __init__(
        self,
        rec_thresholds: Sequence[float] | torch.Tensor | None = None,
        class_mean: str | None = "macro",
    ) -> None:
        if class_mean is not None and class_mean not in ("micro", "macro", "weighted"):
            raise ValueError(f"Wrong `class_mean` parameter, given {class_mean}")
        self.class_mean = class_mean
        if rec_thresholds is not None:
            self.rec_thresholds: torch.Tensor | None = self._setup_thresholds(rec_thresholds, "rec_thresholds")
        else:
            self.rec_thresholds = None

    def _setup_thresholds(self, thresholds: Sequence[float] | torch.Tensor, name: str) -> torch.Tensor:
        if isinstance(thresholds, Sequence):
            thresholds = torch.tensor(thresholds, dtype=torch.double)
        if isinstance(thresholds, torch.Tensor):
            if thresholds.ndim != 1:
                raise ValueError(
                    f"{name} should be a one-dimensional tensor or a sequence of floats"
                    f", given a {thresholds.ndim}-dimensional tensor."
                )
            thresholds = thresholds.sort().values
        else:
            raise TypeError(f"{name} should be a sequence of floats or a tensor, given {type(thresholds)}.")
        if bool((thresholds < 0).any()) or bool((thresholds > 1).any()):
            raise ValueError(f"{name} values should be between 0 and 1, given {thresholds}")
        device = getattr(self, "_device", torch.device("cpu"))
        dtype = torch.float32 if torch.device(device).type == "mps" else torch.float64
        return thresholds.to(device=device, dtype=dtype)

    def _compute_average_precision(self, recall: torch.Tensor, precision: torch.Tensor) -> torch.Tensor:
        """Average precision of the points ``(recall, precision)`` along the last dim (recall non-decreasing)."""
        if self.rec_thresholds is not None:
            rec_thresholds = self.rec_thresholds.to(recall.device, recall.dtype).repeat((*recall.shape[:-1], 1))
            index = torch.searchsorted(recall.contiguous(), rec_thresholds)
            found = index != recall.size(-1)
            precision = precision.take_along_dim(torch.where(found, index, 0), dim=-1).where(found, 0)
            recall = rec_thresholds
        recall_differential = recall.diff(
            dim=-1, prepend=torch.zeros((*recall.shape[:-1], 1), device=recall.device, dtype=recall.dtype)
        )
        return torch.sum(recall_differential * precision, dim=-1)


class MeanAveragePrecision(_BaseClassification, _BaseAveragePrecision):
    r"""Mean of the per-class average precision of classification scores.

    For each class (or label) the samples are ranked by score; with ``TP``/``FP`` counted at each distinct
    score, ``AP = Σ_k (r_k - r_{k-1}) p_k`` over those thresholds (as scikit-learn's
    ``average_precision_score``; no interpolation unless ``rec_thresholds`` is given).

    Inputs as :class:`~ignite.metrics.Accuracy`, except that binary and multilabel ``y_pred`` holds scores
    (probabilities) rather than 0/1 values: binary ``(N, ...)``, multiclass ``(N, C, ...)`` scores with
    ``(N, ...)`` class indices, multilabel (``is_multilabel=True``) ``(N, C, ...)`` scores and 0/1 targets.

    Args:
        rec_thresholds: recall thresholds at which precision is sampled (values in ``[0, 1]``).
        class_mean: ``"macro"`` (mean over classes, default), ``"micro"`` (all classes pooled into one ranking),
            ``"weighted"`` (weighted by the number of positives of each class) or ``None`` (per-class tensor).
        is_multilabel: treat equal-shape inputs as multilabel.
        output_transform: applied to the engine output before ``update``.
        device: where the stored scores live.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ``compute()`` returns a float for binary input, otherwise a tensor (0-d when averaged).

    ```python
    mean_ap = MeanAveragePrecision()
    mean_ap.update((torch.tensor([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]), torch.tensor([1, 2])))
    mean_ap.compute()  # tensor(0.5000, dtype=torch.float64): class 0 has no positive (AP 0)
    ```
    """

    _state_dict_all_req_keys = ("_y_pred", "_y_true")
    _state_dict_added_keys = ("_y_pred", "_y_true")

    def __init__(
        self,
        rec_thresholds: Sequence[float] | torch.Tensor | None = None,
        class_mean: str | None = "macro",
        is_multilabel: bool = False,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        self._device = torch.device(device)  # used by _setup_thresholds before Metric.__init__
        _BaseAveragePrecision.__init__(self, rec_thresholds=rec_thresholds, class_mean=class_mean)
        super().__init__(
            output_transform=output_transform,
            is_multilabel=is_multilabel,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._y_pred: list[torch.Tensor] = []
        self._y_true: list[torch.Tensor] = []
        super().reset()

    def _check_binary_multilabel_cases(self, output: Sequence[torch.Tensor]) -> None:
        # only the targets must be 0/1: predictions are scores
        if bool(_nonbinary(output[1])):
            raise ValueError("For binary cases, y must be comprised of 0's and 1's.")

    def _check_type(self, output: Sequence[torch.Tensor]) -> None:
        first = self._type is None
        super()._check_type(output)
        y_pred, y = output[0], output[1]
        if not torch.is_floating_point(y_pred):
            raise TypeError(f"`y_pred` should be a float tensor, given {y_pred.dtype}")
        if self._type == "multiclass":
            if y.dtype != torch.long:
                warnings.warn("`y` should be of dtype long when entry type is multiclass", RuntimeWarning)
            if first and y.numel() > 0:
                max_class = int(y.max()) + 1
                if max_class > self._num_classes:  # type: ignore[operator]
                    raise ValueError(
                        "y_pred contains fewer classes than y. Number of classes in prediction is "
                        f"{self._num_classes} and an element in y has invalid class = {max_class}."
                    )

    def _prepare_output(self, output: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores ``(rows, samples)`` in ``_double_dtype`` and targets (uint8 rows, or long indices)."""
        y_pred, y = output[0], output[1]
        dd = self._double_dtype
        if self._type == "binary":
            return y_pred.reshape(1, -1).to(dd), y.reshape(1, -1).to(torch.uint8)
        c = y_pred.shape[1]
        scores = y_pred.transpose(0, 1).reshape(c, -1).to(dd)
        if self._type == "multilabel":
            return scores, y.transpose(0, 1).reshape(c, -1).to(torch.uint8)
        return scores, y.reshape(-1).to(torch.long)

    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        self._check_shape((y_pred, y))
        self._check_type((y_pred, y))
        scores, targets = self._prepare_output((y_pred, y))
        if scores.device != self._device and not (self._device.type == "cpu" and scores.device.type != "cpu"):
            scores, targets = scores.to(self._device), targets.to(self._device)
        self._y_pred.append(scores)
        self._y_true.append(targets)

    def _compute_recall_and_precision(
        self, y_true: torch.Tensor, y_pred: torch.Tensor, y_true_positive_count: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Recall and precision at each distinct score of one row (decreasing threshold)."""
        dd = torch.float32 if y_pred.device.type == "mps" else torch.float64
        order = torch.argsort(y_pred, stable=True, descending=True)
        sorted_pred = y_pred[order]
        tp_summation = y_true[order].to(dd).cumsum(dim=0)
        # one point per distinct score, at the last sample of each run of ties (as scikit-learn)
        distinct = torch.nonzero(sorted_pred.diff(), as_tuple=True)[0]
        threshold_indices = torch.cat(
            (distinct, torch.tensor([y_pred.numel() - 1], device=distinct.device, dtype=distinct.dtype))
        )
        tp_summation = tp_summation[threshold_indices]
        fp_summation = (threshold_indices + 1.0).to(dd) - tp_summation
        positives = y_true_positive_count.to(tp_summation)
        if positives == 0:
            recall = torch.ones_like(tp_summation)
        else:
            recall = tp_summation / positives
        predicted_positive = tp_summation + fp_summation
        precision = tp_summation / torch.where(predicted_positive == 0, 1, predicted_positive)
        return recall, precision

    def _gathered(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._type == "multiclass" or (self._type is None and self._y_true[0].ndim == 1):
            y_true = torch.cat(self._y_true, dim=0)
        else:
            y_true = torch.cat(self._y_true, dim=1)
        y_pred = torch.cat(self._y_pred, dim=1)
        if _world_size() > 1:
            # ranks may hold different numbers of samples: gather along the sample dimension
            y_pred = _all_gather_uneven(y_pred.T.contiguous()).T
            y_true = _all_gather_uneven(y_true if y_true.ndim == 1 else y_true.T.contiguous())
            if y_true.ndim == 2:
                y_true = y_true.T
        return y_pred, y_true

    def compute(self) -> torch.Tensor | float:
        if len(self._y_pred) == 0:
            raise RuntimeError("Metric could not be computed without any update method call")
        y_pred, y_true = self._gathered()
        multiclass = y_true.ndim == 1
        binary = not multiclass and y_pred.shape[0] == 1 and self._type != "multilabel"
        if multiclass:
            y_true = torch.nn.functional.one_hot(y_true, num_classes=y_pred.shape[0]).T
        if self.class_mean == "micro":
            y_true = y_true.reshape(1, -1)
            y_pred = y_pred.reshape(1, -1)
        positives = y_true.sum(dim=-1)
        dd = self._double_dtype
        average_precisions = torch.zeros(positives.shape[0], device=y_pred.device, dtype=dd)
        for row in range(positives.shape[0]):
            recall, precision = self._compute_recall_and_precision(y_true[row], y_pred[row], positives[row])
            average_precisions[row] = self._compute_average_precision(recall, precision)
        average_precisions = average_precisions.to(self._device)
        if binary:
            return average_precisions.item()
        if self.class_mean is None:
            return average_precisions
        if self.class_mean == "weighted":
            weights = positives.to(device=self._device, dtype=dd)
            return torch.sum(weights * average_precisions) / weights.sum()
        return average_precisions.mean()
