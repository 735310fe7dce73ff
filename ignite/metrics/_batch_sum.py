"""Shared base of the metrics that average a per-sample quantity: one batch sum and a sample count."""

from __future__ import annotations

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import Metric, _accumulate, reinit__is_reduced

# batch sums kept aside before they are folded into the float64 accumulator (bounds their memory)
_FOLD_EVERY = 1024


class _BatchSumMetric(Metric):
    """Accumulates ``Σ value`` over samples in ``_sum_attr`` and the number of samples in ``_num_examples``;
    the result is their ratio.

    ``update`` only appends the batch sum (a 0-d tensor on the input's device) to a list: the float64
    accumulator (see :mod:`ignite.metrics.metric` for its device) receives the pending sums in one reduction
    every ``_FOLD_EVERY`` batches and whenever the state is read (``compute``, ``sync_all_reduce``, state
    dicts), which saves a mixed-precision add per batch.

    Subclasses name their accumulator (``_sum_attr``, also in ``_state_dict_all_req_keys``), add batch sums with
    :meth:`_add` and define ``compute`` as ``sync_all_reduce(<accumulator>, "_num_examples")(self._mean(...))``.
    """

    _sum_attr: str

    @reinit__is_reduced
    def reset(self) -> None:
        self.__dict__[self._sum_attr] = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self._num_examples = 0
        self._pending: list[torch.Tensor] = []

    def _add(self, batch_sum: torch.Tensor, n: int) -> None:
        if batch_sum.requires_grad:
            batch_sum = batch_sum.detach()
        pending = self._pending
        pending.append(batch_sum)
        self._num_examples += n
        if len(pending) >= _FOLD_EVERY:
            self._fold_pending()

    def _pending_sum(self, pending: list[torch.Tensor]) -> torch.Tensor:
        return _stack(pending).sum(dtype=self._double_dtype)

    def _fold_pending(self) -> None:
        pending = self._pending
        if pending:
            state = self.__dict__
            state[self._sum_attr] = _accumulate(state[self._sum_attr], self._pending_sum(pending))
            pending.clear()

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
