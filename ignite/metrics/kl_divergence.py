"""Mean Kullback-Leibler divergence between target and predicted class distributions."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ignite.metrics._batch_sum import _BatchSumMetric
from ignite.metrics.entropy import _to_rows
from ignite.metrics.metric import reinit__is_reduced, sync_all_reduce

__all__ = ["KLDivergence"]


class KLDivergence(_BatchSumMetric):
    r"""Mean over rows of :math:`D_{KL}(p \| q) = \sum_c p_c (\log p_c - \log q_c)`, with ``p = softmax(y)``
    (target) and ``q = softmax(y_pred)``.

    ``update`` takes logits ``(y_pred, y)`` of the same shape ``(B, C)`` or ``(B, C, ...)`` (dim 1 holds the
    classes; every position counts as one row). ``compute`` returns a float.
    """

    _sum_attr = "_sum_of_kl"
    _state_dict_all_req_keys = ("_sum_of_kl", "_num_examples")

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        if y_pred.shape != y.shape:
            raise ValueError(f"y_pred and y must be in the same shape, got {y_pred.shape} != {y.shape}.")
        y_pred, y = _to_rows(y_pred), _to_rows(y)
        self._add(self._batch_sum(y_pred, y), y_pred.shape[0])

    def _batch_sum(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        log_q = F.log_softmax(y_pred, dim=1)
        log_p = F.log_softmax(y, dim=1)
        return F.kl_div(log_q, log_p, reduction="sum", log_target=True)

    @sync_all_reduce("_sum_of_kl", "_num_examples")
    def compute(self) -> float:
        return self._mean("KLDivergence")
