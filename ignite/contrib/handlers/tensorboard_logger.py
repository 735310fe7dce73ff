"""Deprecated: moved to :mod:`ignite.handlers.tensorboard_logger` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = (
    "TensorboardLogger",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsScalarHandler",
    "WeightsHistHandler",
    "GradsScalarHandler",
    "GradsHistHandler",
    "global_step_from_engine",
)

if TYPE_CHECKING:
    from ignite.handlers.tensorboard_logger import GradsHistHandler as GradsHistHandler
    from ignite.handlers.tensorboard_logger import GradsScalarHandler as GradsScalarHandler
    from ignite.handlers.tensorboard_logger import OptimizerParamsHandler as OptimizerParamsHandler
    from ignite.handlers.tensorboard_logger import OutputHandler as OutputHandler
    from ignite.handlers.tensorboard_logger import TensorboardLogger as TensorboardLogger
    from ignite.handlers.tensorboard_logger import WeightsHistHandler as WeightsHistHandler
    from ignite.handlers.tensorboard_logger import WeightsScalarHandler as WeightsScalarHandler
    from ignite.handlers.tensorboard_logger import global_step_from_engine as global_step_from_engine

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.tensorboard_logger", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
