"""MeanNormalizedBias: mean of the signed errors relative to the target."""

from __future__ import annotations

import torch

from ignite.metrics.metric import sync_all_reduce
from ignite.metrics.regression._base import _checked
from ignite.metrics.regression._relative import _ByTargetRegression

__all__ = ["MeanNormalizedBias"]


class MeanNormalizedBias(_ByTargetRegression):
    r"""Mean normalized bias :math:`\frac{1}{n} \sum_i \frac{A_i - P_i}{A_i}`.

    ``A`` is the target ``y``, ``P`` the prediction ``y_pred``; both of shape ``(N,)`` or ``(N, 1)``, floating
    point. A target equal to 0 raises ``NotComputableError("The ground truth has 0.")``. ``compute`` returns a
    float.

    ```python
    metric = MeanNormalizedBias()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.133333
    ```
    """

    _sums = ("_sum_of_errors",)
    _state_dict_all_req_keys = ("_sum_of_errors", "_num_examples")

    def _partials(self, p: torch.Tensor, a: torch.Tensor) -> list[torch.Tensor]:
        return [((a - p) / a).sum()]

    @sync_all_reduce("_sum_of_errors", "_num_examples")
    def compute(self) -> float:
        n = self._require_examples("MeanNormalizedBias")
        return _checked("MeanNormalizedBias", self._value("_sum_of_errors") / n)
