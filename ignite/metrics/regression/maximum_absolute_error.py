"""MaximumAbsoluteError: the largest absolute error seen."""

from __future__ import annotations

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import sync_all_reduce
from ignite.metrics.regression._base import _checked, _SumRegression

__all__ = ["MaximumAbsoluteError"]


class MaximumAbsoluteError(_SumRegression):
    r"""Maximum absolute error :math:`\max_i |A_i - P_i|`.

    ``A`` is the target ``y``, ``P`` the prediction ``y_pred``; both of shape ``(N,)`` or ``(N, 1)``, floating
    point. The running maximum is a tensor on the inputs' device (no host synchronisation per batch); across
    ranks it is reduced with ``MAX``. ``compute`` returns a float.

    ```python
    metric = MaximumAbsoluteError()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 1.0
    ```
    """

    _sums = ("_max_of_absolute_errors",)
    _count = None
    _state_dict_all_req_keys = ("_max_of_absolute_errors",)

    def _initial(self, name: str) -> torch.Tensor:
        return torch.tensor(-1.0, dtype=self._double_dtype, device=self._device)

    def _partials(self, p: torch.Tensor, a: torch.Tensor) -> list[torch.Tensor]:
        return [(a - p).abs().max()]

    def _fold_into(self, acc: object, total: torch.Tensor) -> torch.Tensor:
        acc = torch.as_tensor(acc, dtype=total.dtype)  # a Python float from an older checkpoint
        if acc.device != total.device:
            acc = acc.to(total.device) if acc.device.type == "cpu" else acc
            total = total.to(acc.device)
        return torch.maximum(acc, total)

    @sync_all_reduce("_max_of_absolute_errors:MAX")
    def compute(self) -> float:
        value = float(self._max_of_absolute_errors)
        if value < 0:
            raise NotComputableError("MaximumAbsoluteError must have at least one example before it can be computed.")
        return _checked("MaximumAbsoluteError", value)
