"""Deprecated: moved to :mod:`ignite.handlers.lr_finder` (importing this module warns)."""

from typing import TYPE_CHECKING, Any

from ignite.contrib.handlers._shim import deprecate_module

_NAMES = ("FastaiLRFinder",)

if TYPE_CHECKING:
    from ignite.handlers.lr_finder import FastaiLRFinder as FastaiLRFinder

__all__ = list(_NAMES)  # resolved lazily by __getattr__ below

_forward = deprecate_module(__name__, "ignite.handlers.lr_finder", _NAMES)


def __getattr__(name: str) -> Any:
    return _forward(name)
