"""Collect the engine's outputs over an epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ignite.engine import Engine


class EpochOutputStore:
    """Keep ``output_transform(engine.state.output)`` of every iteration of the current epoch in ``data``.

    ```python
    from ignite.handlers import EpochOutputStore

    store = EpochOutputStore(output_transform=lambda out: out[0])
    store.attach(evaluator, name="predictions")  # also exposed as evaluator.state.predictions
    evaluator.run(data)
    all_predictions = store.data
    ```

    ``data`` is replaced by a new list at every epoch start, so a list taken from a previous epoch (or stored
    on the state) is not modified later.

    Args:
        output_transform: maps the engine's output to what is stored; default identity.
    """

    def __init__(self, output_transform: Callable = lambda x: x) -> None:
        self.data: list[Any] = []
        self.output_transform = output_transform

    def reset(self) -> None:
        """Start a new, empty list."""
        self.data = []

    def update(self, engine: Engine) -> None:
        """Append the transformed output of the current iteration."""
        self.data.append(self.output_transform(engine.state.output))

    def store(self, engine: Engine) -> None:
        """Expose the collected list as ``engine.state.<name>``."""
        setattr(engine.state, self.name, self.data)

    def attach(self, engine: Engine, name: str | None = None) -> None:
        """Reset at every epoch start and collect at every iteration.

        Args:
            engine: the engine whose outputs are collected.
            name: if given, the list is also stored as ``engine.state.<name>`` at every epoch end.
        """
        from ignite.engine.events import Events

        engine.add_event_handler(Events.EPOCH_STARTED, self.reset)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self.update)
        if name:
            self.name = name
            engine.add_event_handler(Events.EPOCH_COMPLETED, self.store)
