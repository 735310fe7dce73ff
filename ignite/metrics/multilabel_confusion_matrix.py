"""Per-label 2x2 confusion matrices of a multilabel problem."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._pending import _PendingSums
from ignite.metrics.accuracy import _identity, _nonbinary
from ignite.metrics.metric import Metric, reinit__is_reduced, sync_all_reduce

__all__ = ["MultiLabelConfusionMatrix"]

_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


class MultiLabelConfusionMatrix(_PendingSums, Metric):
    """One ``[[TN, FP], [FN, TP]]`` matrix per label, over all samples (and extra positions).

    ``y_pred`` and ``y`` are integer tensors of 0/1 values of shape ``(N, C, ...)`` (labels on dim 1).
    Values are checked to be 0/1 on the first batch after ``reset``.

    Args:
        num_classes: number of labels ``C`` (> 1).
        output_transform: applied to the engine output before ``update``.
        device: device of the accumulators.
        normalized: divide each label's matrix by its total (``_double_dtype``) instead of returning counts.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ``compute()`` returns a ``(C, 2, 2)`` tensor (int64 counts unless ``normalized``).

    ```python
    mlcm = MultiLabelConfusionMatrix(num_classes=3)
    mlcm.update((torch.tensor([[1, 0, 1]]), torch.tensor([[1, 1, 0]])))
    mlcm.compute()[0]  # tensor([[0, 0], [0, 1]])
    ```
    """

    _state_dict_all_req_keys = ("confusion_matrix", "_num_examples")
    _pending_attrs = ("confusion_matrix",)

    def __init__(
        self,
        num_classes: int,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        normalized: bool = False,
        skip_unrolling: bool = False,
    ) -> None:
        if num_classes <= 1:
            raise ValueError("Argument num_classes needs to be > 1")
        self.num_classes = num_classes
        self._num_examples = 0
        self.normalized = normalized
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self.confusion_matrix = torch.zeros(self.num_classes, 2, 2, dtype=torch.int64, device=self._device)
        self._num_examples = 0
        self._values_checked = False
        self._reset_pending()

    def _check_input(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        c = self.num_classes
        if y_pred.ndim < 2:
            raise ValueError(f"y_pred must at least have shape (batch_size, num_classes (currently set to {c}), ...)")
        if y.ndim < 2:
            raise ValueError(f"y must at least have shape (batch_size, num_classes (currently set to {c}), ...)")
        if y_pred.shape[0] != y.shape[0]:
            raise ValueError(f"y_pred and y have different batch size: {y_pred.shape[0]} vs {y.shape[0]}")
        if y_pred.shape[1] != c:
            raise ValueError(f"y_pred does not have correct number of classes: {y_pred.shape[1]} vs {c}")
        if y.shape[1] != c:
            raise ValueError(f"y does not have correct number of classes: {y.shape[1]} vs {c}")
        if y.shape != y_pred.shape:
            raise ValueError("y and y_pred shapes must match.")
        valid_types = "(torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)"
        if y_pred.dtype not in _INT_DTYPES:
            raise ValueError(f"y_pred must be of any type: {valid_types}")
        if y.dtype not in _INT_DTYPES:
            raise ValueError(f"y must be of any type: {valid_types}")
        if not self._values_checked:  # one host synchronisation, first batch only
            flags = torch.stack((_nonbinary(y_pred), _nonbinary(y).to(y_pred.device))).tolist()
            if flags[0]:
                raise ValueError("y_pred must be a binary tensor")
            if flags[1]:
                raise ValueError("y must be a binary tensor")
            self._values_checked = True

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        self._check_input((y_pred, y))
        self._num_examples += y_pred.shape[0]
        dims = [0, *range(2, y.ndim)]
        n = y.numel() // self.num_classes
        tp = (y_pred * y).sum(dim=dims, dtype=torch.int64)
        predicted = y_pred.sum(dim=dims, dtype=torch.int64)
        actual = y.sum(dim=dims, dtype=torch.int64)
        fp = predicted - tp
        fn = actual - tp
        tn = n - predicted - actual + tp
        self._queue((torch.stack((tn, fp, fn, tp), dim=1).view(-1, 2, 2),))

    @sync_all_reduce("confusion_matrix", "_num_examples")
    def compute(self) -> torch.Tensor:
        if self._num_examples == 0:
            raise NotComputableError("Confusion matrix must have at least one example before it can be computed.")
        matrix = self.confusion_matrix.to(self._device)
        if self.normalized:
            matrix = matrix.to(self._double_dtype)
            return matrix / matrix.sum(dim=(1, 2), keepdim=True)
        return matrix.clone()
