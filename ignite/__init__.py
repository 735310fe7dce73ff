"""ignite-ng: a fast, API-compatible implementation of PyTorch-Ignite.

Submodules (``ignite.engine``, ``ignite.metrics``, ...) are imported on first attribute access so
that ``import ignite`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.6.0"
__implementation__ = "ignite-ng"  # upstream's ignite has no such name: ``python -m ignite`` tells them apart

_SUBMODULES = ("contrib", "distributed", "engine", "exceptions", "handlers", "metrics", "utils", "base")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))
