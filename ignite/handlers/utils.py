"""Small helpers shared by handlers and loggers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ignite.engine.events import CallableEventWithFilter, State

if TYPE_CHECKING:
    from ignite.engine.engine import Engine

__all__ = ["global_step_from_engine"]


def global_step_from_engine(
    engine: Engine, custom_event_name: CallableEventWithFilter | None = None, fallback_attr: str = "epoch"
) -> Callable[[Any, Any], int]:
    """A ``global_step_transform`` reading the step from another engine (typically the trainer).

    ```python
    handler = Checkpoint(to_save, "ckpt", score_name="acc", global_step_transform=global_step_from_engine(trainer))
    evaluator.add_event_handler(Events.COMPLETED, handler)        # best_..._<trainer epoch>_acc=....pt
    ```

    The returned ``fn(_, event_name)`` gives ``engine``'s counter for ``custom_event_name`` if given, else for
    ``event_name``; for an event without a counter it gives ``engine.state.<fallback_attr>``.
    """

    def wrapper(_: Any, event_name: Any) -> int:
        if custom_event_name is not None:
            event_name = custom_event_name
        if event_name not in _event_to_attr(engine.state):
            return getattr(engine.state, fallback_attr)
        return engine.state.get_event_attrib_value(event_name)

    return wrapper


def _event_to_attr(state: State) -> dict:
    mapping = getattr(state, "_mapping", None)
    return mapping() if callable(mapping) else State.event_to_attr
