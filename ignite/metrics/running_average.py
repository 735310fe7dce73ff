"""``RunningAverage``: exponential moving average of a metric or of the engine output."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from ignite.engine.events import Events
from ignite.metrics.metric import (
    Metric,
    MetricUsage,
    RunningBatchWise,
    SingleEpochRunningBatchWise,
    _identity,
    _idist,
    _is_grad_enabled,
    _set_grad_enabled,
    _world_size,
    reinit__is_reduced,
)

if TYPE_CHECKING:
    from ignite.engine.engine import Engine

__all__ = ["RunningAverage"]


class RunningAverage(Metric):
    """Exponential moving average ``v = alpha * v + (1 - alpha) * x`` (the first ``x`` starts it).

    ``x`` is either the value of ``src`` (a metric, computed and reset at each of its updates) or the
    transformed engine output (averaged across ranks).

    Args:
        src: the metric to average, or ``None`` to average the output.
        alpha: weight of the running value, in ``(0, 1]``.
        output_transform: with ``src=None``, maps the engine output to the value to average (required).
        epoch_bound: deprecated; use ``attach(..., usage=...)`` (``True``: restart each epoch).
        device: with ``src=None``, the device of tensor values (default CPU).
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    With the default usage ``RunningBatchWise`` the value is updated every iteration and never restarted;
    ``SingleEpochRunningBatchWise`` restarts it every epoch; ``RunningEpochWise`` folds in the epoch value of
    ``src`` at the end of each epoch.

    ```python
    RunningAverage(output_transform=lambda out: out["loss"]).attach(trainer, "running_loss")
    RunningAverage(Accuracy()).attach(trainer, "running_acc")
    ```
    """

    required_output_keys = None
    _state_dict_all_req_keys = ("_value", "src")

    def __init__(
        self,
        src: Metric | None = None,
        alpha: float = 0.98,
        output_transform: Callable | None = None,
        epoch_bound: bool | None = None,
        device: str | torch.device | None = None,
        skip_unrolling: bool = False,
    ) -> None:
        if not (isinstance(src, Metric) or src is None):
            raise TypeError("Argument src should be a Metric or None.")
        if not (0.0 < alpha <= 1.0):
            raise ValueError("Argument alpha should be a float between 0.0 and 1.0.")

        if isinstance(src, Metric):
            if output_transform is not None:
                raise ValueError("Argument output_transform should be None if src is a Metric.")
            if device is not None:
                raise ValueError("Argument device should be None if src is a Metric.")
            output_transform = _identity
            device = src._device
        else:
            if output_transform is None:
                raise ValueError(
                    "Argument output_transform should not be None if src corresponds to the output of process function."
                )
            if device is None:
                device = torch.device("cpu")

        if epoch_bound is not None:
            warnings.warn(
                "`epoch_bound` is deprecated and will be removed in the future. Consider using `usage` argument of"
                " `attach` method instead. `epoch_bound=True` is equivalent with"
                " `usage=SingleEpochRunningBatchWise()` and `epoch_bound=False` is equivalent with"
                " `usage=RunningBatchWise()`."
            )
        self.src = src
        self.alpha = alpha
        self.epoch_bound = epoch_bound
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._value: float | torch.Tensor | None = None
        self._world_size: int | None = None  # read on the first update (idist's probe is not free)
        if isinstance(self.src, Metric):
            self.src.reset()

    @reinit__is_reduced
    def update(self, output: Any) -> None:
        if self.src is None:
            if isinstance(output, torch.Tensor):
                output = output.detach()
                output = output.clone() if output.device == self._device else output.to(self._device)
            world_size = self._world_size
            if world_size is None:
                world_size = self._world_size = _world_size()
            value = _idist().all_reduce(output) / world_size if world_size > 1 else output
        else:
            value = self.src.compute()
            self.src.reset()

        if self._value is None:
            self._value = value
        else:
            self._value = self._value * self.alpha + (1.0 - self.alpha) * value

    def compute(self) -> float | torch.Tensor | None:
        return self._value

    def iteration_completed(self, engine: Engine) -> None:
        if self.src is None:
            super().iteration_completed(engine)
            return
        # the value comes from ``src``: the engine output is not read (upstream rejected mapping outputs here)
        grad = _is_grad_enabled()
        if grad:
            _set_grad_enabled(False)
        try:
            self.update(None)
        finally:
            if grad:
                _set_grad_enabled(True)

    def _usage(self, usage: str | MetricUsage) -> MetricUsage:
        usage = self._check_usage(usage)
        if self.epoch_bound is not None:
            usage = SingleEpochRunningBatchWise() if self.epoch_bound else RunningBatchWise()
        return usage

    def attach(self, engine: Engine, name: str, usage: str | MetricUsage = RunningBatchWise()) -> None:
        usage = self._usage(usage)
        if isinstance(self.src, Metric) and not engine.has_event_handler(
            self.src.iteration_completed, Events.ITERATION_COMPLETED
        ):
            engine.add_event_handler(Events.ITERATION_COMPLETED, self.src.iteration_completed)
        super().attach(engine, name, usage)

    def detach(self, engine: Engine, usage: str | MetricUsage = RunningBatchWise()) -> None:
        usage = self._usage(usage)
        if isinstance(self.src, Metric) and engine.has_event_handler(
            self.src.iteration_completed, Events.ITERATION_COMPLETED
        ):
            engine.remove_event_handler(self.src.iteration_completed, Events.ITERATION_COMPLETED)
        super().detach(engine, usage)
