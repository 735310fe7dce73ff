"""GeometricMeanRelativeAbsoluteError: stores every sample (the target mean is global)."""

from __future__ import annotations

import math

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.epoch_metric import _all_gather_uneven
from ignite.metrics.metric import _world_size, reinit__is_reduced
from ignite.metrics.regression._base import _BaseRegression, _checked

__all__ = ["GeometricMeanRelativeAbsoluteError"]


class GeometricMeanRelativeAbsoluteError(_BaseRegression):
    r"""Geometric mean relative absolute error
    :math:`\exp\left(\frac{1}{n} \sum_i \ln \frac{|A_i - P_i|}{|A_i - \bar{A}|}\right)`.

    ``A`` is the target ``y``, ``P`` the prediction ``y_pred``; both of shape ``(N,)`` or ``(N, 1)``, floating
    point. :math:`\bar{A}` is the mean of all targets, so every sample is stored (on ``device``); in a
    distributed run the samples of every rank are gathered, whatever their numbers. ``compute`` returns a
    float.

    ```python
    metric = GeometricMeanRelativeAbsoluteError()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.742671...
    ```
    """

    _state_dict_all_req_keys = ("_predictions", "_targets")

    @reinit__is_reduced
    def reset(self) -> None:
        self._predictions: list[torch.Tensor] = []
        self._targets: list[torch.Tensor] = []

    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        y_pred, y = output
        self._predictions.append(y_pred.to(self._device, copy=True))
        self._targets.append(y.to(self._device, copy=True))

    def compute(self) -> float:
        if len(self._predictions) < 1:
            raise NotComputableError(
                "GeometricMeanRelativeAbsoluteError must have at least one example before it can be computed."
            )
        p = torch.cat([t.double() for t in self._predictions])
        a = torch.cat([t.double() for t in self._targets])
        if _world_size() > 1:
            p, a = _all_gather_uneven(p), _all_gather_uneven(a)
        log_ratio = torch.log((a - p).abs() / (a - a.mean()).abs())
        return _checked("GeometricMeanRelativeAbsoluteError", math.exp(log_ratio.mean().item()))
