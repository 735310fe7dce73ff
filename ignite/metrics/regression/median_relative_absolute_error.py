"""MedianRelativeAbsoluteError: stores every sample, exact in a distributed run."""

from __future__ import annotations

import torch

from ignite.metrics.regression._base import _torch_median
from ignite.metrics.regression._stored import _float64_pair, _StoredMedian

__all__ = ["MedianRelativeAbsoluteError", "median_relative_absolute_error_compute_fn"]


def median_relative_absolute_error_compute_fn(y_pred: torch.Tensor, y: torch.Tensor) -> float:
    r"""The median relative absolute error :math:`\text{median}(|A - P| / |A - \bar{A}|)`
    of all elements, in float64."""
    y_pred, y = _float64_pair(y_pred, y)
    return _torch_median(torch.abs(y - y_pred) / torch.abs(y - y.mean()))


class MedianRelativeAbsoluteError(_StoredMedian):
    r"""The median relative absolute error :math:`\text{median}(|A - P| / |A - \bar{A}|)`
    (``A`` = ``y``, ``P`` = ``y_pred``).

    Stores every prediction and target (``(N,)``, ``(N, 1)`` or ``(N, k)`` tensors; the median runs over all
    elements). In a distributed run the samples of every rank are gathered (ranks may hold different numbers),
    so the median is the exact single-process one. ``compute`` returns a float.

    Args:
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: where the stored tensors live.

    ```python
    metric = MedianRelativeAbsoluteError()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.901961
    ```
    """

    _compute = staticmethod(median_relative_absolute_error_compute_fn)
