"""ManhattanDistance: a running-sum regression metric."""

from __future__ import annotations

import torch

from ignite.metrics.metric import sync_all_reduce
from ignite.metrics.regression._base import _checked, _SumRegression

__all__ = ["ManhattanDistance"]


class ManhattanDistance(_SumRegression):
    r"""Manhattan distance :math:`\sum_i |A_i - P_i|` (a sum over all samples; 0.0 before any update).

    ``A`` is the target ``y``, ``P`` the prediction ``y_pred``; both of shape ``(N,)`` or ``(N, 1)``, floating
    point. The terms are evaluated in float64 on the inputs' device. ``compute`` returns a float.

    ```python
    metric = ManhattanDistance()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 2.5
    ```
    """

    _sums = ("_sum_of_errors",)
    _count = None
    _state_dict_all_req_keys = ("_sum_of_errors",)

    def _partials(self, p: torch.Tensor, a: torch.Tensor) -> list[torch.Tensor]:
        return [(a - p).abs().sum()]

    @sync_all_reduce("_sum_of_errors")
    def compute(self) -> float:
        return _checked("ManhattanDistance", self._value("_sum_of_errors"))
