"""Deprecated: moved to :mod:`ignite.handlers.clearml_logger` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from ignite.handlers.clearml_logger import ClearMLLogger as ClearMLLogger
    from ignite.handlers.clearml_logger import ClearMLSaver as ClearMLSaver
    from ignite.handlers.clearml_logger import GradsHistHandler as GradsHistHandler
    from ignite.handlers.clearml_logger import GradsScalarHandler as GradsScalarHandler
    from ignite.handlers.clearml_logger import OptimizerParamsHandler as OptimizerParamsHandler
    from ignite.handlers.clearml_logger import OutputHandler as OutputHandler
    from ignite.handlers.clearml_logger import WeightsHistHandler as WeightsHistHandler
    from ignite.handlers.clearml_logger import WeightsScalarHandler as WeightsScalarHandler
    from ignite.handlers.clearml_logger import global_step_from_engine as global_step_from_engine

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.clearml_logger", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
