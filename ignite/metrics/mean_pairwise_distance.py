"""Mean pairwise distance."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.metrics._batch_sum import _BatchSumMetric
from ignite.metrics.metric import _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["MeanPairwiseDistance"]

_pairwise_distance = torch.pairwise_distance


class MeanPairwiseDistance(_BatchSumMetric):
    r"""Mean over samples of the ``p``-norm distance ``‖y_pred − y + eps‖_p`` taken over the last dimension.

    ``update`` takes ``(y_pred, y)`` of shape ``(N, D)`` (see :func:`torch.nn.functional.pairwise_distance`);
    ``compute`` returns a float.

    Args:
        p: the norm degree.
        eps: small value added to the difference to avoid division by zero.
    """

    _sum_attr = "_sum_of_distances"
    _state_dict_all_req_keys = ("_sum_of_distances", "_num_examples")

    def __init__(
        self,
        p: int = 2,
        eps: float = 1e-6,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        self._p = p
        self._eps = eps
        # upstream ignored ``skip_unrolling`` here (always False); it is honoured
        super().__init__(output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        distances = _pairwise_distance(y_pred, y, self._p, self._eps)
        self._add(distances.sum(), y.shape[0])

    @sync_all_reduce("_sum_of_distances", "_num_examples")
    def compute(self) -> float:
        return self._mean("MeanPairwiseDistance")
