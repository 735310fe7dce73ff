"""Mean Jensen-Shannon divergence between target and predicted class distributions."""

from __future__ import annotations

import torch

from ignite.metrics.kl_divergence import _SUM, KLDivergence, _kl_div
from ignite.metrics.metric import sync_all_reduce

__all__ = ["JSDivergence"]


class JSDivergence(KLDivergence):
    r"""Mean over rows of :math:`\frac{1}{2}(D_{KL}(p \| m) + D_{KL}(q \| m))`, :math:`m = (p + q) / 2`, with
    ``p = softmax(y)`` and ``q = softmax(y_pred)``.

    Same input as :class:`~ignite.metrics.KLDivergence`; ``compute`` returns a float.
    """

    def _batch_sum(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        log_q = y_pred.log_softmax(1)
        log_p = y.log_softmax(1)
        log_m = (log_q.exp() + log_p.exp()).mul_(0.5).log_()
        return _kl_div(log_m, log_q, _SUM, log_target=True) + _kl_div(log_m, log_p, _SUM, log_target=True)

    @sync_all_reduce("_sum_of_kl", "_num_examples")
    def compute(self) -> float:
        return self._mean("JSDivergence", divisor=2)
