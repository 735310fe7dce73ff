"""Deferred accumulation shared by the metrics whose state is a few sums (see :class:`_PendingSums`)."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["_PendingSums"]


class _PendingSums:
    """Mixin for metrics whose state is a few sums: queue each batch's partials, reduce them in bulk.

    Adding a partial sum into an accumulator is one tensor operation per batch and attribute; queueing it is a
    list append. The queue is reduced (``_reduce_pending``: by default the partials at each position are
    stacked and summed) and added into the attributes named by ``_pending_attrs`` every ``_fold_every``
    batches, once the queued tensors hold ``_fold_numel`` elements, and before ``compute``, ``state_dict`` and
    ``load_state_dict``. A metric may queue raw per-element tensors (e.g. a correctness mask) and reduce them
    in ``_reduce_pending``, saving the per-batch reduction. A CPU accumulator meeting accelerator data
    moves to the data's device; otherwise the folded sum moves to the accumulator's. Subclasses call
    ``_reset_pending`` from ``reset``; the queue is folded by :meth:`Metric._fold_pending`, which
    :func:`~ignite.metrics.metric.sync_all_reduce` (on ``compute``) and the state-dict methods call.
    """

    _pending_attrs: tuple[str, ...] = ()
    _fold_every = 64
    _fold_numel = 1 << 16

    def _reset_pending(self) -> None:
        self._pending: list[tuple[torch.Tensor, ...]] = []
        self._pending_numel = 0

    def _queue(self, partials: tuple[torch.Tensor, ...], numel: int = 0) -> None:
        pending = self._pending
        pending.append(partials)
        if numel:
            self._pending_numel += numel
            if self._pending_numel >= self._fold_numel:
                self._fold_pending()
                return
        if len(pending) >= self._fold_every:
            self._fold_pending()

    def _fold_pending(self) -> None:
        pending = self._pending
        if not pending:
            return
        self._pending = []
        self._pending_numel = 0
        self._add_totals(self._reduce_pending(pending))

    def _reduce_pending(self, pending: list[tuple[torch.Tensor, ...]]) -> list[torch.Tensor]:
        totals = []
        for i in range(len(pending[0])):
            parts = [p[i] for p in pending]
            totals.append(parts[0] if len(parts) == 1 else torch.stack(parts).sum(dim=0))
        return totals

    def _add_totals(self, totals: list[torch.Tensor]) -> None:
        """Add the reduced partials into the attributes of ``_pending_attrs``."""
        for name, total in zip(self._pending_attrs, totals):
            self.__dict__[name] = self._fold_into(self.__dict__[name], total)

    def _fold_into(self, acc: Any, total: torch.Tensor) -> torch.Tensor:
        """``acc + total`` out of place (``acc`` may be a tensor loaded from a user's state dict)."""
        if acc.device != total.device:
            if acc.device.type == "cpu":
                acc = acc.to(total.device)
            else:
                total = total.to(acc.device)
        return acc + total

    def _load_state_dict_per_rank(self, state_dict: Any) -> None:
        self._reset_pending()  # discarded, not folded: the loaded state replaces the accumulators
        super()._load_state_dict_per_rank(state_dict)  # type: ignore[misc]
