"""Deprecated: moved to :mod:`ignite.handlers.neptune_logger` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = (
    "NeptuneLogger",
    "NeptuneSaver",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsScalarHandler",
    "GradsScalarHandler",
    "_INTEGRATION_VERSION_KEY",
    "global_step_from_engine",
)

if TYPE_CHECKING:
    from ignite.handlers.neptune_logger import _INTEGRATION_VERSION_KEY as _INTEGRATION_VERSION_KEY
    from ignite.handlers.neptune_logger import GradsScalarHandler as GradsScalarHandler
    from ignite.handlers.neptune_logger import NeptuneLogger as NeptuneLogger
    from ignite.handlers.neptune_logger import NeptuneSaver as NeptuneSaver
    from ignite.handlers.neptune_logger import OptimizerParamsHandler as OptimizerParamsHandler
    from ignite.handlers.neptune_logger import OutputHandler as OutputHandler
    from ignite.handlers.neptune_logger import WeightsScalarHandler as WeightsScalarHandler
    from ignite.handlers.neptune_logger import global_step_from_engine as global_step_from_engine

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.neptune_logger", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
