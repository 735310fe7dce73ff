"""Reading ``ExactResume`` states of format 1, which keyed objects by where they were found.

Format 1 keyed a handler object by ``<event>/<position among the event's handlers>/<class>`` of its first
registration, and an optimizer by its class and parameter shapes. Format 2 keys them by the resumable registry
(see ``ignite/engine/_resumable.py``). This module maps format-1 keys onto today's objects, for loading only.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import torch

from ignite.engine._resumable import OptimizerHyperParameters

if TYPE_CHECKING:
    from ignite.engine.engine import Engine

__all__ = ["handler_keys", "optimizer_keys", "optimizer_key"]


def _owner(handler: Callable) -> Any:
    func: Any = handler
    parent = getattr(func, "_parent", None)
    if isinstance(parent, weakref.ref):
        func = parent() or getattr(func, "_handler", func)
    while isinstance(func, functools.partial):
        func = func.func
    if inspect.ismethod(func):
        return func.__self__
    return func


def handler_keys(engine: Engine, candidates: Iterable[Any], skip: type) -> dict[str, Any]:
    """Format-1 keys of the ``candidates`` (the engine's resumable objects), from the engine's handler lists.

    Entries whose owner is an instance of ``skip`` (``ExactResume``) or marked ``_exact_resume_hook`` did not
    count in format 1's positions.
    """
    wanted = {id(obj): obj for obj in candidates}
    keyed: dict[str, Any] = {}
    seen: set[int] = set()
    registry = engine._event_handlers
    for event in sorted(registry, key=lambda e: str(getattr(e, "_name_", e))):
        event_name = str(getattr(event, "_name_", event))
        index = -1
        for func, _, _ in list(registry[event]):
            obj = _owner(func)
            if isinstance(obj, skip) or getattr(func, "_exact_resume_hook", False):
                continue
            index += 1
            if id(obj) in wanted and id(obj) not in seen:
                seen.add(id(obj))
                keyed[f"{event_name}/{index}/{type(obj).__qualname__}"] = obj
    return keyed


def optimizer_key(opt: torch.optim.Optimizer) -> str:
    """Format 1's name of an optimizer: its class and the shapes of its parameter groups."""
    groups = ";".join(",".join("x".join(map(str, p.shape)) for p in g["params"]) for g in opt.param_groups)
    return f"{type(opt).__qualname__}[{groups}]"


def optimizer_keys(candidates: Iterable[Any]) -> dict[str, OptimizerHyperParameters]:
    """Format-1 keys (``<class>[<shapes>]#<n>``) of the optimizer views among ``candidates``."""
    keyed: dict[str, OptimizerHyperParameters] = {}
    for obj in candidates:
        if isinstance(obj, OptimizerHyperParameters):
            key = optimizer_key(obj.optimizer)
            n = 0
            while f"{key}#{n}" in keyed:
                n += 1
            keyed[f"{key}#{n}"] = obj
    return keyed
