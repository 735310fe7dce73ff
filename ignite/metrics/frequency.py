"""``Frequency``: items processed per second."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from time import perf_counter
from typing import TYPE_CHECKING, Any

import torch

from ignite.engine.events import Events
from ignite.exceptions import NotComputableError
from ignite.metrics.metric import Metric, _identity, _world_size, reinit__is_reduced, sync_all_reduce

if TYPE_CHECKING:
    from ignite.engine.engine import Engine

__all__ = ["Frequency"]


class Frequency(Metric):
    """Number of items per second since the last reset, over all ranks; ``update`` takes a count.

    Attached, it is reset at each epoch start and stores ``int(compute())`` in ``engine.state.metrics`` at
    ``event_name`` (every iteration by default).

    ```python
    wps = Frequency(output_transform=lambda out: out["ntokens"])
    wps.attach(trainer, name="wps")
    ```
    """

    # upstream saved nothing; the count and the elapsed time are the state
    _state_dict_all_req_keys = ("_acc", "_n", "_elapsed")
    _state_dict_added_keys = ("_acc", "_n", "_elapsed")

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._start = perf_counter()
        self._acc = 0
        self._n = 0
        self._elapsed = 0.0

    @reinit__is_reduced
    def update(self, output: int) -> None:
        self._acc += output
        self._n = self._acc
        self._elapsed = perf_counter() - self._start

    @sync_all_reduce("_n", "_elapsed")
    def compute(self) -> float:
        if self._elapsed <= 0:
            raise NotComputableError("Frequency must have at least one example before it can be computed.")
        # total items over the mean elapsed time of the ranks
        return self._n / self._elapsed * _world_size()

    def _load_state_dict_per_rank(self, state_dict: Mapping) -> None:
        super()._load_state_dict_per_rank(state_dict)
        self._start = perf_counter() - self._elapsed  # the clock continues from the saved time

    def completed(self, engine: Engine, name: str) -> None:
        engine.state.metrics[name] = int(self.compute())

    def attach(  # type: ignore[override]
        self, engine: Engine, name: str, event_name: Any = Events.ITERATION_COMPLETED
    ) -> None:
        engine.add_event_handler(Events.EPOCH_STARTED, self.started)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self.iteration_completed)
        engine.add_event_handler(event_name, self.completed, name)
