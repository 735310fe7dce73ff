"""Deprecated: moved to :mod:`ignite.handlers.mlflow_logger` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = (
    "MLflowLogger",
    "OutputHandler",
    "OptimizerParamsHandler",
    "global_step_from_engine",
)

if TYPE_CHECKING:
    from ignite.handlers.mlflow_logger import MLflowLogger as MLflowLogger
    from ignite.handlers.mlflow_logger import OptimizerParamsHandler as OptimizerParamsHandler
    from ignite.handlers.mlflow_logger import OutputHandler as OutputHandler
    from ignite.handlers.mlflow_logger import global_step_from_engine as global_step_from_engine

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.mlflow_logger", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
