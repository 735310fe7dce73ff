"""Events, event filters, the engine state and removable handler handles."""

from __future__ import annotations

import numbers
import warnings
import weakref
from collections.abc import Callable, Sequence
from enum import Enum
from types import DynamicClassAttribute
from typing import TYPE_CHECKING, Any

from ignite.engine.utils import _check_signature

if TYPE_CHECKING:
    import torch

    from ignite.engine.engine import Engine

__all__ = ["CallableEventWithFilter", "EventEnum", "Events", "State", "EventsList", "RemovableEventHandle"]


class CallableEventWithFilter:
    """An event that can be called to build a filtered copy of itself.

    ``Events.ITERATION_COMPLETED(every=10)`` returns an event equal to ``Events.ITERATION_COMPLETED`` whose
    ``filter`` decides, from the engine and the event's counter value, whether handlers run.
    """

    def __init__(self, value: str, event_filter: Callable | None = None, name: str | None = None) -> None:
        self.filter = event_filter
        if not hasattr(self, "_value_"):
            self._value_ = value
        if not hasattr(self, "_name_") and name is not None:
            self._name_ = name

    @DynamicClassAttribute
    def name(self) -> str:
        return self._name_

    @DynamicClassAttribute
    def value(self) -> str:
        return self._value_

    def __call__(
        self,
        event_filter: Callable | None = None,
        every: int | None = None,
        once: int | list | None = None,
        before: int | None = None,
        after: int | None = None,
    ) -> CallableEventWithFilter:
        groups = (event_filter is not None) + (once is not None) + any(v is not None for v in (every, before, after))
        if groups != 1:
            raise ValueError("Only one of the input arguments should be specified, except before, after and every")
        if event_filter is not None and not callable(event_filter):
            raise TypeError("Argument event_filter should be a callable")
        if every is not None and not (isinstance(every, numbers.Integral) and every > 0):
            raise ValueError("Argument every should be integer and greater than zero")
        if once is not None:
            valid = (isinstance(once, numbers.Integral) and once > 0) or (
                isinstance(once, Sequence)
                and len(once) > 0
                and all(isinstance(e, numbers.Integral) and e > 0 for e in once)
            )
            if not valid:
                raise ValueError(
                    f"Argument once should either be a positive integer or a list of positive integers, got {once}"
                )
        if before is not None and not (isinstance(before, numbers.Integral) and before >= 0):
            raise ValueError("Argument before should be integer and greater or equal to zero")
        if after is not None and not (isinstance(after, numbers.Integral) and after >= 0):
            raise ValueError("Argument after should be integer and greater or equal to zero")

        if every is not None and before is None and after is None:
            event_filter = None if every == 1 else self.every_event_filter(every)
        elif every is not None:
            event_filter = self.every_before_and_after_event_filter(every, before, after)
        elif once is not None:
            event_filter = self.once_event_filter([once] if isinstance(once, numbers.Integral) else list(once))
        elif before is not None or after is not None:
            event_filter = self.before_and_after_event_filter(before, after)

        if event_filter is not None:
            _check_signature(event_filter, "event_filter", "engine", "event")
        return CallableEventWithFilter(self.value, event_filter, self.name)

    @staticmethod
    def every_event_filter(every: int) -> Callable:
        """Filter firing when the event value is a multiple of ``every``."""

        def wrapper(engine: Engine, event: int) -> bool:
            return event % every == 0

        wrapper._every = every  # type: ignore[attr-defined]  # lets the engine inline the test
        return wrapper

    @staticmethod
    def once_event_filter(once: list) -> Callable:
        """Filter firing only for the listed event values."""
        values = frozenset(once)

        def wrapper(engine: Engine, event: int) -> bool:
            return event in values

        wrapper._once = values  # type: ignore[attr-defined]  # lets the engine inline the test
        return wrapper

    @staticmethod
    def before_and_after_event_filter(before: int | None = None, after: int | None = None) -> Callable:
        """Filter firing strictly between ``after`` and ``before``."""
        before_: float = float("inf") if before is None else before
        after_: int = 0 if after is None else after

        def wrapper(engine: Engine, event: int) -> bool:
            return after_ < event < before_

        return wrapper

    @staticmethod
    def every_before_and_after_event_filter(
        every: int, before: int | None = None, after: int | None = None
    ) -> Callable:
        """Filter firing every ``every`` values counted from ``after + 1``, strictly between the bounds."""
        before_: float = float("inf") if before is None else before
        after_: int = 0 if after is None else after

        def wrapper(engine: Engine, event: int) -> bool:
            return after_ < event < before_ and (event - after_ - 1) % every == 0

        return wrapper

    @staticmethod
    def default_event_filter(engine: Engine, event: int) -> bool:
        """Deprecated: always true."""
        warnings.warn(
            "Events.default_event_filter is deprecated and will be removed. Please, use None instead", UserWarning
        )
        return True

    def __repr__(self) -> str:
        out = f"Events.{self.name}"
        if self.filter is not None:
            out += f"(filter={self.filter})"
        return out

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, CallableEventWithFilter):
            return self._name_ == other._name_
        if isinstance(other, str):
            return self._name_ == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._name_)

    def __or__(self, other: Any) -> EventsList:
        return EventsList() | self | other


class EventEnum(CallableEventWithFilter, Enum):
    """Base class for enums of events: members are callable (filters) and combinable with ``|``.

    ```python
    class MyEvents(EventEnum):
        BACKWARD_DONE = "backward_done"

    engine.register_events(*MyEvents)
    ```
    """

    def __hash__(self) -> int:
        return hash(self._name_)


class Events(EventEnum):
    """Built-in events fired by :class:`~ignite.engine.engine.Engine`."""

    EPOCH_STARTED = "epoch_started"
    EPOCH_COMPLETED = "epoch_completed"
    STARTED = "started"
    COMPLETED = "completed"
    ITERATION_STARTED = "iteration_started"
    ITERATION_COMPLETED = "iteration_completed"
    EXCEPTION_RAISED = "exception_raised"
    GET_BATCH_STARTED = "get_batch_started"
    GET_BATCH_COMPLETED = "get_batch_completed"
    DATALOADER_STOP_ITERATION = "dataloader_stop_iteration"
    TERMINATE = "terminate"
    TERMINATE_SINGLE_EPOCH = "terminate_single_epoch"
    INTERRUPT = "interrupt"


class EventsList:
    """An ordered collection of events built with ``|``: ``Events.STARTED | Events.COMPLETED``."""

    def __init__(self) -> None:
        self._events: list[CallableEventWithFilter] = []

    def _append(self, event: Any) -> None:
        if not isinstance(event, (Events, CallableEventWithFilter)):
            raise TypeError(f"Argument event should be Events or CallableEventWithFilter, got: {type(event)}")
        self._events.append(event)

    def __getitem__(self, item: int) -> CallableEventWithFilter:
        return self._events[item]

    def __iter__(self) -> Any:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def __or__(self, other: Any) -> EventsList:
        self._append(event=other)
        return self


_DEFAULT_EVENT_TO_ATTR: dict[Any, str] = {
    Events.GET_BATCH_STARTED: "iteration",
    Events.GET_BATCH_COMPLETED: "iteration",
    Events.ITERATION_STARTED: "iteration",
    Events.ITERATION_COMPLETED: "iteration",
    Events.EPOCH_STARTED: "epoch",
    Events.EPOCH_COMPLETED: "epoch",
    Events.STARTED: "epoch",
    Events.COMPLETED: "epoch",
}


class State:
    """Run-time state of an engine: counters, stop criteria, current batch and output, metrics, timings.

    ``event_to_attr`` maps an event to the state attribute used as its counter by event filters. The
    class-level dict holds the built-in mapping; ``Engine.register_events(event_to_attr=...)`` adds custom
    mappings to that engine's state only (``_event_to_attr``), so they do not leak across engines.
    """

    event_to_attr: dict[Any, str] = dict(_DEFAULT_EVENT_TO_ATTR)

    # Attributes that only some engines or handlers set (annotations only: no class-level value, so
    # ``hasattr``/``getattr(state, name, default)`` still see them as missing until they are set).
    scaler: torch.amp.GradScaler
    """The ``GradScaler`` of ``create_supervised_trainer(..., scaler=True)``."""
    param_history: dict[str, list[Any]]
    """Values set by parameter schedulers with ``save_history=True``, by parameter name."""
    rng_states: Any
    _event_to_attr: dict[Any, str]
    """Event-to-counter mappings added by ``Engine.register_events`` for this engine only."""
    """The RNG states saved by ``DeterministicEngine`` (``None`` until one is captured)."""

    def __init__(self, **kwargs: Any) -> None:
        self.iteration = 0
        self.epoch = 0
        self.epoch_length: int | None = None
        self.max_epochs: int | None = None
        self.max_iters: int | None = None
        self.output: Any = None
        self.batch: Any = None
        self.metrics: dict[str, Any] = {}
        self.dataloader: Any = None
        self.seed: int | None = None
        self.times: dict[str, float | None] = {Events.EPOCH_COMPLETED.name: None, Events.COMPLETED.name: None}
        for k, v in kwargs.items():
            setattr(self, k, v)
        self._update_attrs()

    def _mapping(self) -> dict[Any, str]:
        return self.__dict__.get("_event_to_attr") or State.event_to_attr

    def _update_attrs(self) -> None:
        for value in self._mapping().values():
            if not hasattr(self, value):
                setattr(self, value, 0)

    def get_event_attrib_value(self, event_name: str | CallableEventWithFilter) -> int:
        """Current counter value of ``event_name`` (the state attribute it maps to)."""
        attr = self._mapping().get(event_name)
        if attr is None:
            raise RuntimeError(f"Unknown event name '{event_name}'")
        return getattr(self, attr)

    def __repr__(self) -> str:
        s = "State:\n"
        for attr, value in self.__dict__.items():
            if attr.startswith("_"):
                continue
            if not isinstance(value, (numbers.Number, str)):
                value = type(value)
            s += f"\t{attr}: {value}\n"
        return s


class RemovableEventHandle:
    """Handle returned by ``add_event_handler``; ``remove()`` (or leaving a ``with`` block) detaches the handler.

    It holds weak references only, so it keeps neither the engine nor the handler alive.
    """

    def __init__(
        self, event_name: CallableEventWithFilter | Enum | EventsList | Events, handler: Callable, engine: Engine
    ) -> None:
        self.event_name = event_name
        self.handler = weakref.ref(handler)
        self.engine = weakref.ref(engine)

    def remove(self) -> None:
        """Detach the handler (no-op if it or the engine is gone, or it was already removed)."""
        handler = self.handler()
        engine = self.engine()
        if handler is None or engine is None:
            return
        if hasattr(handler, "_parent"):
            handler = handler._parent()
            if handler is None:
                raise RuntimeError(
                    "Internal error! Please fill an issue on https://github.com/pytorch/ignite/issues "
                    "if encounter this error. Thank you!"
                )
        events = self.event_name if isinstance(self.event_name, EventsList) else [self.event_name]
        for e in events:
            if engine.has_event_handler(handler, e):
                engine.remove_event_handler(handler, e)

    def __enter__(self) -> RemovableEventHandle:
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        self.remove()
