"""The resumable-state protocol: objects that save and load their own state, and the engine's registry of them.

An object is resumable when it has ``state_dict()`` and ``load_state_dict(state_dict)`` (the protocol of
``torch.distributed.checkpoint.stateful.Stateful``). Such an object registers itself with an engine when it is
attached: through ``engine.add_event_handler`` (the handler object, or the instance of a bound-method handler),
or explicitly through :func:`register` (``Metric.attach`` does, under ``metric/<name>``). Nothing is discovered
by walking attributes; ``ExactResume`` saves what the registry holds.

Keys are stable: an explicit key, or the class name with ``#<n>`` for the n-th further object of that class
(``LossSum``, ``LossSum#1``), so adding a handler of another class changes no key.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

import torch

__all__ = ["Stateful", "is_stateful", "handler_owner", "register", "OptimizerHyperParameters", "ResumableRegistry"]


@runtime_checkable
class Stateful(Protocol):
    """What a resumable object provides (the same two methods as torch's ``Stateful``)."""

    def state_dict(self) -> Mapping[str, Any]: ...

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None: ...


def is_stateful(obj: Any) -> bool:
    """Whether ``obj`` has callable ``state_dict`` and ``load_state_dict`` and does not opt out.

    Classes opt out with a class attribute ``_ignite_resumable = False`` (``ExactResume`` itself); engines,
    modules and optimizers are saved by ``Checkpoint`` on their own and are never registered implicitly.
    """
    from ignite.engine.engine import Engine

    if obj is None or isinstance(obj, (type, ModuleType)) or not getattr(type(obj), "_ignite_resumable", True):
        return False
    if isinstance(obj, (torch.nn.Module, torch.optim.Optimizer, Engine)):
        return False
    return callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "load_state_dict", None))


def handler_owner(handler: Callable) -> Any:
    """The object behind a handler: the instance of a bound method, else the handler itself."""
    return getattr(handler, "__self__", handler)


class OptimizerHyperParameters:
    """A resumable view of an optimizer's hyper-parameters (``lr``, ``momentum``, ... of each param group).

    Handlers (an ``EPOCH_STARTED`` decay, a scheduler) change them; a resumed run re-fires ``STARTED`` and
    ``EPOCH_STARTED``, so ``ExactResume`` puts them back afterwards. The optimizer's buffers are not part of it:
    they belong in ``Checkpoint``'s ``to_save``.
    """

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"Argument optimizer should be a torch.optim.Optimizer, got {type(optimizer)}")
        self.optimizer = optimizer

    def state_dict(self) -> dict[str, Any]:
        groups = [
            {k: (v.clone() if isinstance(v, torch.Tensor) else v) for k, v in group.items() if k != "params"}
            for group in self.optimizer.param_groups
        ]
        return {"param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.optimizer.param_groups):
            raise ValueError(
                f"Argument state_dict holds {len(groups)} param groups, the optimizer has "
                f"{len(self.optimizer.param_groups)}"
            )
        for group, saved in zip(self.optimizer.param_groups, groups):
            group.update(saved)


class ResumableRegistry:
    """The resumable objects of one engine, in registration order, keyed stably (weakly held where possible)."""

    def __init__(self) -> None:
        self._entries: dict[str, Callable[[], Any]] = {}
        self._ids: set[int] = set()
        self._per_class: dict[str, int] = {}

    def add(self, obj: Any, key: str | None = None, hold: bool = False) -> str | None:
        """Register ``obj`` under ``key`` (default: its class name), numbered ``#<n>`` from the second object under
        the same name; returns the key, or ``None`` for an object already registered."""
        if id(obj) in self._ids and obj in self:
            return None
        name = type(obj).__qualname__ if key is None else key
        n = self._per_class.get(name, 0)
        self._per_class[name] = n + 1
        key = name if n == 0 else f"{name}#{n}"
        ref: Callable[[], Any]
        try:
            ref = _Strong(obj) if hold else weakref.ref(obj)
        except TypeError:
            ref = _Strong(obj)
        self._entries[key] = ref
        self._ids.add(id(obj))
        return key

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(key, object)`` of the registered objects still alive."""
        for key, get in list(self._entries.items()):
            obj = get()
            if obj is not None:
                yield key, obj

    def __contains__(self, obj: Any) -> bool:
        return any(o is obj for _, o in self.items())


class _Strong:
    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __call__(self) -> Any:
        return self.obj


def register(engine: Any, obj: Any, key: str | None = None, hold: bool = False) -> None:
    """Register ``obj`` as resumable state of ``engine`` (engines without a registry are left alone)."""
    method = getattr(engine, "_register_resumable", None)
    if method is not None:
        method(obj, key, hold=hold)
