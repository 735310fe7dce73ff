"""Shared machinery of the regression metrics: input checks, the running-sum base and an exact median."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._pending import _PendingSums
from ignite.metrics.metric import Metric, reinit__is_reduced

__all__ = ["_BaseRegression", "_check_output_shapes", "_check_output_types", "_torch_median"]

_FLOATS = (torch.float16, torch.float32, torch.float64)


def _check_output_shapes(output: Sequence[torch.Tensor]) -> None:
    """``y_pred`` and ``y`` must both be ``(N,)`` or ``(N, 1)`` with the same shape."""
    y_pred, y = output[0], output[1]
    c1 = y_pred.ndimension() == 2 and y_pred.shape[1] == 1
    if not (y_pred.ndimension() == 1 or c1):
        raise ValueError(f"Input y_pred should have shape (N,) or (N, 1), but given {y_pred.shape}")
    c2 = y.ndimension() == 2 and y.shape[1] == 1
    if not (y.ndimension() == 1 or c2):
        raise ValueError(f"Input y should have shape (N,) or (N, 1), but given {y.shape}")
    if y_pred.shape != y.shape:
        raise ValueError(f"Input data shapes should be the same, but given {y_pred.shape} and {y.shape}")


def _check_output_types(output: Sequence[torch.Tensor]) -> None:
    """``y_pred`` and ``y`` must be float16, float32 or float64 tensors."""
    y_pred, y = output[0], output[1]
    if y_pred.dtype not in _FLOATS:
        raise TypeError(f"Input y_pred dtype should be float 16, 32 or 64, but given {y_pred.dtype}")
    if y.dtype not in _FLOATS:
        raise TypeError(f"Input y dtype should be float 16, 32 or 64, but given {y.dtype}")


def _check_not_empty_same_device(y_pred: torch.Tensor, y: torch.Tensor) -> None:
    """Shape-only checks (no host synchronisation): non-empty inputs on one device."""
    if y_pred.numel() == 0:
        raise ValueError(f"Input y_pred should not be empty, but given shape {tuple(y_pred.shape)}")
    if y.numel() == 0:
        raise ValueError(f"Input y should not be empty, but given shape {tuple(y.shape)}")
    if y_pred.device != y.device:
        raise ValueError(f"Input y_pred and y should be on the same device, but given {y_pred.device} and {y.device}")


def _torch_median(output: torch.Tensor) -> float:
    """Median of all elements of ``output`` as numpy defines it (mean of the two middle values if even)."""
    output = output.flatten()
    if output.device.type == "mps":
        output = output.cpu()
    n = output.numel()
    if n == 0:
        raise ValueError("Cannot compute the median of an empty tensor.")
    if n % 2 == 1:
        return torch.kthvalue(output, n // 2 + 1).values.item()
    low = torch.kthvalue(output, n // 2).values
    high = torch.kthvalue(output, n // 2 + 1).values
    return ((low.double() + high.double()) / 2).item()


class _BaseRegression(Metric):
    """Base of the regression metrics: validates ``(y_pred, y)`` of shape ``(N,)``/``(N, 1)`` (floating point),
    squeezes ``(N, 1)`` to ``(N,)`` and hands them to ``_update``."""

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        _check_output_shapes(output)
        _check_output_types(output)
        y_pred, y = output[0], output[1]
        _check_not_empty_same_device(y_pred, y)
        if y_pred.requires_grad:
            y_pred = y_pred.detach()
        if y.requires_grad:
            y = y.detach()
        if y_pred.ndim == 2:
            y_pred = y_pred.squeeze(dim=-1)
            y = y.squeeze(dim=-1)
        self._update((y_pred, y))

    @abstractmethod
    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        """Accumulate the checked ``(y_pred, y)``, both of shape ``(N,)``."""


class _SumRegression(_PendingSums, _BaseRegression):
    """A regression metric whose state is a few float64 sums (``_sums``) and a sample count.

    ``update`` only checks shapes and queues a ``(2, N)`` copy of ``(y_pred, y)`` on their device (one kernel,
    no host synchronisation); the queue is reduced in float64 by :meth:`_partials` (per-batch sums of the
    elementwise terms) when it grows large and before the state is read (``compute``, state dict).
    """

    _sums: tuple[str, ...]
    _count: str | None = "_num_examples"
    _fold_every = 64
    _fold_numel = 1 << 17

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_sums" in cls.__dict__:
            cls._pending_attrs = cls._sums

    @reinit__is_reduced
    def reset(self) -> None:
        for name in self._sums:
            self.__dict__[name] = self._initial(name)
        if self._count is not None:
            self.__dict__[self._count] = 0
        self._reset_pending()

    def _initial(self, name: str) -> torch.Tensor:
        return torch.tensor(0.0, dtype=self._double_dtype, device=self._device)

    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        y_pred, y = output
        if y_pred.dtype != y.dtype:
            dtype = torch.promote_types(y_pred.dtype, y.dtype)
            y_pred, y = y_pred.to(dtype), y.to(dtype)
        pair = torch.stack((y_pred, y))
        if self._count is not None:
            self.__dict__[self._count] += y.shape[0]
        self._queue((pair,), numel=pair.numel())

    def _reduce_pending(self, pending: list[tuple[torch.Tensor, ...]]) -> list[torch.Tensor]:
        pairs = [p[0] for p in pending]
        if len(pairs) == 1:
            data = pairs[0]
        else:
            device = pairs[-1].device  # batches may have come from several devices
            data = torch.cat([t if t.device == device else t.to(device) for t in pairs], dim=1)
        data = data.to(self._double_dtype)
        return self._partials(data[0], data[1])

    def _partials(self, p: torch.Tensor, a: torch.Tensor) -> list[torch.Tensor]:
        """The contributions to ``_sums`` of predictions ``p`` and targets ``a`` (float64 vectors)."""
        raise NotImplementedError

    def _value(self, name: str) -> float:
        return self.__dict__[name].item()

    def _require_examples(self, name: str) -> int:
        n = self.__dict__[self._count] if self._count is not None else 0
        if n == 0:
            raise NotComputableError(f"{name} must have at least one example before it can be computed.")
        return n


def _checked(name: str, value: float) -> float:
    """``value``, or a ``ValueError`` when it is NaN (NaN inputs, or 0/0 terms of the formula)."""
    if value != value:
        raise ValueError(f"{name} is NaN: y_pred or y contains NaN values or gives an undefined 0/0 term.")
    return value
