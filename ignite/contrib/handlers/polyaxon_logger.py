"""Deprecated: moved to :mod:`ignite.handlers.polyaxon_logger` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = (
    "PolyaxonLogger",
    "OutputHandler",
    "OptimizerParamsHandler",
    "global_step_from_engine",
)

if TYPE_CHECKING:
    from ignite.handlers.polyaxon_logger import OptimizerParamsHandler as OptimizerParamsHandler
    from ignite.handlers.polyaxon_logger import OutputHandler as OutputHandler
    from ignite.handlers.polyaxon_logger import PolyaxonLogger as PolyaxonLogger
    from ignite.handlers.polyaxon_logger import global_step_from_engine as global_step_from_engine

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.polyaxon_logger", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
