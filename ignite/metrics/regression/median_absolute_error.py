"""MedianAbsoluteError: stores every sample, exact in a distributed run."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ignite.metrics.metric import _identity
from ignite.metrics.regression._base import _torch_median
from ignite.metrics.regression._stored import _nan_free, _StoredRegression

__all__ = ["MedianAbsoluteError", "median_absolute_error_compute_fn"]


def median_absolute_error_compute_fn(y_pred: torch.Tensor, y: torch.Tensor) -> float:
    r"""The median absolute error :math:`\text{median}(|A - P|)` of all elements, in float64."""
    _nan_free(y_pred, y)
    y_pred, y = y_pred.double(), y.double()
    return _torch_median(torch.abs(y.view_as(y_pred) - y_pred))


class MedianAbsoluteError(_StoredRegression):
    r"""The median absolute error :math:`\text{median}(|A - P|)` (``A`` = ``y``, ``P`` = ``y_pred``).

    Stores every prediction and target (``(N,)``, ``(N, 1)`` or ``(N, k)`` tensors; the median runs over all
    elements). In a distributed run the samples of every rank are gathered (ranks may hold different numbers),
    so the median is the exact single-process one. ``compute`` returns a float.

    Args:
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: where the stored tensors live.

    ```python
    metric = MedianAbsoluteError()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.5
    ```
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        super().__init__(median_absolute_error_compute_fn, output_transform=output_transform, device=device)
