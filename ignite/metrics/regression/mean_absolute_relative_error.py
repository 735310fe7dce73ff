"""MeanAbsoluteRelativeError: mean of the absolute errors relative to the target."""

from __future__ import annotations

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import sync_all_reduce
from ignite.metrics.regression._base import _checked
from ignite.metrics.regression._relative import _ByTargetRegression

__all__ = ["MeanAbsoluteRelativeError"]


class MeanAbsoluteRelativeError(_ByTargetRegression):
    r"""Mean absolute relative error :math:`\frac{1}{n} \sum_i \frac{|A_i - P_i|}{|A_i|}`.

    ``A`` is the target ``y``, ``P`` the prediction ``y_pred``; both of shape ``(N,)`` or ``(N, 1)``, floating
    point. A target equal to 0 raises ``NotComputableError("The ground truth has 0.")``. ``compute`` returns a
    float.

    ```python
    metric = MeanAbsoluteRelativeError()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.233333
    ```
    """

    _sums = ("_sum_of_absolute_relative_errors",)
    _count = "_num_samples"
    _state_dict_all_req_keys = ("_sum_of_absolute_relative_errors", "_num_samples")

    def _partials(self, p: torch.Tensor, a: torch.Tensor) -> list[torch.Tensor]:
        return [((a - p).abs() / a.abs()).sum()]

    @sync_all_reduce("_sum_of_absolute_relative_errors", "_num_samples")
    def compute(self) -> float:
        if self._num_samples == 0:
            raise NotComputableError(
                "MeanAbsoluteRelativeError must have at least one sample before it can be computed."
            )
        return _checked(
            "MeanAbsoluteRelativeError", self._value("_sum_of_absolute_relative_errors") / self._num_samples
        )
