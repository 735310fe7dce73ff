"""Lazy attribute loading for package ``__init__`` modules (keeps ``import ignite.*`` cheap)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_getattr(package: str, names: dict[str, str], submodules: tuple[str, ...] = ()) -> Callable[[str], Any]:
    """Build a module ``__getattr__`` that imports ``names[attr]`` (a submodule path) on first access."""

    def __getattr__(attr: str) -> Any:
        module_name = names.get(attr)
        if module_name is not None:
            value = getattr(importlib.import_module(f"{package}.{module_name}"), attr)
        elif attr in submodules:
            value = importlib.import_module(f"{package}.{attr}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {attr!r}")
        import sys

        setattr(sys.modules[package], attr, value)
        return value

    return __getattr__
