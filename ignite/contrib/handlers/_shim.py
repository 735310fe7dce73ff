"""Builds the deprecated ``ignite.contrib.handlers.<name>`` modules: a warning, then names from ``ignite.handlers``."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

REMOVED_IN = "0.6.0"


def deprecate_module(shim_name: str, target: str, names: Sequence[str]) -> Callable[[str], Any]:
    """Warn that ``shim_name`` moved to ``target`` and return a module ``__getattr__`` forwarding ``names``.

    Names are resolved from the target module on first access, so a shim may point at a module that another
    part of the project provides later; the objects are the very same as in ``ignite.handlers``.
    """
    shim_file = sys.modules[shim_name].__file__
    short = target.rsplit(".", 1)[-1]
    warnings.warn(
        f"{shim_file} has been moved to /ignite/handlers/{short}.py"
        f" and will be removed in version {REMOVED_IN}.\n"
        " Please refer to the documentation for more details.",
        DeprecationWarning,
        stacklevel=3,
    )
    wanted = frozenset(names)

    def __getattr__(name: str) -> Any:
        if name not in wanted:
            raise AttributeError(f"module {shim_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(target), name)
        setattr(sys.modules[shim_name], name, value)
        return value

    return __getattr__
