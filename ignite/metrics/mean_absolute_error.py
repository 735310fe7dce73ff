"""Mean absolute error."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ignite.metrics._batch_sum import _BatchSumMetric
from ignite.metrics.metric import reinit__is_reduced, sync_all_reduce

__all__ = ["MeanAbsoluteError"]

_dist = torch.dist


class MeanAbsoluteError(_BatchSumMetric):
    r"""Mean absolute error: :math:`\frac{1}{N} \sum_{i=1}^N \lVert y_i - x_i \rVert_1`.

    ``update`` takes ``(y_pred, y)`` of shape ``(N, ...)``; ``y`` is viewed as ``y_pred``. Absolute errors are
    summed over all elements and divided by the number of samples ``N``. ``compute`` returns a float.
    """

    _sum_attr = "_sum_of_absolute_errors"
    _state_dict_all_req_keys = ("_sum_of_absolute_errors", "_num_examples")

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        if y.shape != y_pred.shape:
            y = y.view_as(y_pred)
        try:
            batch_sum = _dist(y_pred, y, 1)  # one kernel: the sum of |y_pred - y|
        except RuntimeError:  # integer inputs
            batch_sum = (y_pred - y).abs().sum()
        self._add(batch_sum, y.shape[0])

    @sync_all_reduce("_sum_of_absolute_errors", "_num_examples")
    def compute(self) -> float:
        return self._mean("MeanAbsoluteError")
