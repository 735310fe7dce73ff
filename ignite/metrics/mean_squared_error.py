"""Mean squared error."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ignite.metrics._batch_sum import _BatchSumMetric
from ignite.metrics.metric import reinit__is_reduced, sync_all_reduce

__all__ = ["MeanSquaredError"]


class MeanSquaredError(_BatchSumMetric):
    r"""Mean squared error: :math:`\frac{1}{N} \sum_{i=1}^N \lVert y_i - x_i \rVert^2_2`.

    ``update`` takes ``(y_pred, y)`` of shape ``(N, ...)``; ``y`` is viewed as ``y_pred``. Squared errors are
    summed over all elements and divided by the number of samples ``N`` (so ``(N, D)`` inputs give the mean
    per-sample sum). ``compute`` returns a float.
    """

    _sum_attr = "_sum_of_squared_errors"
    _state_dict_all_req_keys = ("_sum_of_squared_errors", "_num_examples")

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        if y.shape != y_pred.shape:
            y = y.view_as(y_pred)
        diff = y_pred - y
        self._add(diff.dot(diff) if diff.ndim == 1 else diff.square().sum(), y.shape[0])

    @sync_all_reduce("_sum_of_squared_errors", "_num_examples")
    def compute(self) -> float:
        return self._mean("MeanSquaredError")
