"""Top-k categorical accuracy."""

from __future__ import annotations

import numbers
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
    sample. A target counts as found when it is among the ``k`` indices that ``torch.topk`` returns along the
    class dimension: among tied scores only those ``torch.topk`` picks count, and NaN scores rank first (a row
    of NaN finds exactly ``k`` classes, not every target).

    Args:
        k: number of top scores considered, at least 1 and at most the number of classes.
        output_transform: applied to the engine output before ``update``.
        device: device of the accumulators.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ``compute()`` returns a float.

    ```python
    top2 = TopKCategoricalAccuracy(k=2)
    top2.update((torch.tensor([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1]]), torch.tensor([2, 2])))
    top2.compute()  # 0.5
    ```
    """

    _state_dict_all_req_keys = ("_num_correct", "_num_examples")
    _pending_attrs = ("_num_correct",)
    _k: int

    def __init__(
        self,
        k: int = 5,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"Argument k should be an integer, but given {type(k).__name__}")
        if k <= 0:
            raise ValueError(f"Argument k should be a positive integer, but given {k}")
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
        if y_pred.ndim < 2 or y_pred.shape[1] < self._k:
            raise ValueError(
                f"Argument k should be at most the number of classes, but given k={self._k} for y_pred of shape "
                f"{tuple(y_pred.shape)} (classes along dimension 1)"
            )
        # the spec's rule, literally: a hit when the target is among torch.topk's k indices (ties, NaN included)
        # (topk's indices are distinct: a row matches at most once, so counting matches counts hits)
        matches = torch.topk(y_pred, self._k, dim=1).indices == y.unsqueeze(1)
        n = y.numel()
        self._num_examples += n
        self._queue((matches,), matches.numel())

    def _reduce_pending(self, pending: list[tuple[torch.Tensor, ...]]) -> list[torch.Tensor]:
        return [torch.count_nonzero(_cat_flat([p[0] for p in pending]))]

    @sync_all_reduce("_num_correct", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "TopKCategoricalAccuracy must have at least one example before it can be computed."
            )
        return self._num_correct.item() / self._num_examples
