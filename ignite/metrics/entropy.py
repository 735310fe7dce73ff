"""Mean entropy of predicted class distributions."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ignite.metrics._batch_sum import _BatchSumMetric
from ignite.metrics.metric import reinit__is_reduced, sync_all_reduce

__all__ = ["Entropy"]


def _to_rows(y_pred: torch.Tensor) -> torch.Tensor:
    """``(B, C)`` as is, ``(B, C, ...)`` as ``(B * ..., C)`` rows; 1-D input is refused."""
    if y_pred.ndim == 1:
        raise ValueError(f"y_pred must be in the shape of (B, C) or (B, C, ...), got {y_pred.shape}.")
    if y_pred.ndim >= 3:
        y_pred = y_pred.movedim(1, -1).reshape(-1, y_pred.shape[1])
    return y_pred


class Entropy(_BatchSumMetric):
    r"""Mean entropy :math:`-\sum_c p_c \log p_c` of ``p = softmax(y_pred)`` over rows.

    ``update`` takes ``(y_pred, y)`` with logits ``y_pred`` of shape ``(B, C)`` or ``(B, C, ...)`` (dim 1
    holds the classes; every position counts as one row); ``y`` is ignored and may be ``None``. ``compute``
    returns a float.
    """

    _sum_attr = "_sum_of_entropies"
    _state_dict_all_req_keys: tuple[str, ...] = ("_sum_of_entropies", "_num_examples")

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred = _to_rows(output[0])
        log_prob = y_pred.log_softmax(1)
        self._add(-(log_prob.exp() * log_prob).sum(), y_pred.shape[0])

    @sync_all_reduce("_sum_of_entropies", "_num_examples")
    def compute(self) -> float:
        return self._mean("Entropy")
