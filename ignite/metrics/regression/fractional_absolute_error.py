"""FractionalAbsoluteError: a running-sum regression metric."""

from __future__ import annotations

import torch

from ignite.metrics.metric import sync_all_reduce
from ignite.metrics.regression._base import _checked, _SumRegression

__all__ = ["FractionalAbsoluteError"]


class FractionalAbsoluteError(_SumRegression):
    r"""Fractional absolute error :math:`\frac{1}{n} \sum_i \frac{2 |A_i - P_i|}{|A_i| + |P_i|}`.

    ``A`` is the target ``y``, ``P`` the prediction ``y_pred``; both of shape ``(N,)`` or ``(N, 1)``, floating
    point. The terms are evaluated in float64 on the inputs' device. ``compute`` returns a float.

    ```python
    metric = FractionalAbsoluteError()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.256566
    ```
    """

    _sums = ("_sum_of_errors",)
    _count = "_num_examples"
    _state_dict_all_req_keys = ("_sum_of_errors", "_num_examples")

    def _partials(self, p: torch.Tensor, a: torch.Tensor) -> list[torch.Tensor]:
        return [(2 * (a - p).abs() / (a.abs() + p.abs())).sum()]

    @sync_all_reduce("_sum_of_errors", "_num_examples")
    def compute(self) -> float:
        n = self._require_examples("FractionalAbsoluteError")
        return _checked("FractionalAbsoluteError", self._value("_sum_of_errors") / n)
