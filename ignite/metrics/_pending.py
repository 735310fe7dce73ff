"""Deferred accumulation shared by the metrics whose state is a few sums (see :class:`_PendingSums`)."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["_PendingSums", "_Accumulator"]


class _Accumulator:
    """A state attribute fed by the pending queue, as user code sees it: reading it folds the queue first and
    gives the value on the metric's device (as in the spec, which has no deferred accumulation).

    So ``metric._num_correct`` read mid-epoch (by a user, a callback, a framework) counts every batch so far.
    The metric's own update path works on ``__dict__`` and never triggers a fold; writing stores the value.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        state = obj.__dict__
        if state.get("_pending"):
            obj._fold_pending()
        try:
            value = state[self.name]
        except KeyError:
            raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{self.name}'") from None
        device = state.get("_device")
        if isinstance(value, torch.Tensor) and device is not None and value.device != device:
            value = value.to(device)  # accumulators follow the data's device internally
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value


def _install_accumulators(cls: type, names: tuple[str, ...]) -> None:
    for name in names:
        if not isinstance(getattr(cls, name, None), _Accumulator):
            setattr(cls, name, _Accumulator(name))


class _PendingSums:
    """Mixin for metrics whose state is a few sums: queue each batch's partials, reduce them in bulk.

    Adding a partial sum into an accumulator is one tensor operation per batch and attribute; queueing it is a
    list append. The queue is reduced (``_reduce_pending``: by default the partials at each position are
    stacked and summed) and added into the attributes named by ``_pending_attrs`` every ``_fold_every``
    batches, once the queued tensors hold ``_fold_numel`` elements, and before ``compute``, ``state_dict`` and
    ``load_state_dict``. A metric may queue raw per-element tensors (e.g. a correctness mask) and reduce them
    in ``_reduce_pending``, saving the per-batch reduction. Accumulators follow the data's device internally;
    read as attributes (:class:`_Accumulator`) they are folded and on the metric's device. Subclasses call
    ``_reset_pending`` from ``reset``; the queue is folded by :meth:`Metric._fold_pending`, which
    :func:`~ignite.metrics.metric.sync_all_reduce` (on ``compute``) and the state-dict methods call.
    """

    _pending_attrs: tuple[str, ...] = ()
    # attributes read through an _Accumulator (default: the class's _pending_attrs)
    _accumulator_attrs: tuple[str, ...] = ()
    _fold_every = 64
    _fold_numel = 1 << 16

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _install_accumulators(cls, cls.__dict__.get("_accumulator_attrs", ()) + cls.__dict__.get("_pending_attrs", ()))

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
