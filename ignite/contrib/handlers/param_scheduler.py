"""Deprecated: moved to :mod:`ignite.handlers.param_scheduler` (importing this module warns)."""

from typing import Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = (
    "ConcatScheduler",
    "CosineAnnealingScheduler",
    "LinearCyclicalScheduler",
    "LRScheduler",
    "ParamGroupScheduler",
    "ParamScheduler",
    "PiecewiseLinear",
    "CyclicalScheduler",
    "create_lr_scheduler_with_warmup",
)
__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.param_scheduler", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
