"""Deprecated: moved to :mod:`ignite.handlers.time_profilers` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = (
    "BasicTimeProfiler",
    "HandlersTimeProfiler",
)

if TYPE_CHECKING:
    from ignite.handlers.time_profilers import BasicTimeProfiler as BasicTimeProfiler
    from ignite.handlers.time_profilers import HandlersTimeProfiler as HandlersTimeProfiler

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.time_profilers", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
