"""Hit rate @k: the fraction of users with at least one relevant item among their top-k recommendations."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._device_sum import _add_partial
from ignite.metrics.metric import Metric, _identity, reinit__is_reduced, sync_all_reduce
from ignite.metrics.rec_sys._base import _check_ranking_output, _columns, _ranked

__all__ = ["HitRate"]


class HitRate(Metric):
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

    required_output_keys = ("y_pred", "y")
    _state_dict_all_req_keys = ("_hits_per_k", "_num_examples")

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
        self.top_k = sorted(top_k)
        self.ignore_zero_hits = ignore_zero_hits
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._hits_per_k = torch.zeros(len(self.top_k), dtype=torch.int64, device=self._device)
        self._num_examples = torch.tensor(0, dtype=torch.int64, device=self._device)

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = _check_ranking_output(output)
        relevant = y > 0
        available = min(self.top_k[-1], y.shape[1])
        found = _ranked(y_pred, relevant, available).cumsum(dim=1) > 0  # hit within the first j+1 items
        hits = found[:, _columns(self.top_k, available, found.device)]
        if self.ignore_zero_hits:  # masked, not indexed: no host synchronisation
            kept = relevant.any(dim=1)
            hits = hits & kept[:, None]
            rows = kept.sum()
        else:
            rows = torch.tensor(y.shape[0], dtype=torch.int64)
        self._hits_per_k = _add_partial(self._hits_per_k, hits.sum(dim=0))
        self._num_examples = _add_partial(self._num_examples, rows)

    @sync_all_reduce("_hits_per_k", "_num_examples")
    def compute(self) -> list[float]:
        rows = int(self._num_examples.item())
        if rows == 0:
            raise NotComputableError("HitRate must have at least one example.")
        return (self._hits_per_k.double() / rows).tolist()
