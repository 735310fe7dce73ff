"""Deprecated: moved to :mod:`ignite.handlers.tqdm_logger` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = ("ProgressBar",)

if TYPE_CHECKING:
    from ignite.handlers.tqdm_logger import ProgressBar as ProgressBar

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.tqdm_logger", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
