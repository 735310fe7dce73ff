"""Mean cosine similarity."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.nn.functional import cosine_similarity

from ignite.metrics._batch_sum import _BatchSumMetric
from ignite.metrics.metric import _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["CosineSimilarity"]


class CosineSimilarity(_BatchSumMetric):
    r"""Mean over samples of the cosine similarity of ``y_pred`` and ``y``, both flattened from dim 1.

    :math:`\frac{1}{N} \sum_i \frac{x_i \cdot y_i}{\max(\lVert x_i \rVert_2 \lVert y_i \rVert_2, \epsilon)}`.
    ``update`` takes ``(y_pred, y)`` of shape ``(N, ...)`` (at least 2 dims); ``compute`` returns a float.

    Args:
        eps: lower bound of the product of norms.
    """

    _sum_attr = "_sum_of_cos_similarities"
    _state_dict_all_req_keys = ("_sum_of_cos_similarities", "_num_examples")

    def __init__(
        self,
        eps: float = 1e-8,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        self.eps = eps
        super().__init__(output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        if y_pred.ndim != 2:
            y_pred = y_pred.flatten(start_dim=1)
        if y.ndim != 2:
            y = y.flatten(start_dim=1)
        similarities = cosine_similarity(y_pred, y, dim=1, eps=self.eps)
        self._add(similarities.sum(), y.shape[0])

    @sync_all_reduce("_sum_of_cos_similarities", "_num_examples")
    def compute(self) -> float:
        return self._mean("CosineSimilarity")
