"""Handler storage, compilation and dispatch for :class:`~ignite.engine.engine.Engine`.

Handlers are stored as upstream does, as ``(handler, args, kwargs)`` triples in per-event lists of
``engine._event_handlers`` (user code may read and patch those lists; the library's own modules go through the
engine's ``_prepend_handler``/``_append_handler``/``_handlers_of``/... methods). For speed each list also caches a
"compiled" form: calling convention and filter resolved once, recomputed only when the list changes. The
interpreter of that form (``dispatch_event``, ``call_compiled``) and the slow path for events fired with arguments
(``fire_with_arguments``) live here too; the engine binds them as its methods.
"""

from __future__ import annotations

import functools
import weakref
from collections import defaultdict
from collections.abc import Callable
from typing import Any


class _EngineRef(weakref.ref):
    """Weak reference to the engine stored as the first handler argument (marks "pass the engine")."""

    __slots__ = ()


class _FilteredHandler:
    """Calls ``handler`` only when ``event.filter(engine, counter)`` is true.

    Behaves like ``functools.wraps(handler)`` (signature and names follow the user handler) and exposes
    ``_parent``, a weak reference to the user handler. The engine is held weakly too, so no cycle forms.
    """

    def __init__(self, handler: Callable, event: Any, engine: Any) -> None:
        functools.update_wrapper(self, handler)
        self._handler = handler
        self._parent = weakref.ref(handler)
        self._event = event
        self._filter = event.filter
        self._engine_ref = weakref.ref(engine)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        engine = self._engine_ref()
        if engine is None:
            raise RuntimeError("Engine reference not resolved. Cannot execute event handler.")
        if self._filter(engine, engine.state.get_event_attrib_value(self._event)):
            return self._handler(*args, **kwargs)
        return None

    def __repr__(self) -> str:
        return f"<filtered {self._handler!r} on {self._event!r}>"


# calling conventions of a compiled entry
CALL_ENGINE, CALL_BARE, CALL_ENGINE_ARGS, CALL_ARGS, CALL_DEREF, EVERY_ENGINE, ONCE_ENGINE, FILTERED = range(8)


class _HandlerList(list):
    """A list of handler triples that drops its compiled form whenever it is modified."""

    __slots__ = ("_compiled",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._compiled: list | None = None

    def _changed(self) -> None:
        self._compiled = None


def _mutator(name: str) -> Callable:
    base = getattr(list, name)

    def method(self: _HandlerList, *args: Any, **kwargs: Any) -> Any:
        self._compiled = None
        return base(self, *args, **kwargs)

    method.__name__ = name
    return method


for _name in (
    "append",
    "extend",
    "insert",
    "remove",
    "pop",
    "clear",
    "sort",
    "reverse",
    "__setitem__",
    "__delitem__",
    "__iadd__",
    "__imul__",
):
    setattr(_HandlerList, _name, _mutator(_name))


def _event_key(event: Any) -> Any:
    """Name under which an event's handlers are stored (events compare by name)."""
    return getattr(event, "_name_", event)


class _HandlerRegistry(defaultdict):
    """``defaultdict(list)`` of handler lists that also indexes them by event name for the run loop."""

    def __init__(self) -> None:
        super().__init__(_HandlerList)
        self.by_name: dict[Any, _HandlerList] = {}
        self.version = 0

    def __missing__(self, key: Any) -> _HandlerList:
        value = _HandlerList()
        self[key] = value
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        if not isinstance(value, _HandlerList):
            value = _HandlerList(value)
        super().__setitem__(key, value)
        self.by_name[_event_key(key)] = value
        self.version += 1

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self.by_name.pop(_event_key(key), None)
        self.version += 1

    def invalidate(self) -> None:
        for handlers in self.values():
            handlers._changed()


def compile_handlers(handlers: _HandlerList, engine: Any, event_to_attr: dict) -> list:
    """Resolve each triple's calling convention and inline filter once; cached on the list.

    Entries are ``(kind, func, extra)``: ``CALL_ENGINE``/``CALL_BARE`` call ``func(engine)``/``func()``,
    ``EVERY_ENGINE``/``ONCE_ENGINE`` inline ``every``/``once`` filters as ``(attr, every)``/``(attr, values)``,
    ``FILTERED`` wraps another kind with
    ``(attr, filter, kind, extra)``, the remaining kinds carry ``(rest_args, kwargs, stored_args)``.
    """
    compiled = []
    for func, args, kwargs in handlers:
        first = args[0] if args else None
        is_ref = isinstance(first, weakref.ref)
        if is_ref and first() is engine:
            kind = CALL_ENGINE if len(args) == 1 and not kwargs else CALL_ENGINE_ARGS
            rest = args[1:]
        elif type(first) is _EngineRef or (is_ref and first() is None):
            # another engine's reference, or a dead one (which cannot be told from a dead engine's: calling
            # raises "Engine reference not resolved"); other live weakrefs are user arguments
            kind, rest = CALL_DEREF, args[1:]
        else:
            kind = CALL_BARE if not args and not kwargs else CALL_ARGS
            rest = args
        extra: tuple = (rest, kwargs, args)

        if type(func) is _FilteredHandler and kind != CALL_DEREF:
            attr = event_to_attr.get(func._event)
            if attr is not None:  # an unmapped event keeps the wrapper, which raises "Unknown event name"
                every = getattr(func._filter, "_every", 0)
                once = getattr(func._filter, "_once", None)
                if every and kind == CALL_ENGINE:
                    compiled.append((EVERY_ENGINE, func._handler, (attr, every)))
                elif once is not None and kind == CALL_ENGINE:
                    compiled.append((ONCE_ENGINE, func._handler, (attr, once)))
                else:
                    compiled.append((FILTERED, func._handler, (attr, func._filter, kind, extra)))
                continue
        compiled.append((kind, func, extra))
    handlers._compiled = compiled
    return compiled


# ------------------------------------------------------------------------------------------- interpreter
# The engine binds these as its methods ``_dispatch_event``, ``_call_compiled`` and ``_fire_with_arguments``.

_ENGINE_NOT_RESOLVED = "Engine reference not resolved. Cannot execute event handler."


def dispatch_event(engine: Any, event_name: Any, handlers: _HandlerList) -> None:
    """Run the compiled handlers of one event (no event arguments); the hot path of firing."""
    engine.last_event_name = event_name
    compiled = handlers._compiled
    if compiled is None:
        compiled = compile_handlers(handlers, engine, engine._mapping())
    # index loop with list-iterator semantics: a handler that changes this event's list (appends a
    # handler, removes one) is seen at once, as when iterating the live list
    i, n = 0, len(compiled)
    while i < n:
        kind, func, extra = compiled[i]
        i += 1
        if kind == CALL_ENGINE:
            func(engine)
        elif kind == EVERY_ENGINE:
            if not getattr(engine.state, extra[0]) % extra[1]:
                func(engine)
        elif kind == ONCE_ENGINE:
            if getattr(engine.state, extra[0]) in extra[1]:
                func(engine)
        elif kind == CALL_BARE:
            func()
        else:
            call_compiled(engine, kind, func, extra)
        if handlers._compiled is not compiled:
            compiled = handlers._compiled or compile_handlers(handlers, engine, engine._mapping())
            n = len(compiled)


def call_compiled(engine: Any, kind: int, func: Callable, extra: tuple) -> None:
    """The less common compiled calling conventions (extra arguments, custom filters, other engines)."""
    if kind == FILTERED:
        attr, flt, kind, extra = extra
        if not flt(engine, getattr(engine.state, attr)):
            return
        if kind == CALL_ENGINE:
            func(engine)
            return
        if kind == CALL_BARE:
            func()
            return
    rest, kwargs, args = extra
    if kind == CALL_ENGINE_ARGS:
        func(engine, *rest, **kwargs)
    elif kind == CALL_ARGS:
        func(*rest, **kwargs)
    else:
        target = args[0]()
        if target is None:
            raise RuntimeError(_ENGINE_NOT_RESOLVED)
        func(target, *rest, **kwargs)


def _is_self_or_dead(ref: weakref.ref, engine: Any) -> bool:
    target = ref()
    return target is engine or target is None


def fire_with_arguments(engine: Any, handlers: list, event_args: tuple, event_kwargs: dict) -> None:
    """Call the stored triples of one event with event arguments (``EXCEPTION_RAISED``, ``TERMINATE_SINGLE_EPOCH``)."""
    for func, args, kwargs in handlers:
        call_kwargs = {**kwargs, **event_kwargs} if event_kwargs else kwargs
        first = args[0] if args else None
        # the engine reference is the private _EngineRef (or an upstream-style weakref to this engine; a
        # dead weakref is taken for a dead engine's); any other weakref is a user argument, passed through
        if type(first) is _EngineRef or (isinstance(first, weakref.ref) and _is_self_or_dead(first, engine)):
            target = first()
            if target is None:
                raise RuntimeError(_ENGINE_NOT_RESOLVED)
            func(target, *event_args, *args[1:], **call_kwargs)
        else:
            func(*event_args, *args, **call_kwargs)
