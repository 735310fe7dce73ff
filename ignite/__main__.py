"""``python -m ignite``: say which implementation of ``ignite`` is imported, its version and where it lives.

Useful beside packages that depend on the ``pytorch-ignite`` distribution: installing one of them can put
upstream's ``ignite`` over ours, and this tells at once which one a program gets.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import ignite

IMPLEMENTATION = "ignite-ng"


def describe() -> str:
    """Lines naming the implementation, version and location of the imported ``ignite``, and the distributions."""
    location = Path(ignite.__file__).resolve().parent
    ours = getattr(ignite, "__implementation__", None) == IMPLEMENTATION
    lines = [
        f"implementation: {IMPLEMENTATION if ours else 'not ignite-ng (another package provides ignite)'}",
        f"version: {getattr(ignite, '__version__', 'unknown')}",
        f"location: {location}",
    ]
    for dist in ("ignite-ng", "pytorch-ignite"):
        try:
            lines.append(f"distribution {dist}: {metadata.version(dist)} installed")
        except metadata.PackageNotFoundError:
            lines.append(f"distribution {dist}: not installed")
    if all(line.endswith(" installed") and "not installed" not in line for line in lines[-2:]):
        lines.append(
            "warning: both distributions are installed and share the 'ignite' directory; reinstall the one you want"
            " (pip install --force-reinstall --no-deps ignite-ng) and see the docs' 'Coming from PyTorch-Ignite' page"
        )
    return "\n".join(lines)


def main() -> int:
    print(describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
