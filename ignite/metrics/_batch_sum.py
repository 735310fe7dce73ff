"""Shared base of the metrics that average a per-sample quantity: one batch sum and a sample count."""

from __future__ import annotations

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import Metric, _accumulate, reinit__is_reduced


class _BatchSumMetric(Metric):
    """Accumulates ``Σ value`` over samples in ``_sum_attr`` (float64, see :mod:`ignite.metrics.metric` for
    its device) and the number of samples in ``_num_examples``; the result is their ratio.

    Subclasses name their accumulator (``_sum_attr``, also in ``_state_dict_all_req_keys``), add batch sums with
    :meth:`_add` and define ``compute`` as ``sync_all_reduce(<accumulator>, "_num_examples")(self._mean(...))``.
    """

    _sum_attr: str

    @reinit__is_reduced
    def reset(self) -> None:
        self.__dict__[self._sum_attr] = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self._num_examples = 0

    def _add(self, batch_sum: torch.Tensor, n: int) -> None:
        state = self.__dict__
        state[self._sum_attr] = _accumulate(state[self._sum_attr], batch_sum)
        self._num_examples += n

    def _mean(self, name: str, divisor: int = 1) -> float:
        if self._num_examples == 0:
            raise NotComputableError(f"{name} must have at least one example before it can be computed.")
        return self.__dict__[self._sum_attr].item() / (self._num_examples * divisor)
