"""Deprecated: moved to :mod:`ignite.handlers.visdom_logger` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = (
    "VisdomLogger",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsScalarHandler",
    "GradsScalarHandler",
    "_DummyExecutor",
    "global_step_from_engine",
)

if TYPE_CHECKING:
    from ignite.handlers.visdom_logger import GradsScalarHandler as GradsScalarHandler
    from ignite.handlers.visdom_logger import OptimizerParamsHandler as OptimizerParamsHandler
    from ignite.handlers.visdom_logger import OutputHandler as OutputHandler
    from ignite.handlers.visdom_logger import VisdomLogger as VisdomLogger
    from ignite.handlers.visdom_logger import WeightsScalarHandler as WeightsScalarHandler
    from ignite.handlers.visdom_logger import _DummyExecutor as _DummyExecutor
    from ignite.handlers.visdom_logger import global_step_from_engine as global_step_from_engine

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.visdom_logger", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
