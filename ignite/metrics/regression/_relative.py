"""Shared part of the regression metrics that divide by the target and refuse a zero target."""

from __future__ import annotations

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.regression._base import _SumRegression


class _ByTargetRegression(_SumRegression):
    """Refuses targets equal to 0 (``NotComputableError("The ground truth has 0.")``).

    CPU targets are checked in ``update``; targets on an accelerator are checked when the queued batches are
    reduced (before ``compute``), which spares a host synchronisation per batch.
    """

    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        if output[1].is_cpu:
            _refuse_zero(output[1])
        super()._update(output)

    def _reduce_pending(self, pending: list[tuple[torch.Tensor, ...]]) -> list[torch.Tensor]:
        if not pending[0][0].is_cpu:
            for (pair,) in pending:
                _refuse_zero(pair[1])
        return super()._reduce_pending(pending)


def _refuse_zero(y: torch.Tensor) -> None:
    if not y.all().item():  # one reduction: every target non-zero
        raise NotComputableError("The ground truth has 0.")
