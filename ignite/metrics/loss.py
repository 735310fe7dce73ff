"""Average of a loss function over samples."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ignite.metrics._batch_sum import _BatchSumMetric, _stack
from ignite.metrics.metric import _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["Loss"]


class Loss(_BatchSumMetric):
    """Sample-weighted average of ``loss_fn(y_pred, y, **kwargs)``, which must return the batch *average*.

    ``update`` takes ``(y_pred, y)`` or ``(y_pred, y, criterion_kwargs)``; each batch weighs ``batch_size(y)``.
    With a mapping output the keys are ``y_pred``, ``y`` and (optionally) ``criterion_kwargs``.

    Args:
        loss_fn: callable returning the average loss of a batch (a 0-d tensor), e.g. ``nn.CrossEntropyLoss()``.
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        batch_size: callable giving the number of samples of ``y`` (default ``len``).
        device: see :class:`~ignite.metrics.metric.Metric`.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    Loss(nn.CrossEntropyLoss()).attach(evaluator, "nll")
    ```
    """

    required_output_keys = ("y_pred", "y", "criterion_kwargs")
    # upstream demanded ``criterion_kwargs`` in every mapping output; it may be left out
    _optional_output_keys = ("criterion_kwargs",)
    _sum_attr = "_sum"
    _state_dict_all_req_keys = ("_sum", "_num_examples")

    def __init__(
        self,
        loss_fn: Callable,
        output_transform: Callable = _identity,
        batch_size: Callable = len,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(output_transform, device=device, skip_unrolling=skip_unrolling)
        self._loss_fn = loss_fn
        self._batch_size = batch_size

    @reinit__is_reduced
    def update(self, output: Sequence[Any]) -> None:
        if len(output) == 2:
            y_pred, y = output
            average_loss = self._loss_fn(y_pred, y)
        else:
            y_pred, y, kwargs = output
            average_loss = self._loss_fn(y_pred, y, **kwargs)
        if average_loss.ndim != 0:
            raise ValueError("loss_fn did not return the average loss.")
        n = self._batch_size(y)
        # the average is weighted by n when the queue is folded (no multiplication per batch)
        self._add(average_loss, n, n)

    def _reduce_pending(self, pending: list[tuple[Any, ...]]) -> list[torch.Tensor]:
        averages = _stack([p[0] for p in pending]).to(self._double_dtype)
        weights = torch.tensor([p[1] for p in pending], dtype=self._double_dtype, device=averages.device)
        return [averages.dot(weights)]

    @sync_all_reduce("_sum", "_num_examples")
    def compute(self) -> float:
        return self._mean("Loss")
