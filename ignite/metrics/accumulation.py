"""Accumulating metrics: a fold with a user operation, the arithmetic mean and the geometric mean."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import Metric, _follow, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["VariableAccumulation", "GeometricAverage", "Average"]


class VariableAccumulation(Metric):
    """Fold every output into an accumulator with ``op(accumulator, output)``; count the examples.

    ``update`` takes a number or a tensor (not a pair). Tensors are converted to the accumulator's dtype
    (float64); a tensor with 2 or more dims counts ``shape[0]`` examples, anything else counts one.
    ``compute`` returns ``(accumulator, num_examples)``.

    Args:
        op: ``op(accumulator, output) -> new accumulator``; the accumulator starts as a float64 0-d zero.
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: see :class:`~ignite.metrics.metric.Metric`.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.
    """

    required_output_keys = None
    _state_dict_all_req_keys = ("accumulator", "num_examples")

    def __init__(
        self,
        op: Callable,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        if not callable(op):
            raise TypeError(f"Argument op should be a callable, but given {type(op)}")
        self._op = op
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self.accumulator = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self.num_examples = 0

    def _check_output_type(self, output: Any) -> None:
        if not isinstance(output, (numbers.Number, torch.Tensor)):
            raise TypeError(f"Output should be a number or torch.Tensor, but given {type(output)}")

    @reinit__is_reduced
    def update(self, output: numbers.Number | torch.Tensor) -> None:
        self._check_output_type(output)
        if isinstance(output, torch.Tensor):
            output = output.detach()
            acc = self.accumulator
            if output.device != acc.device:
                if acc.device.type == "cpu":  # follow the data: no copy back to the host per update
                    self.accumulator = acc = _follow(acc, output.device)
                else:
                    output = output.to(acc.device)
            if output.dtype != acc.dtype:
                output = output.to(acc.dtype)
            self.num_examples += output.shape[0] if output.ndim > 1 else 1
        else:
            self.num_examples += 1
        self.accumulator = self._op(self.accumulator, output)

    @sync_all_reduce("accumulator", "num_examples")
    def compute(self) -> tuple[torch.Tensor, int]:
        return self.accumulator, self.num_examples


def _sum_op(acc: torch.Tensor, x: Any) -> torch.Tensor:
    if isinstance(x, torch.Tensor) and x.ndim > 1:
        x = x.sum(dim=0)
    return acc + x


def _log_sum_op(acc: torch.Tensor, x: Any) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        x = torch.tensor(x, dtype=acc.dtype)
    x = torch.log(x)
    if x.ndim > 1:
        x = x.sum(dim=0)
    return acc + x


class Average(VariableAccumulation):
    """Arithmetic mean of the outputs: numbers, ``(D,)`` vectors (one example each) or ``(N, ...)`` batches.

    ``compute`` returns a tensor: 0-d for scalar outputs, per-feature for ``(N, D, ...)`` outputs.

    ```python
    Average(output_transform=lambda out: out["loss"]).attach(trainer, "mean_loss")
    ```
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(op=_sum_op, output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        super().reset()
        self._scalar_sum = 0.0  # Python numbers are summed here (float64) and folded in when the state is read

    @reinit__is_reduced
    def update(self, output: numbers.Number | torch.Tensor) -> None:
        if type(output) is float or type(output) is int:
            self._scalar_sum += output
            self.num_examples += 1
            return
        super().update(output)

    def _fold_pending(self) -> None:
        if self._scalar_sum:
            self.accumulator = self.accumulator + self._scalar_sum
            self._scalar_sum = 0.0

    @sync_all_reduce("accumulator", "num_examples")
    def compute(self) -> torch.Tensor:  # type: ignore[override]
        if self.num_examples < 1:
            raise NotComputableError(
                f"{self.__class__.__name__} must have at least one example before it can be computed."
            )
        return (self.accumulator / self.num_examples).to(self._device)


class GeometricAverage(VariableAccumulation):
    """Geometric mean ``exp(mean(log x))`` of the outputs (same shapes as :class:`Average`).

    ``compute`` returns a float when the result has one element, else a tensor.
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            op=_log_sum_op, output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )

    @sync_all_reduce("accumulator", "num_examples")
    def compute(self) -> float | torch.Tensor:  # type: ignore[override]
        if self.num_examples < 1:
            raise NotComputableError(
                f"{self.__class__.__name__} must have at least one example before it can be computed."
            )
        tensor = torch.exp(self.accumulator / self.num_examples)
        if tensor.numel() == 1:
            return tensor.item()
        return tensor.to(self._device)
