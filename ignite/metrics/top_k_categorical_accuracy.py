"""Top-k categorical accuracy."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._pending import _PendingSums
from ignite.metrics.accuracy import _cat_flat, _identity
from ignite.metrics.metric import Metric, reinit__is_reduced, sync_all_reduce

__all__ = ["TopKCategoricalAccuracy"]


class TopKCategoricalAccuracy(_PendingSums, Metric):
    """Fraction of samples whose target class is among the ``k`` highest scores.

    ``y_pred`` holds scores ``(N, C, ...)`` and ``y`` class indices ``(N, ...)``; each element of ``y`` is one
    sample. A target counts as found when fewer than ``k`` classes score strictly higher than it (a tie at the
    k-th place counts in the target's favour).

    Args:
        k: number of top scores considered.
        output_transform: applied to the engine output before ``update``.
        device: device of the accumulators.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ``compute()`` returns a float.

    Example::

        top2 = TopKCategoricalAccuracy(k=2)
        top2.update((torch.tensor([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1]]), torch.tensor([2, 2])))
        top2.compute()  # 0.5
    """

    _state_dict_all_req_keys = ("_num_correct", "_num_examples")
    _pending_attrs = ("_num_correct",)

    def __init__(
        self,
        k: int = 5,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        self._k = k
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._num_correct = torch.tensor(0, dtype=torch.long, device=self._device)
        self._num_examples = 0
        self._reset_pending()

    def update(self, output: Sequence[torch.Tensor]) -> None:
        # no detach needed: the comparison and the counts carry no autograd history
        y_pred, y = output[0], output[1]
        if y.dtype != torch.long:
            y = y.long()
        # rank of the target = number of classes scoring strictly higher; compared with k in bulk
        ranks = (y_pred > y_pred.gather(1, y.unsqueeze(1))).sum(dim=1)
        n = ranks.numel()
        self._num_examples += n
        self._queue((ranks,), n)

    def _reduce_pending(self, pending: list[tuple[torch.Tensor, ...]]) -> list[torch.Tensor]:
        return [torch.count_nonzero(_cat_flat([p[0] for p in pending]) < self._k)]

    @sync_all_reduce("_num_correct", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "TopKCategoricalAccuracy must have at least one example before it can be computed."
            )
        return self._num_correct.item() / self._num_examples
