"""Deprecated: moved to :mod:`ignite.handlers.base_logger` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = (
    "BaseHandler",
    "BaseWeightsHandler",
    "BaseOptimizerParamsHandler",
    "BaseOutputHandler",
    "BaseWeightsScalarHandler",
    "BaseLogger",
)

if TYPE_CHECKING:
    from ignite.handlers.base_logger import BaseHandler as BaseHandler
    from ignite.handlers.base_logger import BaseLogger as BaseLogger
    from ignite.handlers.base_logger import BaseOptimizerParamsHandler as BaseOptimizerParamsHandler
    from ignite.handlers.base_logger import BaseOutputHandler as BaseOutputHandler
    from ignite.handlers.base_logger import BaseWeightsHandler as BaseWeightsHandler
    from ignite.handlers.base_logger import BaseWeightsScalarHandler as BaseWeightsScalarHandler

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.base_logger", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
