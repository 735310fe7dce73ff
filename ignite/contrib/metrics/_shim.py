"""Helpers of the deprecated ``ignite.contrib.metrics`` modules: a move warning and lazy forwarding."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from typing import Any

REMOVED_IN = "0.6.0"


def warn_moved(shim_name: str, target: str) -> None:
    """Warn (``DeprecationWarning``, pointing at the importer) that module ``shim_name`` moved to ``target``."""
    shim_file = sys.modules[shim_name].__file__
    new_path = "/" + target.replace(".", "/") + ".py"
    warnings.warn(
        f"{shim_file} has been moved to {new_path} and will be removed in version {REMOVED_IN}.\n"
        " Please refer to the documentation for more details.",
        DeprecationWarning,
        stacklevel=3,
    )


def forward(module_name: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving ``names[attr]`` (a module path; the attribute itself if it names one)."""

    def __getattr__(attr: str) -> Any:
        target = names.get(attr)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {attr!r}")
        module = importlib.import_module(target)
        value = module if target.rsplit(".", 1)[-1] == attr else getattr(module, attr)
        setattr(sys.modules[module_name], attr, value)
        return value

    return __getattr__
