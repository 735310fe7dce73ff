"""Accuracy and the input typing shared by the classification metrics (``_BaseClassification``).

Inputs are ``(y_pred, y)`` pairs. ``y_pred`` of shape ``(N, C, ...)`` with ``y`` of shape ``(N, ...)`` is
multiclass (``C > 1``, scores or logits, the class is the argmax over dim 1) or binary (``C == 1``); equal
shapes are binary (0/1 values) or, with ``is_multilabel=True``, multilabel (0/1 values, labels on dim 1).

Checks that need the tensor values (are these 0/1? is a target class out of range?) cost a host
synchronisation, so they run on the first ``update`` after a ``reset`` only; shape and type checks, which
read no values, run on every ``update``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._pending import _PendingSums
from ignite.metrics.metric import Metric, reinit__is_reduced, sync_all_reduce

__all__ = ["Accuracy"]


def _identity(x: Any) -> Any:
    return x


def _bincount(x: torch.Tensor, n: int) -> torch.Tensor:
    """Counts (int64) of the values of the 1-d integer tensor ``x`` in ``[0, n)``, without a host sync.

    ``torch.bincount`` is the fastest on the CPU; on accelerators it reads ``x.max()`` back to size its
    output, so a scatter into a fixed-size buffer is used there. Callers keep the values of ``x`` in
    ``[0, n)``: on the CPU a larger value lengthens the result (which callers may check for free), elsewhere
    values outside the range are not counted.
    """
    if x.is_cpu:
        return torch.bincount(x, minlength=n)
    return _scatter_count(x, n)


def _scatter_count(x: torch.Tensor, n: int) -> torch.Tensor:
    """Counts of the values of ``x`` in ``[0, n)`` by a scatter (values outside the range are dropped)."""
    safe = torch.where((x >= 0) & (x < n), x, n)
    out = torch.zeros(n + 1, dtype=torch.int64, device=x.device)
    out.scatter_add_(0, safe, torch.ones(1, dtype=torch.int64, device=x.device).expand(x.shape[0]))
    return out[:n]


def _nonbinary(t: torch.Tensor) -> torch.Tensor:
    """0-d bool tensor: does ``t`` hold a value other than 0 and 1?"""
    if t.dtype == torch.bool:
        return torch.zeros((), dtype=torch.bool, device=t.device)
    return ((t != 0) & (t != 1)).any()


def _count_true(pending: list[tuple[torch.Tensor, ...]]) -> torch.Tensor:
    """Number of True elements over the first tensor of every queued tuple."""
    return torch.count_nonzero(_cat_flat([p[0] for p in pending]))


def _cat_flat(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The elements of ``tensors`` in one 1-d tensor (1-d inputs are not reshaped: a reshape is not free)."""
    if len(tensors) == 1:
        return tensors[0]
    return torch.cat([t if t.ndim == 1 else t.reshape(-1) for t in tensors])


class _BaseClassification(Metric):
    """Base of the classification metrics: input shape checks and binary/multiclass/multilabel typing.

    Args:
        output_transform: applied to the engine output before ``update``.
        is_multilabel: equal-shape inputs are multilabel (``(N, C, ...)``, 0/1) rather than binary.
        device: device of the accumulators (see :mod:`ignite.metrics.metric`).
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ``_type`` (``None``, ``"binary"``, ``"multiclass"`` or ``"multilabel"``) and ``_num_classes`` are fixed by
    the first batch after ``reset`` and later batches must agree.
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        is_multilabel: bool = False,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        self._is_multilabel = is_multilabel
        self._type: str | None = None
        self._num_classes: int | None = None
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    def reset(self) -> None:
        self._type = None
        self._num_classes = None
        self._checked: tuple | None = None

    def _check(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        """``_check_shape`` and ``_check_type``, skipped while shapes and dtypes repeat those already checked."""
        key = (y_pred.shape, y.shape, y_pred.dtype, y.dtype)
        if key != self._checked:
            self._check_shape((y_pred, y))
            self._check_type((y_pred, y))
            self._checked = key

    def _check_shape(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        y_ndim, y_pred_ndim = y.ndim, y_pred.ndim
        if y_ndim + 1 == y_pred_ndim:
            if y.shape[0] != y_pred.shape[0] or y.shape[1:] != y_pred.shape[2:]:
                raise ValueError("y and y_pred must have compatible shapes.")
        elif y_ndim == y_pred_ndim:
            if y.shape != y_pred.shape:
                raise ValueError("y and y_pred must have compatible shapes.")
        else:
            raise ValueError(
                "y must have shape of (batch_size, ...) and y_pred must have shape of "
                f"(batch_size, num_categories, ...) or (batch_size, ...), but given {y.shape} vs {y_pred.shape}."
            )
        if self._is_multilabel and not (y.shape == y_pred.shape and y_ndim > 1 and y.shape[1] > 1):
            raise ValueError(
                "y and y_pred must have same shape of (batch_size, num_categories, ...) and num_categories > 1."
            )

    def _check_binary_multilabel_cases(self, output: Sequence[torch.Tensor]) -> None:
        """0/1 values in ``y`` and ``y_pred`` (one host synchronisation for both)."""
        y_pred, y = output[0], output[1]
        flags = torch.stack((_nonbinary(y), _nonbinary(y_pred).to(y.device))).tolist()
        if flags[0]:
            raise ValueError("For binary cases, y must be comprised of 0's and 1's.")
        if flags[1]:
            raise ValueError("For binary cases, y_pred must be comprised of 0's and 1's.")

    def _check_type(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        first = self._type is None
        if y.ndim + 1 == y_pred.ndim:
            num_classes = y_pred.shape[1]
            if num_classes == 1:
                update_type = "binary"
                if first:
                    self._check_binary_multilabel_cases(output)
            else:
                update_type = "multiclass"
        elif y.ndim == y_pred.ndim:
            if first:
                self._check_binary_multilabel_cases(output)
            if self._is_multilabel:
                update_type = "multilabel"
                num_classes = y_pred.shape[1]
            else:
                update_type = "binary"
                num_classes = 1
        else:
            raise RuntimeError(
                f"Invalid shapes of y (shape={y.shape}) and y_pred (shape={y_pred.shape}), check documentation."
                " for expected shapes of y and y_pred."
            )
        if first:
            self._type = update_type
            self._num_classes = num_classes
        else:
            if self._type != update_type:
                raise RuntimeError(f"Input data type has changed from {self._type} to {update_type}.")
            if self._num_classes != num_classes:
                raise ValueError(f"Input data number of classes has changed from {self._num_classes} to {num_classes}")

    @staticmethod
    def get_sequence_transform(
        ignore_index: int | Iterable[int] | None = None, output_transform: Callable = _identity
    ) -> Callable:
        """An ``output_transform`` for sequence outputs: ``(N, S, C)`` scores and ``(N, S)`` targets.

        Returns ``(y_pred, y)`` reshaped to ``(N*S, C)`` and ``(N*S,)`` without the positions whose target is
        ``ignore_index`` (an int or an iterable of ints), after applying ``output_transform``.
        """
        if ignore_index is None:
            ignored: tuple[int, ...] = ()
        elif isinstance(ignore_index, (int, numbers.Integral)):
            ignored = (int(ignore_index),)
        else:
            ignored = tuple(int(i) for i in ignore_index)

        def transform(output: Any) -> tuple[torch.Tensor, torch.Tensor]:
            y_pred, y = output_transform(output)
            if y_pred.ndim != 3 or y.ndim != 2:
                raise ValueError(
                    f"Expected y_pred to be 3D (N, S, C) and y to be 2D (N, S), but got y_pred={y_pred.ndim}D "
                    f"and y={y.ndim}D."
                )
            if y_pred.shape[:2] != y.shape:
                raise ValueError(
                    f"y_pred and y have incompatible shapes: y_pred={tuple(y_pred.shape)} "
                    f"(expected first two dims to match y={tuple(y.shape)})."
                )
            y_pred = y_pred.reshape(-1, y_pred.shape[-1])
            y = y.reshape(-1)
            if ignored:
                keep = ~torch.isin(y, torch.tensor(ignored, dtype=y.dtype, device=y.device))
                y_pred, y = y_pred[keep], y[keep]
            return y_pred, y

        return transform


class Accuracy(_PendingSums, _BaseClassification):
    r"""Fraction of correct predictions.

    - binary: ``y_pred`` and ``y`` of equal shape ``(N, ...)`` (or ``y_pred`` ``(N, 1, ...)``) with 0/1 values,
      one count per element (threshold scores yourself in ``output_transform``, e.g. ``torch.round``);
    - multiclass: ``y_pred`` ``(N, C, ...)`` scores, ``y`` ``(N, ...)`` class indices, one count per element of ``y``;
    - multilabel (``is_multilabel=True``): ``y_pred`` and ``y`` ``(N, C, ...)`` with 0/1 values; a sample (or a
      position of the extra dims) counts as correct only if all its ``C`` labels match (exact-match ratio).

    Args:
        output_transform: applied to the engine output before ``update``.
        is_multilabel: treat equal-shape inputs as multilabel.
        device: device of the accumulators.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    ``compute()`` returns a float.

    ```python
    acc = Accuracy()
    acc.update((torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1])))
    acc.compute()  # 0.5
    ```
    """

    _state_dict_all_req_keys = ("_num_correct", "_num_examples")
    _pending_attrs = ("_num_correct",)

    def __init__(
        self,
        output_transform: Callable = _identity,
        is_multilabel: bool = False,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            output_transform=output_transform,
            is_multilabel=is_multilabel,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._num_correct = torch.tensor(0, dtype=torch.long, device=self._device)
        self._num_examples = 0
        self._reset_pending()
        super().reset()

    def update(self, output: Sequence[torch.Tensor]) -> None:
        # no detach needed: comparisons and argmax produce tensors without autograd history
        y_pred, y = output[0], output[1]
        self._check(y_pred, y)

        kind = self._type
        if kind == "multiclass":
            correct = torch.argmax(y_pred, dim=1) == y
        elif kind == "binary":
            correct = y_pred.reshape(y.shape).to(y.dtype) == y
        else:  # multilabel: a row is correct when all of its labels match
            correct = (y_pred.to(y.dtype) == y).all(dim=1)

        n = correct.numel()
        self._num_examples += n
        self._queue((correct,), n)  # counted in bulk by _reduce_pending

    def _reduce_pending(self, pending: list[tuple[torch.Tensor, ...]]) -> list[torch.Tensor]:
        return [_count_true(pending)]

    @sync_all_reduce("_num_examples", "_num_correct")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError("Accuracy must have at least one example before it can be computed.")
        return self._num_correct.item() / self._num_examples
