"""Hit rate @k: the fraction of users with at least one relevant item among their top-k recommendations."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ignite.metrics.metric import _identity, sync_all_reduce
from ignite.metrics.rec_sys._base import _columns, _PerKMean, _ranked

__all__ = ["HitRate"]


class HitRate(_PerKMean):
    """Fraction of rows (users) whose ``k`` highest-scored items include one with relevance ``y > 0``.

    ``update((y_pred, y))`` takes scores and relevances of shape ``(batch_size, num_items)``. Items are ranked by
    decreasing score, ties in item order. ``compute()`` returns one float per ``k`` of ``top_k`` (ascending).
    Everything stays on the data's device: no host synchronisation in ``update``.

    Args:
        top_k: an int or a list of positive ints.
        ignore_zero_hits: leave out rows without any relevant item.
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: device of the accumulators.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    hr = HitRate(top_k=[1, 2])
    hr.update((torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.3, 0.1]]), torch.tensor([[0, 0, 1], [0, 1, 0]])))
    hr.compute()  # [0.5, 1.0]
    ```
    """

    _state_dict_all_req_keys = ("_hits_per_k", "_num_examples")
    _sum_name = "_hits_per_k"

    def __init__(
        self,
        top_k: int | list[int] = 1,
        ignore_zero_hits: bool = True,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        if isinstance(top_k, int) and not isinstance(top_k, bool):
            top_k = [top_k]
        if not isinstance(top_k, list):
            raise ValueError("top_k must be either int or a list[int]")
        if len(top_k) == 0:
            raise ValueError("top_k must have at least one positive value")
        if any(not isinstance(k, int) or k <= 0 for k in top_k):
            raise ValueError("top_k must be list of positive integers only.")
        super().__init__(top_k, ignore_zero_hits, output_transform, device, skip_unrolling)

    def _sum_dtype(self) -> torch.dtype:
        return torch.int64

    def _per_row_scores(self, y_pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        relevant = y > 0
        available = min(self.top_k[-1], y.shape[1])
        found = _ranked(y_pred, relevant, available).cumsum(dim=1) > 0  # hit within the first j+1 items
        return found[:, _columns(self.top_k, available, found.device)], relevant.any(dim=1)

    @sync_all_reduce("_hits_per_k", "_num_examples")
    def compute(self) -> list[float]:
        return self._mean_per_k()
