"""Deprecated: moved to :mod:`ignite.handlers.clearml_logger` (importing this module warns)."""

from typing import Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = (
    "ClearMLLogger",
    "ClearMLSaver",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsScalarHandler",
    "WeightsHistHandler",
    "GradsScalarHandler",
    "GradsHistHandler",
    "global_step_from_engine",
)
__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.clearml_logger", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
