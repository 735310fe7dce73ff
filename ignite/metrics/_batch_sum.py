"""Shared base of the metrics that average a per-sample quantity: one batch sum and a sample count."""

from __future__ import annotations

from typing import Any

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._pending import _PendingSums
from ignite.metrics.metric import Metric, reinit__is_reduced


class _BatchSumMetric(_PendingSums, Metric):
    """Accumulates ``Σ value`` over samples in ``_sum_attr`` (float64) and the number of samples in
    ``_num_examples``; the result is their ratio.

    ``update`` queues the batch sum (a 0-d tensor on the input's device, see :class:`_PendingSums`); the queue
    is folded into the accumulator in one reduction every ``_fold_every`` batches and whenever the state is
    read, which saves a mixed-precision add per batch.

    Subclasses name their accumulator (``_sum_attr``, also in ``_state_dict_all_req_keys``), add batch sums with
    :meth:`_add` and define ``compute`` as ``sync_all_reduce(<accumulator>, "_num_examples")(self._mean(...))``.
    """

    _sum_attr: str
    _fold_every = 1024  # 0-d partials: the queue stays small

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if "_sum_attr" in cls.__dict__:
            cls._pending_attrs = (cls._sum_attr,)
        super().__init_subclass__(**kwargs)  # makes the accumulator fold on read

    @reinit__is_reduced
    def reset(self) -> None:
        self.__dict__[self._sum_attr] = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self._num_examples = 0
        self._reset_pending()

    def _add(self, batch_sum: torch.Tensor, n: int, *extra: Any) -> None:
        """Queue ``batch_sum`` of ``n`` samples (``extra`` items ride along for :meth:`_reduce_pending`)."""
        if batch_sum.requires_grad:
            batch_sum = batch_sum.detach()
        self._num_examples += n
        self._queue((batch_sum, *extra))

    def _reduce_pending(self, pending: list[tuple[Any, ...]]) -> list[torch.Tensor]:
        return [_stack([p[0] for p in pending]).sum(dtype=self._double_dtype)]

    def _mean(self, name: str, divisor: int = 1) -> float:
        self._fold_pending()
        if self._num_examples == 0:
            raise NotComputableError(f"{name} must have at least one example before it can be computed.")
        return self.__dict__[self._sum_attr].item() / (self._num_examples * divisor)


def _stack(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The 0-d ``tensors`` as a vector on the device of the last one."""
    try:
        return torch.stack(tensors)
    except RuntimeError:  # batches on different devices
        device = tensors[-1].device
        return torch.stack([t.to(device) for t in tensors])
