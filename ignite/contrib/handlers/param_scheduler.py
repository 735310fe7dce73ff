"""Deprecated: moved to :mod:`ignite.handlers.param_scheduler` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from ignite.handlers.param_scheduler import ConcatScheduler as ConcatScheduler
    from ignite.handlers.param_scheduler import CosineAnnealingScheduler as CosineAnnealingScheduler
    from ignite.handlers.param_scheduler import CyclicalScheduler as CyclicalScheduler
    from ignite.handlers.param_scheduler import LinearCyclicalScheduler as LinearCyclicalScheduler
    from ignite.handlers.param_scheduler import LRScheduler as LRScheduler
    from ignite.handlers.param_scheduler import ParamGroupScheduler as ParamGroupScheduler
    from ignite.handlers.param_scheduler import ParamScheduler as ParamScheduler
    from ignite.handlers.param_scheduler import PiecewiseLinear as PiecewiseLinear
    from ignite.handlers.param_scheduler import create_lr_scheduler_with_warmup as create_lr_scheduler_with_warmup

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.param_scheduler", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
