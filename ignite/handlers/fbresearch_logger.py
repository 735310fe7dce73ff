"""Training progress as log lines in the style of Meta research code bases (:class:`FBResearchLogger`)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import torch

from ignite.engine import Events
from ignite.handlers.timing import Timer
from ignite.utils import _to_str_list

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from ignite.engine import Engine

__all__ = ["FBResearchLogger"]

MB = 1024.0 * 1024.0


class FBResearchLogger:
    """Write epoch starts, one line every ``every`` iterations and epoch/run totals to a ``logging.Logger``.

    Args:
        logger: where the lines go (``logger.info``).
        delimiter: separator of the parts of a line.
        show_output: also write the (transformed) engine output.

    ```python
    import logging
    logging.basicConfig(level=logging.INFO)
    FBResearchLogger(logging.getLogger("train")).attach(trainer, name="Train", every=10, optimizer=optimizer)
    # Epoch [1/10]  [10/23]:  ETA: 0:00:01  lr: 0.10000  Iter time: 0.0021 s  Data prep time: 0.0003 s
    ```
    """

    def __init__(self, logger: Any, delimiter: str = "  ", show_output: bool = False) -> None:
        self.delimiter = delimiter
        self.logger = logger
        self.iter_timer = Timer(average=True)
        self.data_timer = Timer(average=True)
        self.show_output = show_output

    def attach(
        self,
        engine: Engine,
        name: str,
        every: int = 1,
        output_transform: Callable | None = None,
        state_attributes: list[str] | None = None,
        optimizer: Optimizer | None = None,
    ) -> None:
        """Log ``engine``'s progress under ``name``; ``optimizer`` adds its learning rates to each line."""
        self.name = name
        self.output_transform = output_transform
        self.state_attributes = state_attributes
        engine.add_event_handler(Events.EPOCH_STARTED, self.log_epoch_started, self.name)
        engine.add_event_handler(Events.ITERATION_COMPLETED(every=every), self.log_every, optimizer=optimizer)
        engine.add_event_handler(Events.EPOCH_COMPLETED, self.log_epoch_completed, self.name)
        engine.add_event_handler(Events.COMPLETED, self.log_completed, self.name)

        self.iter_timer.reset()
        self.iter_timer.attach(
            engine,
            start=Events.EPOCH_STARTED,
            resume=Events.ITERATION_STARTED,
            pause=Events.ITERATION_COMPLETED,
            step=Events.ITERATION_COMPLETED,
        )
        self.data_timer.reset()
        self.data_timer.attach(
            engine,
            start=Events.EPOCH_STARTED,
            resume=Events.GET_BATCH_STARTED,
            pause=Events.GET_BATCH_COMPLETED,
            step=Events.GET_BATCH_COMPLETED,
        )

    def log_every(self, engine: Engine, optimizer: Optimizer | None = None) -> None:
        """The per-iteration line: position, ETA, learning rates, outputs, state attributes, timings."""
        state = engine.state
        epoch_length = cast(int, state.epoch_length)  # set while the engine runs
        i = (state.iteration - 1) % epoch_length + 1
        iter_avg = self.iter_timer.value()
        data_avg = self.data_timer.value()
        eta = iter_avg * (epoch_length - i)

        lrs = ""
        if optimizer is not None:
            groups = optimizer.param_groups
            if len(groups) == 1:
                lrs = f"lr: {groups[0]['lr']:.5f}"
            else:
                lrs = "".join(f"lr [g{k}]: {g['lr']:.5f}" for k, g in enumerate(groups))

        outputs: list[str] = []
        if self.show_output and state.output is not None:
            out = self.output_transform(state.output) if self.output_transform is not None else state.output
            outputs = _to_str_list(out)

        state_attrs: list[str] = []
        if self.state_attributes is not None:
            state_attrs = _to_str_list({name: getattr(state, name, None) for name in self.state_attributes})

        cuda_mem = ""
        if torch.cuda.is_available():
            cuda_mem = f"GPU Max Mem: {torch.cuda.max_memory_allocated() / MB:.0f} MB"

        parts = [
            f"Epoch [{state.epoch}/{state.max_epochs}]",
            f"[{i}/{epoch_length}]:",
            f"ETA: {datetime.timedelta(seconds=int(eta))}",
            lrs,
            *outputs,
            " ".join(state_attrs),
            f"Iter time: {iter_avg:.4f} s",
            f"Data prep time: {data_avg:.4f} s",
            cuda_mem,
        ]
        self.logger.info(self.delimiter.join(parts))

    def log_epoch_started(self, engine: Engine, name: str) -> None:
        """``"{name}: start epoch [{epoch}/{max_epochs}]"``."""
        self.logger.info(f"{name}: start epoch [{engine.state.epoch}/{engine.state.max_epochs}]")

    def log_epoch_completed(self, engine: Engine, name: str) -> None:
        """The epoch's total time and time per iteration."""
        state = engine.state
        seconds = cast(float, state.times["EPOCH_COMPLETED"])  # counters and times are set while it runs
        info = f"Epoch [{state.epoch}/{state.max_epochs}]" if cast(int, state.max_epochs) > 1 else ""
        parts = [
            f"{name}: {info}",
            f"Total time: {datetime.timedelta(seconds=int(seconds))}",
            f"({seconds / cast(int, state.epoch_length):.4f} s / it)",
        ]
        self.logger.info(self.delimiter.join(parts))

    def log_completed(self, engine: Engine, name: str) -> None:
        """The run's total time (runs of more than one epoch)."""
        state = engine.state
        if cast(int, state.max_epochs) > 1:
            total = datetime.timedelta(seconds=int(cast(float, state.times["COMPLETED"])))
            self.logger.info(self.delimiter.join([f"{name}: run completed", f"Total time: {total}"]))
