"""PearsonCorrelation: Pearson's r from running sums."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ignite.metrics.metric import _identity, sync_all_reduce
from ignite.metrics.regression._base import _checked, _SumRegression

__all__ = ["PearsonCorrelation"]


class PearsonCorrelation(_SumRegression):
    r"""Pearson correlation coefficient of predictions and targets, from five running sums.

    :math:`r = \frac{\text{cov}(P, A)}{\max(\sigma_P \sigma_A, \epsilon)}` with population (co)variances
    computed from :math:`\sum P, \sum A, \sum P^2, \sum A^2, \sum PA` (float64 sums). ``y_pred`` and ``y`` are
    ``(N,)`` or ``(N, 1)`` floating point tensors. ``compute`` returns a float.

    Args:
        eps: lower bound of the product of standard deviations (constant inputs give 0).
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: device of the accumulators.

    ```python
    metric = PearsonCorrelation()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.907909...
    ```
    """

    _sums = ("_sum_of_y_preds", "_sum_of_ys", "_sum_of_y_pred_squares", "_sum_of_y_squares", "_sum_of_products")
    _state_dict_all_req_keys = (*_sums, "_num_examples")

    def __init__(
        self,
        eps: float = 1e-8,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        self.eps = eps
        super().__init__(output_transform=output_transform, device=device)

    def _partials(self, p: torch.Tensor, a: torch.Tensor) -> list[torch.Tensor]:
        return list(torch.stack((p, a, p * p, a * a, p * a)).sum(dim=1))

    @sync_all_reduce(
        "_sum_of_y_preds",
        "_sum_of_ys",
        "_sum_of_y_pred_squares",
        "_sum_of_y_squares",
        "_sum_of_products",
        "_num_examples",
    )
    def compute(self) -> float:
        n = self._require_examples("PearsonCorrelation")
        sp, sa, spp, saa, spa = (self._value(name) for name in self._sums)
        mean_p, mean_a = sp / n, sa / n
        cov = spa / n - mean_p * mean_a
        var_p = max(spp / n - mean_p * mean_p, 0.0)
        var_a = max(saa / n - mean_a * mean_a, 0.0)
        return _checked("PearsonCorrelation", cov / max(math.sqrt(var_p * var_a), self.eps))
