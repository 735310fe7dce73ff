"""Find out whether optional distributed frameworks are installed without importing them."""

from __future__ import annotations

import importlib.util
import os


def package_has(package: str, *relative_modules: str) -> bool:
    """True if ``package`` is installed and contains the given submodules (paths like ``"core/xla_model"``).

    Only the package's location is looked up: nothing is imported, so ``import ignite.distributed``
    stays cheap even where heavy frameworks (torch_xla, horovod) are installed.
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    locations = list(spec.submodule_search_locations or [])
    if not locations:
        return not relative_modules
    for rel in relative_modules:
        found = False
        for loc in locations:
            base = os.path.join(loc, rel)
            if os.path.exists(base + ".py") or os.path.exists(os.path.join(base, "__init__.py")):
                found = True
                break
            if any(
                name.startswith(os.path.basename(rel) + ".") and name.endswith((".so", ".pyd"))
                for name in _listdir(os.path.dirname(base))
            ):
                found = True
                break
        if not found:
            return False
    return True


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []
