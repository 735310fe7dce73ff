"""Mean Kullback-Leibler divergence between target and predicted class distributions."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ignite.metrics._batch_sum import _BatchSumMetric
from ignite.metrics.entropy import _to_rows
from ignite.metrics.metric import reinit__is_reduced, sync_all_reduce

__all__ = ["KLDivergence"]

_kl_div = torch.kl_div  # the ATen op: no argument handling of F.kl_div on every update
_SUM = 2  # its reduction code for "sum"


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
        y_pred, y = output[0], output[1]
        if y_pred.shape != y.shape:
            raise ValueError(f"y_pred and y must be in the same shape, got {y_pred.shape} != {y.shape}.")
        y_pred, y = _to_rows(y_pred), _to_rows(y)
        self._add(self._batch_sum(y_pred, y), y_pred.shape[0])

    def _batch_sum(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return _kl_div(y_pred.log_softmax(1), y.log_softmax(1), _SUM, log_target=True)

    @sync_all_reduce("_sum_of_kl", "_num_examples")
    def compute(self) -> float:
        return self._mean("KLDivergence")
