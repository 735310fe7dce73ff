"""FractionalBias: a running-sum regression metric."""

from __future__ import annotations

import torch

from ignite.metrics.metric import sync_all_reduce
from ignite.metrics.regression._base import _checked, _SumRegression

__all__ = ["FractionalBias"]


class FractionalBias(_SumRegression):
    r"""Fractional bias :math:`\frac{1}{n} \sum_i \frac{2 (A_i - P_i)}{A_i + P_i}`.

    ``A`` is the target ``y``, ``P`` the prediction ``y_pred``; both of shape ``(N,)`` or ``(N, 1)``, floating
    point. The terms are evaluated in float64 on the inputs' device. ``compute`` returns a float.

    ```python
    metric = FractionalBias()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.165657
    ```
    """

    _sums = ("_sum_of_errors",)
    _count = "_num_examples"
    _state_dict_all_req_keys = ("_sum_of_errors", "_num_examples")

    def _partials(self, p: torch.Tensor, a: torch.Tensor) -> list[torch.Tensor]:
        return [(2 * (a - p) / (a + p + 1e-30)).sum()]

    @sync_all_reduce("_sum_of_errors", "_num_examples")
    def compute(self) -> float:
        n = self._require_examples("FractionalBias")
        return _checked("FractionalBias", self._value("_sum_of_errors") / n)
