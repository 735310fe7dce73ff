"""The :class:`Engine`: loops over data, calls a process function per batch and fires events."""

from __future__ import annotations

import logging
import math
import numbers
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any

from ignite.base import Serializable
from ignite.engine._dispatch import (
    _EngineRef,
    _event_key,
    _FilteredHandler,
    _HandlerRegistry,
    call_compiled,
    dispatch_event,
    fire_with_arguments,
)
from ignite.engine._resumable import ResumableRegistry, handler_owner, is_stateful
from ignite.engine.events import (
    _DEFAULT_EVENT_TO_ATTR,
    CallableEventWithFilter,
    EventEnum,
    Events,
    EventsList,
    RemovableEventHandle,
    State,
)
from ignite.engine.utils import _check_signature, _to_hours_mins_secs

__all__ = ["Engine"]

_SWITCH_TO_MAX_ITERS = (
    "To switch from max_epochs to max_iters mode during resume, you must first reset by setting "
    "'engine.state.max_epochs = None' before calling run()."
)
_SWITCH_TO_MAX_EPOCHS = (
    "To switch from max_iters to max_epochs mode during resume, you must first reset by setting "
    "'engine.state.max_iters = None' before calling run()."
)
_TERMINATE_EPOCH_AT_START = (
    "The method terminate_epoch() should not be called on Event.STARTED or Event.EPOCH_STARTED."
    "If this is a desired behaviour, please open a feature request on"
    "https://github.com/pytorch/ignite/issues/new/choose"
)


# enum member look-ups are slow; the run loop uses these module constants
_GET_BATCH_STARTED = Events.GET_BATCH_STARTED
_GET_BATCH_COMPLETED = Events.GET_BATCH_COMPLETED
_ITERATION_STARTED = Events.ITERATION_STARTED
_ITERATION_COMPLETED = Events.ITERATION_COMPLETED
_DATALOADER_STOP_ITERATION = Events.DATALOADER_STOP_ITERATION


class _EngineTerminateSingleEpochException(Exception):
    """Internal signal: stop the current epoch (``terminate_epoch``)."""


class _EngineTerminateException(Exception):
    """Internal signal: stop the run (``terminate``)."""


class _EngineReloadSignal(Exception):
    """Internal signal: a state was loaded while the run executes; continue from the loaded counters."""


def _get_none_data_iter(size: int) -> Iterator:
    """Iterator yielding ``None`` ``size`` times (the data of a ``run(data=None, epoch_length=...)``)."""
    for _ in range(size):
        yield None


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"Argument {name} should be an integer, but given {value!r}")


def _check_run_arguments(max_epochs: Any, max_iters: Any, epoch_length: Any) -> None:
    """Reject stop criteria the loop cannot honour (it would never stop on ``epoch_length=2.5``).

    ``max_epochs=0`` stays accepted on a fresh run (an empty run, as upstream); ``epoch_length < 1`` keeps its
    "zero size" error, raised where the epoch length is resolved.
    """
    if max_epochs is not None:
        _check_count("max_epochs", max_epochs)
        if max_epochs < 0:
            raise ValueError("Argument max_epochs is invalid. Please, set a correct max_epochs positive value")
    if max_iters is not None:
        _check_count("max_iters", max_iters)
        if max_iters < 1:
            raise ValueError("Argument max_iters is invalid. Please, set a correct max_iters positive value")
    if epoch_length is not None:
        _check_count("epoch_length", epoch_length)


class Engine(Serializable):
    """Runs ``process_function(engine, batch)`` over data for a number of epochs and fires events.

    ```python
    def train_step(engine, batch):
        ...
        return loss.item()

    trainer = Engine(train_step)

    @trainer.on(Events.EPOCH_COMPLETED)
    def log(engine):
        print(engine.state.epoch, engine.state.output)

    trainer.run(data, max_epochs=5)
    ```

    Handlers are resolved once when they are added (calling convention, filter) and events with no handler
    cost nothing. ``state.batch``/``state.output`` stay readable after a run, as upstream; set
    ``engine.release_batch_and_output = True`` to drop them when a run completes so no tensors stay alive.
    """

    _state_dict_all_req_keys = ("epoch_length", "iteration")
    _state_dict_one_of_opt_keys = (("max_epochs", "max_iters"),)
    interrupt_resume_enabled = True
    # beyond upstream, opt-in: drop state.batch/state.output when a run completes (no tensors kept alive)
    release_batch_and_output = False

    def __init__(self, process_function: Callable[[Engine, Any], Any]) -> None:
        self._event_handlers: _HandlerRegistry = _HandlerRegistry()
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)
        self._process_function = process_function
        self.last_event_name: Events | None = None
        self._should_terminate: bool | str = False
        self._should_terminate_single_epoch: bool | str = False
        self._should_interrupt = False
        self._reload_pending = False
        self._executing = False
        # explicit limits of the executing run() call; None once its epochs are over (TERMINATE, COMPLETED)
        self._run_limits: tuple[int | None, int | None] | None = None
        self._stop_flag = False
        self._update_debug()
        self.state = State()
        self._state_dict_user_keys: list[str] = []
        self._allowed_events: list[Any] = []
        self._allowed_keys: set[Any] = set()
        # every engine owns its counter mapping (built-ins + its own registrations): no leak across engines
        self._event_to_attr: dict[Any, str] | None = dict(_DEFAULT_EVENT_TO_ATTR)
        self._dataloader_iter: Iterator | None = None
        self._init_iter: int | None = None
        self._resumables = ResumableRegistry()  # objects whose state ExactResume saves (see _resumable.py)

        self.register_events(*Events)

        if self._process_function is None:
            raise ValueError("Engine must be given a processing function in order to run.")
        _check_signature(process_function, "process_function", self, None)
        self._internal_run_generator: Generator | None = None

    # ------------------------------------------------------------------ flags
    # The three public flags feed one private "something to check" flag read by the hot loop.

    @property
    def should_terminate(self) -> bool | str:
        return self._should_terminate

    @should_terminate.setter
    def should_terminate(self, value: bool | str) -> None:
        self._should_terminate = value
        self._update_stop_flag()

    @property
    def should_terminate_single_epoch(self) -> bool | str:
        return self._should_terminate_single_epoch

    @should_terminate_single_epoch.setter
    def should_terminate_single_epoch(self, value: bool | str) -> None:
        self._should_terminate_single_epoch = value
        self._update_stop_flag()

    @property
    def should_interrupt(self) -> bool:
        return self._should_interrupt

    @should_interrupt.setter
    def should_interrupt(self, value: bool) -> None:
        self._should_interrupt = value
        self._update_stop_flag()

    def _update_stop_flag(self) -> None:
        self._stop_flag = bool(
            self._should_terminate
            or self._should_terminate_single_epoch
            or self._should_interrupt
            or self._reload_pending
        )

    def _update_debug(self) -> None:
        # whether to log each firing, and whether firing may bypass ``_fire_event`` (not overridden)
        self._debug = self.logger.isEnabledFor(logging.DEBUG)
        self._fast_fire = type(self)._fire_event is Engine._fire_event and not self._debug

    # ------------------------------------------------------------ registration

    def register_events(self, *event_names: str | EventEnum, event_to_attr: dict | None = None) -> None:
        """Allow custom events (``str`` or :class:`EventEnum` members) to be fired and handled.

        ``event_to_attr`` maps events to the state attribute that filters use as their counter.
        """
        if not (event_to_attr is None or isinstance(event_to_attr, dict)):
            raise ValueError(f"Expected event_to_attr to be dictionary. Got {type(event_to_attr)}.")

        for index, e in enumerate(event_names):
            if not isinstance(e, (str, EventEnum)):
                raise TypeError(f"Value at {index} of event_names should be a str or EventEnum, but given {e}")
            self._allowed_events.append(e)
            self._allowed_keys.add(_event_key(e))
            if event_to_attr and e in event_to_attr:
                if self._event_to_attr is None:
                    self._event_to_attr = dict(_DEFAULT_EVENT_TO_ATTR)
                self._event_to_attr[e] = event_to_attr[e]
                # upstream keeps one global mapping and other code tests membership in it: publish new
                # events there, but never let one engine change the counter another engine uses
                State.event_to_attr.setdefault(e, event_to_attr[e])
        if self._event_to_attr is not None:
            self.state._event_to_attr = self._event_to_attr
            self._event_handlers.invalidate()
        self.state._update_attrs()

    def _mapping(self) -> dict[Any, str]:
        return self._event_to_attr if self._event_to_attr is not None else State.event_to_attr

    def has_registered_events(self, event: Any) -> bool:
        """Whether ``event`` was registered (built-in events always are)."""
        return _event_key(event) in self._allowed_keys

    def _assert_allowed_event(self, event_name: Any) -> None:
        if _event_key(event_name) not in self._allowed_keys:
            self.logger.error("attempt to add event handler to an invalid event %s", event_name)
            raise ValueError(f"Event {event_name} is not a valid event for this {self.__class__.__name__}.")

    def add_event_handler(self, event_name: Any, handler: Callable, *args: Any, **kwargs: Any) -> RemovableEventHandle:
        """Call ``handler`` (with the engine as first argument if it accepts it) whenever ``event_name`` fires.

        Returns a :class:`RemovableEventHandle`; extra ``args``/``kwargs`` are passed to the handler.
        """
        if isinstance(event_name, EventsList):
            for e in event_name:
                self.add_event_handler(e, handler, *args, **kwargs)
            return RemovableEventHandle(event_name, handler, self)

        self._note_resumable(handler)
        if isinstance(event_name, CallableEventWithFilter) and event_name.filter is not None:
            handler = _FilteredHandler(handler, event_name, self)

        self._assert_allowed_event(event_name)

        event_args: tuple = ()
        check_kwargs: dict = kwargs
        if event_name == Events.EXCEPTION_RAISED:
            event_args = (Exception(),)
        elif event_name == Events.TERMINATE_SINGLE_EPOCH:
            check_kwargs = {**kwargs, "iter_counter": 0}

        try:
            _check_signature(handler, "handler", self, *(event_args + args), **check_kwargs)
            self._event_handlers[event_name].append((handler, (_EngineRef(self),) + args, kwargs))
        except ValueError:
            _check_signature(handler, "handler", *(event_args + args), **check_kwargs)
            self._event_handlers[event_name].append((handler, args, kwargs))
        if self._debug:
            self.logger.debug("Added handler for event %s", event_name)

        return RemovableEventHandle(event_name, handler, self)

    # ------------------------------------------------- resumable state (used by ExactResume)

    def _register_resumable(self, obj: Any, key: str | None = None, hold: bool = False) -> None:
        """Record ``obj`` (with ``state_dict``/``load_state_dict``) as state of this engine's run, under ``key``."""
        if not is_stateful(obj):
            raise TypeError(f"Argument obj should have state_dict() and load_state_dict(), got {type(obj)}")
        self._resumables.add(obj, key, hold=hold)

    def _note_resumable(self, handler: Callable) -> None:
        """Register the object behind an added handler if it is resumable (once; at registration, not per event)."""
        owner = handler_owner(handler)
        if is_stateful(owner):
            self._resumables.add(owner)

    @staticmethod
    def _handler_matches(stored: Callable, handler: Callable) -> bool:
        parent = getattr(stored, "_parent", None)
        if parent is not None:
            return parent() == handler
        return stored == handler

    def has_event_handler(self, handler: Callable, event_name: Any | None = None) -> bool:
        """Whether ``handler`` is registered for ``event_name`` (any event if ``None``); filters are ignored."""
        if event_name is not None:
            if event_name not in self._event_handlers:
                return False
            events: Iterable = [event_name]
        else:
            events = list(self._event_handlers)
        for e in events:
            for h, _, _ in self._event_handlers[e]:
                if self._handler_matches(h, handler):
                    return True
        return False

    def remove_event_handler(self, handler: Callable, event_name: Any) -> None:
        """Remove every registration of ``handler`` for ``event_name``."""
        if event_name not in self._event_handlers:
            raise ValueError(f"Input event name '{event_name}' does not exist")
        handlers = self._event_handlers[event_name]
        kept = [entry for entry in handlers if not self._handler_matches(entry[0], handler)]
        if len(kept) == len(handlers):
            raise ValueError(f"Input handler '{handler}' is not found among registered event handlers")
        handlers[:] = kept

    # ------------------------------------------------------- handler surgery
    # The library's own tools (profilers, resume, preemption) place and inspect handlers through these methods;
    # no other module builds or edits the stored ``(handler, args, kwargs)`` entries. They skip the signature
    # check of add_event_handler: the caller states whether the handler takes the engine.

    def _new_entry(self, event_name: Any, handler: Callable, pass_engine: bool) -> tuple:
        self._assert_allowed_event(event_name)
        if isinstance(event_name, CallableEventWithFilter) and event_name.filter is not None:
            handler = _FilteredHandler(handler, event_name, self)
        return (handler, (_EngineRef(self),) if pass_engine else (), {})

    def _prepend_handler(self, event_name: Any, handler: Callable, *, pass_engine: bool = True) -> tuple:
        """Make ``handler`` the first to run on ``event_name`` (filters such as ``every=`` apply, as in
        :meth:`add_event_handler`); it is called as ``handler(engine)``, or ``handler()`` with
        ``pass_engine=False``. Returns the stored entry, for :meth:`_remove_entry`."""
        entry = self._new_entry(event_name, handler, pass_engine)
        self._event_handlers[event_name].insert(0, entry)
        return entry

    def _append_handler(self, event_name: Any, handler: Callable, *, pass_engine: bool = True) -> tuple:
        """As :meth:`_prepend_handler`, but ``handler`` runs after those registered so far (also when added
        while ``event_name`` fires: it runs in that same firing)."""
        entry = self._new_entry(event_name, handler, pass_engine)
        self._event_handlers[event_name].append(entry)
        return entry

    def _stored(self, event_name: Any) -> list:
        """The live list of ``event_name``'s entries, or a new empty list (not stored) if it has none."""
        handlers = self._event_handlers.by_name.get(_event_key(event_name))
        return handlers if handlers is not None else []

    def _remove_entry(self, event_name: Any, entry: tuple) -> bool:
        """Remove exactly ``entry`` (as returned by :meth:`_prepend_handler`/:meth:`_append_handler`); whether it
        was there."""
        handlers = self._stored(event_name)
        for i, stored in enumerate(handlers):
            if stored is entry:
                del handlers[i]
                return True
        return False

    def _handlers_of(self, event_name: Any) -> list[Callable]:
        """The callables stored for ``event_name``, in firing order (a filtered handler is its filter wrapper)."""
        return [entry[0] for entry in self._stored(event_name)]

    def _handler_events(self) -> list[Any]:
        """The events that have (or had) a handler list."""
        return list(self._event_handlers)

    def _move_handler_last(self, event_name: Any, handler: Callable) -> None:
        """Move the first registration of ``handler`` on ``event_name`` to the end of that event's handlers."""
        handlers = self._stored(event_name)
        for i, entry in enumerate(handlers):
            if self._handler_matches(entry[0], handler):
                if i != len(handlers) - 1:
                    handlers.append(handlers.pop(i))
                return

    def _replace_handlers(self, event_name: Any, replace: Callable[[Callable], Callable]) -> None:
        """Replace each callable ``h`` stored for ``event_name`` by ``replace(h)``, keeping its place and its
        arguments (``replace`` returns ``h`` itself to leave it)."""
        handlers = self._stored(event_name)
        for i, (func, args, kwargs) in enumerate(handlers):
            new = replace(func)
            if new is not func:
                handlers[i] = (new, args, kwargs)

    def on(self, event_name: Any, *args: Any, **kwargs: Any) -> Callable:
        """Decorator form of :meth:`add_event_handler`; returns the function unchanged."""

        def decorator(f: Callable) -> Callable:
            self.add_event_handler(event_name, f, *args, **kwargs)
            return f

        return decorator

    # ----------------------------------------------------------------- firing

    def _fire_event(self, event_name: Any, *event_args: Any, **event_kwargs: Any) -> None:
        if self._debug:
            self.logger.debug(
                "%s | %s, Firing handlers for event %s", self.state.epoch, self.state.iteration, event_name
            )
        handlers = self._event_handlers.by_name.get(getattr(event_name, "_name_", event_name))
        if not handlers:
            self.last_event_name = event_name
        elif event_args or event_kwargs:
            self.last_event_name = event_name
            self._fire_with_arguments(handlers, event_args, event_kwargs)
        else:
            self._dispatch_event(event_name, handlers)

    # the compiled-entry interpreter lives beside the format it decodes; bound here as methods
    _dispatch_event = dispatch_event
    _call_compiled = call_compiled
    _fire_with_arguments = fire_with_arguments

    def fire_event(self, event_name: Any) -> None:
        """Fire a registered event (typically a custom one) now."""
        key = getattr(event_name, "_name_", event_name)
        if key not in self._allowed_keys:
            self._assert_allowed_event(event_name)
        if self._fast_fire:
            handlers = self._event_handlers.by_name.get(key)
            if handlers:
                self._dispatch_event(event_name, handlers)
            else:
                self.last_event_name = event_name
        else:
            self._fire_event(event_name)

    # ------------------------------------------------------- run control

    def interrupt(self) -> None:
        """Pause the run after the current step; a later :meth:`run` call resumes exactly there."""
        if not self.interrupt_resume_enabled:
            raise RuntimeError(
                "Engine 'interrupt/resume' feature is disabled. "
                "Please, set Engine.interrupt_resume_enabled=True to enable it"
            )
        self.logger.info("interrupt signaled. Engine will interrupt the run after current iteration is finished.")
        self.should_interrupt = True

    def terminate(self, skip_completed: bool = False) -> None:
        """Stop the run after the current step; ``TERMINATE`` then (unless skipped) ``COMPLETED`` fire."""
        self.logger.info("Terminate signaled. Engine will stop after current iteration is finished.")
        self.should_terminate = "skip_completed" if skip_completed else True

    def terminate_epoch(self, skip_epoch_completed: bool = False) -> None:
        """Stop the current epoch after the current step and continue with the next one."""
        self.logger.info(
            "Terminate current epoch is signaled. "
            "Current epoch iteration will stop after current iteration is finished."
        )
        self.should_terminate_single_epoch = "skip_epoch_completed" if skip_epoch_completed else True

    # ---------------------------------------------------------- state dict

    @property
    def state_dict_user_keys(self) -> list:
        return self._state_dict_user_keys

    def state_dict(self) -> OrderedDict:
        """``epoch_length``, ``iteration``, ``max_epochs`` or ``max_iters``, then the user keys."""
        keys: tuple = self._state_dict_all_req_keys
        keys += ("max_iters",) if self.state.max_iters is not None else ("max_epochs",)
        keys += tuple(self._state_dict_user_keys)
        return OrderedDict([(k, getattr(self.state, k)) for k in keys])

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore counters and stop criterion (and user keys) so that the next :meth:`run` resumes.

        Called while a run executes (e.g. from a ``STARTED`` handler that loads a checkpoint), the run goes on
        from the loaded epoch and iteration: the current epoch, if any, ends without ``EPOCH_COMPLETED`` and the
        next one resumes as a resumed run would. A ``max_epochs``/``max_iters`` passed to that :meth:`run` call
        still applies, as if the state had been loaded before the call. A suspended (interrupted) run is
        discarded instead.
        """
        state_dict = self._with_both_counters(state_dict)
        super().load_state_dict(state_dict)
        for k in self._state_dict_user_keys:
            if k not in state_dict:
                raise ValueError(
                    f"Required user state attribute '{k}' is absent in provided state_dict '{state_dict.keys()}'"
                )
        # validate the stop criterion before touching the state
        epoch_length = state_dict["epoch_length"]
        iteration = state_dict["iteration"]
        epoch = iteration // epoch_length if epoch_length else state_dict.get("epoch", 0) or 0
        run_limits = self._check_loaded_limits(state_dict, epoch, iteration)

        for k in self._state_dict_user_keys:
            setattr(self.state, k, state_dict[k])
        self.state.epoch_length = epoch_length
        self.state.iteration = iteration
        self.state.epoch = epoch
        if "max_epochs" in state_dict:
            self.state.max_iters = None
            self.state.max_epochs = state_dict["max_epochs"]
        if "max_iters" in state_dict:
            self.state.max_epochs = None
            self.state.max_iters = state_dict["max_iters"]

        if not self._executing:
            self._discard_suspended_run()
        elif run_limits is not None:  # else loaded at TERMINATE/COMPLETED: the next run() resumes from it
            self._continue_from_loaded(*run_limits)

    @staticmethod
    def _with_both_counters(state_dict: Mapping) -> Mapping:
        """``state_dict`` with ``iteration`` and ``epoch`` both set when it gives one of them."""
        if "iteration" in state_dict and "epoch" in state_dict:
            raise ValueError(
                "State dictionary should contain only one of 'iteration' or 'epoch' keys. "
                f"Found both: iteration={state_dict['iteration']}, epoch={state_dict['epoch']}."
            )
        if not (isinstance(state_dict, Mapping) and ("iteration" in state_dict or "epoch" in state_dict)):
            return state_dict
        state_dict = dict(state_dict)
        it, ep = state_dict.get("iteration"), state_dict.get("epoch")
        if it == 0 or ep == 0:
            state_dict["iteration"] = state_dict["epoch"] = 0
            return state_dict
        el = state_dict.get("epoch_length")
        if el is None or el <= 0:
            raise ValueError(
                "epoch_length must be a positive integer to calculate missing 'iteration' or 'epoch' "
                f"key. Input state_dict: {state_dict}"
            )
        if it is None:
            state_dict["iteration"] = ep * el
        else:
            state_dict["epoch"] = it // el
        return state_dict

    def _check_loaded_limits(
        self, state_dict: Mapping, epoch: int, iteration: int
    ) -> tuple[int | None, int | None] | None:
        """Validate the loaded stop criterion, and the limits of the executing :meth:`run` call if any.

        Returns those limits when the state is loaded from inside the running loop (the run continues from
        it), else ``None``.
        """
        if state_dict.get("max_epochs") is not None:
            self._validate_max("max_epochs", state_dict["max_epochs"], epoch, "epoch")
        if state_dict.get("max_iters") is not None:
            self._validate_max("max_iters", state_dict["max_iters"], iteration, "iteration")
        if not self._executing or self._run_limits is None:
            return None
        run_max_epochs, run_max_iters = self._run_limits
        if run_max_epochs is not None:
            if state_dict.get("max_iters") is not None:
                raise ValueError(_SWITCH_TO_MAX_EPOCHS)
            self._validate_max("max_epochs", run_max_epochs, epoch, "epoch")
        if run_max_iters is not None:
            if state_dict.get("max_epochs") is not None:
                raise ValueError(_SWITCH_TO_MAX_ITERS)
            self._validate_max("max_iters", run_max_iters, iteration, "iteration")
        return self._run_limits

    def _continue_from_loaded(self, run_max_epochs: int | None, run_max_iters: int | None) -> None:
        """Loaded from inside the running loop: never close the executing generator; the loop's next check drops
        the current epoch and continues from the loaded counters, under the limits of the running call."""
        if run_max_epochs is not None:
            self.state.max_epochs = run_max_epochs
        if run_max_iters is not None:
            self.state.max_iters = run_max_iters
        self._init_iter = None
        self._reload_pending = True
        self._update_stop_flag()

    @staticmethod
    def _validate_max(name: str, value: int, current: int, what: str) -> None:
        if value < 1:
            raise ValueError(f"Argument {name} is invalid. Please, set a correct {name} positive value")
        if value < current:
            raise ValueError(
                f"Argument {name} should be greater than or equal to the start {what} defined in the state: "
                f"{value} vs {current}. Please, set engine.state.{name} = None "
                "before calling engine.run() in order to restart the training from the beginning."
            )

    def _check_and_set_max_epochs(self, max_epochs: int | None = None) -> None:
        if max_epochs is not None:
            self._validate_max("max_epochs", max_epochs, self.state.epoch, "epoch")
            self.state.max_epochs = max_epochs

    def _check_and_set_max_iters(self, max_iters: int | None = None) -> None:
        if max_iters is not None:
            self._validate_max("max_iters", max_iters, self.state.iteration, "iteration")
            self.state.max_iters = max_iters

    # ------------------------------------------------------------ data

    def set_data(self, data: Iterable) -> None:
        """Switch the data source now: the next batch is fetched from ``data``; epoch length is unchanged."""
        self.state.dataloader = data
        self._dataloader_iter = iter(data)

    @staticmethod
    def _get_data_length(data: Iterable) -> int | None:
        try:
            if hasattr(data, "__len__"):
                return len(data)  # type: ignore[arg-type]
        except TypeError:
            pass
        return None

    def _setup_dataloader_iter(self) -> None:
        if self.state.dataloader is None:
            if self.state.epoch_length is None:
                raise RuntimeError(
                    "Internal error, self.state.epoch_length is None. "
                    "Please, file an issue if you encounter this error."
                )
            self._dataloader_iter = _get_none_data_iter(self.state.epoch_length)
        else:
            self._dataloader_iter = iter(self.state.dataloader)

    def _setup_engine(self) -> None:
        self._setup_dataloader_iter()
        if self._init_iter is None:
            iteration = self.state.iteration
            if self.state.epoch_length is not None:
                iteration %= self.state.epoch_length
            self._init_iter = iteration

    # ------------------------------------------------------------- run

    @staticmethod
    def _is_done(state: State) -> bool:
        is_done_iters = state.max_iters is not None and state.iteration >= state.max_iters
        is_done_count = (
            state.epoch_length is not None
            and state.max_epochs is not None
            and state.iteration >= state.epoch_length * state.max_epochs
        )
        is_done_epochs = state.max_epochs is not None and state.epoch >= state.max_epochs
        return is_done_iters or is_done_count or is_done_epochs

    def _discard_suspended_run(self) -> None:
        gen = self._internal_run_generator
        if gen is not None:
            self._internal_run_generator = None
            gen.close()
        self._dataloader_iter = None

    def run(
        self,
        data: Iterable | None = None,
        max_epochs: int | None = None,
        max_iters: int | None = None,
        epoch_length: int | None = None,
    ) -> State:
        """Run (or resume) over ``data`` until ``max_epochs`` epochs or ``max_iters`` iterations; return the state.

        A finished engine starts a new run; a terminated, interrupted or loaded one resumes.
        """
        self._check_run_call(data, max_epochs, max_iters, epoch_length)
        self._update_debug()
        state = self.state
        if self._event_to_attr is not None and state.__dict__.get("_event_to_attr") is not self._event_to_attr:
            state._event_to_attr = self._event_to_attr

        if self._starts_new_run():
            self._begin_new_run(data, max_epochs, max_iters, epoch_length)
        elif self._internal_run_generator is None:
            self._begin_resume(data, epoch_length)
        # else: an interrupted run continues where it was suspended

        if self._dataloader_iter is None:
            state.dataloader = data
        return self._advance((max_epochs, max_iters))

    def _check_run_call(
        self, data: Iterable | None, max_epochs: int | None, max_iters: int | None, epoch_length: int | None
    ) -> None:
        """Phase 1: reject bad arguments; a raised limit of an unfinished run is applied to the state."""
        if data is not None and not isinstance(data, Iterable):
            raise TypeError("Argument data should be iterable")
        _check_run_arguments(max_epochs, max_iters, epoch_length)
        state = self.state
        if max_epochs is not None and max_iters is not None:
            raise ValueError(
                "Arguments max_iters and max_epochs are mutually exclusive. "
                "Please provide only max_epochs or max_iters."
            )
        if max_iters is not None and state.max_epochs is not None:
            raise ValueError(_SWITCH_TO_MAX_ITERS)
        if max_epochs is not None and state.max_iters is not None:
            raise ValueError(_SWITCH_TO_MAX_EPOCHS)
        if state.max_epochs is not None:
            self._check_and_set_max_epochs(max_epochs)
        if state.max_iters is not None:
            self._check_and_set_max_iters(max_iters)

    def _starts_new_run(self) -> bool:
        """A never-run (or reset) engine, or a finished one with no suspended run, starts from zero."""
        state = self.state
        if state.max_epochs is None and state.max_iters is None:
            return True
        return self._is_done(state) and self._internal_run_generator is None

    def _begin_new_run(
        self, data: Iterable | None, max_epochs: int | None, max_iters: int | None, epoch_length: int | None
    ) -> None:
        """Phase 2a: reset the counters and set the stop criterion and epoch length of a fresh run."""
        state = self.state
        if data is None and epoch_length is None and state.epoch_length is None:
            raise ValueError("epoch_length should be provided if data is None")
        if epoch_length is None:
            epoch_length = self._get_data_length(data) if data is not None else None
            if epoch_length is None:
                epoch_length = state.epoch_length
        if epoch_length is not None and epoch_length < 1:
            raise ValueError("Input data has zero size. Please provide non-empty data")
        if max_iters is not None:
            max_epochs = None
        elif max_epochs is None:
            max_epochs = 1
        self._discard_suspended_run()
        state.iteration = 0
        state.epoch = 0
        state.max_epochs = max_epochs
        state.max_iters = max_iters
        state.epoch_length = epoch_length
        self._init_iter = None
        if max_iters is not None:
            self.logger.info("Engine run starting with max_iters=%s.", max_iters)
        else:
            self.logger.info("Engine run starting with max_epochs=%s.", max_epochs)

    def _begin_resume(self, data: Iterable | None, epoch_length: int | None) -> None:
        """Phase 2b: continue a terminated or loaded run from its counters (the epoch length must agree)."""
        state = self.state
        if state.epoch_length is not None:
            if epoch_length is not None and epoch_length != state.epoch_length:
                raise ValueError(
                    "Argument epoch_length should be same as in the state, "
                    f"but given {epoch_length} vs {state.epoch_length}"
                )
        else:
            if epoch_length is None and data is not None:
                epoch_length = self._get_data_length(data)
            if epoch_length is not None:
                if epoch_length < 1:
                    raise ValueError("Input data has zero size. Please provide non-empty data")
                state.epoch_length = epoch_length
        until: int | None = state.max_iters
        unit = "iterations"
        if until is None:
            until, unit = state.max_epochs, "epochs"
        self.logger.info(
            "Engine run resuming from iteration %s, epoch %s until %s %s", state.iteration, state.epoch, until, unit
        )
        if state.epoch_length is None and data is None:
            raise ValueError("epoch_length should be provided if data is None")
        if self.should_terminate:
            self._init_iter = 0

    def _advance(self, run_limits: tuple[int | None, int | None]) -> State:
        """Phase 3: step the run generator (new or suspended) until the run ends or is interrupted."""
        gen = self._internal_run_generator
        if gen is None:
            gen = self._internal_run_as_gen()
            if self.interrupt_resume_enabled:
                self._internal_run_generator = gen
        self._run_limits = run_limits
        self._executing = True
        try:
            return next(gen)
        except StopIteration as out:
            self._internal_run_generator = None
            return out.value
        except BaseException:
            self._internal_run_generator = None
            raise
        finally:
            self._executing = False
            self._run_limits = None
            if self._reload_pending:  # loaded where no check followed (e.g. the run raised)
                self._reload_pending = False
                self._update_stop_flag()

    @staticmethod
    def _init_timers(state: State) -> None:
        state.times[Events.EPOCH_COMPLETED.name] = 0.0
        state.times[Events.COMPLETED.name] = 0.0

    def _check(self, allow_terminate_epoch: bool = True) -> Generator:
        """The termination/interrupt check run after most events (a generator: it yields on interrupt)."""
        if self._should_terminate:
            raise _EngineTerminateException()
        if self._reload_pending:
            self._reload_pending = False
            self._update_stop_flag()
            raise _EngineReloadSignal()
        if self._should_terminate_single_epoch:
            if not allow_terminate_epoch:
                raise RuntimeError(_TERMINATE_EPOCH_AT_START)
            raise _EngineTerminateSingleEpochException()
        if self._should_interrupt and self.interrupt_resume_enabled:
            self._fire_event(Events.INTERRUPT)
            self.should_interrupt = False
            yield self.state

    def _internal_run_as_gen(self) -> Generator:
        self.should_terminate = self.should_terminate_single_epoch = self.should_interrupt = False
        self._init_timers(self.state)
        start_time = time.time()
        try:
            try:
                self._fire_event(Events.STARTED)
                if self._stop_flag:
                    try:
                        yield from self._check(allow_terminate_epoch=False)
                    except _EngineReloadSignal:
                        self._dataloader_iter = None

                while not self._is_done(self.state) and not self._should_terminate:
                    try:
                        yield from self._run_epoch_as_gen()
                    except _EngineReloadSignal:
                        # a state was loaded by a handler: the cut epoch is dropped, the next one resumes
                        self._dataloader_iter = None
            except _EngineTerminateException:
                self._run_limits = None
                self._fire_event(Events.TERMINATE)
            else:
                self._run_limits = None
                if self._should_terminate:
                    self._fire_event(Events.TERMINATE)

            time_taken = time.time() - start_time
            self.state.times[Events.COMPLETED.name] = time_taken
            if self._should_terminate != "skip_completed":
                handlers_start = time.time()
                self._fire_event(Events.COMPLETED)
                time_taken += time.time() - handlers_start
                self.state.times[Events.COMPLETED.name] = time_taken
            if self.release_batch_and_output:
                self.state.batch = self.state.output = None
            if self.logger.isEnabledFor(logging.INFO):
                hours, mins, secs = _to_hours_mins_secs(time_taken)
                self.logger.info(f"Engine run finished. Time taken: {hours:02d}:{mins:02d}:{secs:06.3f}")
        except GeneratorExit:
            # a suspended (interrupted) run is being discarded: not an error
            self._dataloader_iter = None
            raise
        except BaseException as e:
            self._dataloader_iter = None
            if getattr(e, "_ignite_handled", False):
                raise
            self.logger.error("Engine run is terminating due to exception: %s", e)
            self._handle_exception(e)

        self._dataloader_iter = None
        return self.state

    def _run_epoch_as_gen(self) -> Generator:
        """One epoch with its ``EPOCH_STARTED``/``EPOCH_COMPLETED`` events and timing."""
        self.state.epoch += 1
        epoch_start = time.time()
        self._fire_event(Events.EPOCH_STARTED)
        if self._stop_flag:
            yield from self._check(allow_terminate_epoch=False)
        if self._dataloader_iter is None:
            self._setup_engine()

        yield from self._run_once_on_dataset_as_gen()

        epoch_time = time.time() - epoch_start
        self.state.times[Events.EPOCH_COMPLETED.name] = epoch_time
        if self._should_terminate_single_epoch != "skip_epoch_completed":
            handlers_start = time.time()
            self._fire_event(Events.EPOCH_COMPLETED)
            epoch_time += time.time() - handlers_start
            self.state.times[Events.EPOCH_COMPLETED.name] = epoch_time
        if self._should_terminate_single_epoch:
            self.should_terminate_single_epoch = False
        if self._stop_flag:
            yield from self._check()
        if self.logger.isEnabledFor(logging.INFO):
            hours, mins, secs = _to_hours_mins_secs(epoch_time)
            self.logger.info(f"Epoch[{self.state.epoch}] Complete. Time taken: {hours:02d}:{mins:02d}:{secs:06.3f}")

    def _handle_exception(self, e: BaseException) -> None:
        if self._event_handlers.by_name.get(Events.EXCEPTION_RAISED.name):
            try:
                e._ignite_handled = True  # type: ignore[attr-defined]
            except AttributeError:
                pass
            self._fire_event(Events.EXCEPTION_RAISED, e)
        else:
            raise e

    def _run_once_on_dataset_as_gen(self) -> Generator:
        """One epoch: the iteration loop, then what ends it early (``terminate_epoch``, an exception)."""
        try:
            if self._dataloader_iter is None:
                raise RuntimeError(
                    "Internal error, self._dataloader_iter is None. Please, file an issue if you encounter this error."
                )
            cut_at = yield from self._run_iterations_as_gen()
        except (_EngineTerminateException, _EngineReloadSignal):
            raise
        except Exception as e:
            self.logger.error("Current run is terminating due to exception: %s", e)
            self._handle_exception(e)
            return
        if cut_at is not None:  # terminate_epoch(): its handlers run outside the handling of errors above
            self._fire_event(Events.TERMINATE_SINGLE_EPOCH, iter_counter=cut_at)
            self._setup_dataloader_iter()

    def _run_iterations_as_gen(self) -> Generator[State, None, int | None]:  # noqa: C901 - the hot loop: flat, one call per event
        """The iterations of one epoch: fetch a batch, run the process function, fire the per-iteration events.

        Returns ``None`` at the end of the epoch, or the epoch's iteration count when ``terminate_epoch`` cut it.
        This is the hot path: everything it reads per iteration is a local, and each event costs one call to the
        compiled handler list only when the event has handlers.
        """
        fast = self._fast_fire
        emit = self._emitter(fast)
        registry = self._event_handlers
        version = -1
        h_gbs = h_gbc = h_its = h_itc = None
        process = self._process_function
        iter_counter = self._init_iter or 0
        self._init_iter = None
        epoch_length = self.state.epoch_length
        try:
            while True:
                state = self.state
                if version != registry.version:
                    version = registry.version
                    h_gbs, h_gbc, h_its, h_itc = self._per_iteration_handlers(fast)
                state.batch = None
                has_loader = state.dataloader is not None
                if has_loader and h_gbs:
                    emit(_GET_BATCH_STARTED, h_gbs)
                    if self._stop_flag:
                        yield from self._check()
                try:
                    state.batch = next(self._dataloader_iter)  # type: ignore[arg-type]
                except StopIteration:
                    if (yield from self._on_data_exhausted(iter_counter, epoch_length, has_loader)):
                        return None
                    # a fresh iterator gave this batch (without GET_BATCH_STARTED); its handlers may have changed
                    has_loader = state.dataloader is not None
                    version = registry.version
                    h_gbs, h_gbc, h_its, h_itc = self._per_iteration_handlers(fast)
                state.output = None
                if has_loader:
                    if h_gbc:
                        emit(_GET_BATCH_COMPLETED, h_gbc)
                    if self._stop_flag:
                        yield from self._check()
                iter_counter += 1

                state.iteration += 1
                if h_its:
                    emit(_ITERATION_STARTED, h_its)
                    if self._stop_flag:
                        yield from self._check()

                state.output = process(self, state.batch)

                if h_itc:
                    emit(_ITERATION_COMPLETED, h_itc)
                if self._stop_flag:
                    yield from self._check()

                if iter_counter == epoch_length:  # never equal while the epoch length is unknown (None)
                    return None
                if state.max_iters is not None and state.iteration == state.max_iters:
                    self.should_terminate = True
                    raise _EngineTerminateException()
        except _EngineTerminateSingleEpochException:
            return iter_counter

    def _emitter(self, fast: bool) -> Callable[[Any, Any], None]:
        """How the epoch loop fires an event with handlers: ``emit(event, handlers)``. Fast: run the compiled
        handler list directly; otherwise every event goes through ``_fire_event`` (overridden, or debug logs)."""
        if fast:
            return self._dispatch_event
        fire = self._fire_event
        return lambda event, _: fire(event)

    def _per_iteration_handlers(self, fast: bool) -> tuple:
        """The handler lists of ``GET_BATCH_STARTED/COMPLETED`` and ``ITERATION_STARTED/COMPLETED`` (``None``
        where an event has none yet); the epoch loop reads them again when the registry replaces a list.

        Without the fast path every event goes through ``_fire_event``: all four are then ``True``.
        """
        if not fast:
            return True, True, True, True
        by_name = self._event_handlers.by_name
        return (
            by_name.get("GET_BATCH_STARTED"),
            by_name.get("GET_BATCH_COMPLETED"),
            by_name.get("ITERATION_STARTED"),
            by_name.get("ITERATION_COMPLETED"),
        )

    def _on_data_exhausted(
        self, iter_counter: int, epoch_length: int | None, has_loader: bool
    ) -> Generator[State, None, bool]:
        """The data iterator ran out before the epoch's end (the cold branch of the epoch loop).

        Data of unknown length has now given its epoch length: the epoch ends (``True``). Otherwise
        ``DATALOADER_STOP_ITERATION`` fires and a fresh iterator gives the next batch (``False``); when it gives
        nothing either, the epoch ends with a warning if the run is short of its iterations.
        """
        state = self.state
        if epoch_length is None:
            state.epoch_length = iter_counter
            if state.max_iters is not None:
                state.max_epochs = math.ceil(state.max_iters / iter_counter)
            return True
        if has_loader:
            self._fire_event(_DATALOADER_STOP_ITERATION)
            if self._stop_flag:
                yield from self._check()
        self._setup_dataloader_iter()
        try:
            state.batch = next(self._dataloader_iter)  # type: ignore[arg-type]
        except StopIteration:
            if not self._is_done(state):
                total = state.max_iters if state.max_iters is not None else epoch_length * state.max_epochs
                warnings.warn(
                    "Data iterator can not provide data anymore but required total number of "
                    "iterations to run is not reached. "
                    f"Current iteration: {state.iteration} vs Total iterations to run : {total}"
                )
            return True
        return False
