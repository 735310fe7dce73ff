"""The public surface holds what it promises.

Every public module of ``ignite`` (found on disk, private ``_`` modules skipped) imports; every name of its
``__all__``, of its lazy tables and of its ``dir()`` resolves; ``from module import *`` works. A name added to a
lazy table or to an ``__all__`` before its module exists fails here. Optional backends (tqdm, tensorboard,
mlflow, ...) are imported by the constructors that need them, so all of this also holds without them.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import warnings
from pathlib import Path
from types import ModuleType

import pytest

from tools.docs_hooks import public_modules

# the module-level tables that lazy packages resolve names from (ignite/_lazy.py and the contrib forwarders)
LAZY_TABLES = ("_NAMES", "_SUBMODULES", "_HANDLERS_SUBMODULES")

# third-party packages that ignite only imports inside the functions and constructors that need them
OPTIONAL_BACKENDS = (
    "tqdm",
    "matplotlib",
    "pandas",
    "scipy",
    "sklearn",
    "tensorboard",
    "tensorboardX",
    "mlflow",
    "wandb",
    "visdom",
    "neptune",
    "clearml",
    "polyaxon",
    "nltk",
    "pycocotools",
    "pynvml",
    "horovod",
    "torch_xla",
    "apex",
    "dill",
)


PUBLIC_MODULES = public_modules()  # the modules the docs build gives a reference page


def _import(name: str) -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the deprecated ignite.contrib locations warn
        return importlib.import_module(name)


def promised_names(module: ModuleType) -> list[str]:
    """Every name the module promises: its ``__all__``, the keys of its lazy tables, and its ``dir()``."""
    names = list(getattr(module, "__all__", ()))
    for table in LAZY_TABLES:
        names += list(getattr(module, table, ()))
    names += dir(module)
    return list(dict.fromkeys(names))


def check_module(name: str) -> None:
    """Import ``name``, resolve every promised name and run ``from name import *``."""
    module = _import(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for attr in promised_names(module):
            getattr(module, attr)
        exec(f"from {name} import *", {})


def test_public_modules_found():
    # the walk sees the packages and the modules inside them, and skips private ones
    for expected in ("ignite.engine", "ignite.engine.engine", "ignite.metrics.accuracy", "ignite.contrib.handlers"):
        assert expected in PUBLIC_MODULES
    assert not [name for name in PUBLIC_MODULES if any(part.startswith("_") for part in name.split("."))]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_promised_name_resolves(name):
    check_module(name)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_has_no_duplicates(name):
    exported = list(getattr(_import(name), "__all__", ()))
    assert len(exported) == len(set(exported)), sorted({n for n in exported if exported.count(n) > 1})


def test_a_name_without_its_module_fails(monkeypatch):
    """The check above can fail: a lazy-table entry or an ``__all__`` name whose module is missing is caught."""
    import ignite.handlers
    import ignite.metrics

    monkeypatch.setitem(ignite.metrics._NAMES, "NotWrittenYet", "not_written_yet")
    with pytest.raises(ModuleNotFoundError, match="ignite.metrics.not_written_yet"):
        check_module("ignite.metrics")
    monkeypatch.undo()
    monkeypatch.setattr(ignite.handlers, "__all__", [*ignite.handlers.__all__, "NotWrittenYet"])
    with pytest.raises(AttributeError, match="NotWrittenYet"):
        check_module("ignite.handlers")


_WITHOUT_BACKENDS = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # "import name" raises ImportError, as when the package is not installed
sys.path.insert(0, sys.argv[2])
import test_public_api as t
for module in t.PUBLIC_MODULES:
    t.check_module(module)
print("OK", len(t.PUBLIC_MODULES))
"""


def test_everything_imports_without_optional_backends():
    """With every optional backend made unimportable, the whole public surface still imports."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    args = [",".join(OPTIONAL_BACKENDS), str(Path(__file__).parent)]
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_BACKENDS, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["OK", str(len(PUBLIC_MODULES))]
