"""R2Score: the coefficient of determination."""

from __future__ import annotations

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import sync_all_reduce
from ignite.metrics.regression._base import _checked, _SumRegression

__all__ = ["R2Score"]


class R2ScoreUndefinedError(NotComputableError, ZeroDivisionError):
    """R² is undefined: fewer than two samples or constant targets. Both a ``NotComputableError`` and, as
    in earlier releases, a ``ZeroDivisionError``."""


class R2Score(_SumRegression):
    r"""Coefficient of determination :math:`R^2 = 1 - \frac{\sum (A_i - P_i)^2}{\sum (A_i - \bar{A})^2}`.

    ``A`` is the target ``y``, ``P`` the prediction ``y_pred``; both of shape ``(N,)`` or ``(N, 1)``, floating
    point. Sums are kept in float64. With constant targets (zero variance, e.g. a single sample) R² is
    undefined: :class:`R2ScoreUndefinedError`. ``compute`` returns a float.

    ```python
    metric = R2Score()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.738318...
    ```
    """

    _sums = ("_sum_of_errors", "_y_sq_sum", "_y_sum")
    _state_dict_all_req_keys = ("_num_examples", "_sum_of_errors", "_y_sq_sum", "_y_sum")

    def _partials(self, p: torch.Tensor, a: torch.Tensor) -> list[torch.Tensor]:
        return list(torch.stack(((a - p) ** 2, a * a, a)).sum(dim=1))

    @sync_all_reduce("_num_examples", "_sum_of_errors", "_y_sq_sum", "_y_sum")
    def compute(self) -> float:
        n = self._require_examples("R2Score")
        y_sum = self._value("_y_sum")
        denominator = _checked("R2Score", self._value("_y_sq_sum") - y_sum * y_sum / n)
        if not denominator > 1e-12 * max(self._value("_y_sq_sum"), 1e-300):
            raise R2ScoreUndefinedError(
                f"R2Score is undefined for constant targets (target variance 0 over {n} samples)."
            )
        return _checked("R2Score", 1 - self._value("_sum_of_errors") / denominator)
