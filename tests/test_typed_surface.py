"""The typed public surface: the ``TYPE_CHECKING`` imports mirror the lazy name tables, and stay lazy at run time."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# file -> package that relative table entries are resolved against ("" where entries are absolute paths)
LAZY_TABLES = {
    "ignite/metrics/__init__.py": "ignite.metrics",
    "ignite/handlers/__init__.py": "ignite.handlers",
    "ignite/contrib/metrics/__init__.py": "",
    "ignite/contrib/metrics/regression/__init__.py": "",
    "ignite/contrib/handlers/__init__.py": "",
    **{
        str(p.relative_to(ROOT)): ""
        for p in sorted((ROOT / "ignite/contrib/handlers").glob("*.py"))
        if "deprecate_module(__name__" in p.read_text()
    },
}


def _table(tree: ast.Module, source: str, base: str) -> dict[str, str]:
    """``{name: module the name comes from}`` for the module's ``_NAMES`` table."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_NAMES" for t in node.targets):
            table = ast.literal_eval(node.value)
            break
    else:
        raise AssertionError("no _NAMES table")
    if isinstance(table, tuple):  # a deprecated shim: every name comes from the one target module
        target = re.search(r'deprecate_module\(__name__, "([^"]+)"', source)
        assert target is not None
        return {name: target.group(1) for name in table}
    out = {}
    for name, path in table.items():
        full = f"{base}.{path}" if base else path
        # a path whose last part is the name itself stands for the module (as the forwarding shims resolve it)
        out[name] = full if base or full.rsplit(".", 1)[-1] != name else full.rsplit(".", 1)[0]
    return out


def _type_checking_imports(tree: ast.Module) -> dict[str, str]:
    """``{bound name: module imported from}`` for the module-level ``if TYPE_CHECKING:`` block(s)."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module is not None and stmt.module.startswith("ignite"):
                    for alias in stmt.names:
                        assert alias.asname == alias.name, f"re-export {alias.name} as itself (``X as X``)"
                        out[alias.name] = stmt.module
    return out


@pytest.mark.parametrize("path", sorted(LAZY_TABLES))
def test_type_checking_block_lists_exactly_the_lazy_table(path: str) -> None:
    source = (ROOT / path).read_text()
    tree = ast.parse(source)
    assert _type_checking_imports(tree) == _table(tree, source, LAZY_TABLES[path])


def test_every_lazy_table_is_covered() -> None:
    tables = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "ignite").rglob("*.py")
        if re.search(r"^_NAMES\b", p.read_text(), re.MULTILINE)
    }
    assert tables == set(LAZY_TABLES)


def test_lazy_packages_do_not_import_their_modules() -> None:
    modules = set()
    for path, base in LAZY_TABLES.items():
        source = (ROOT / path).read_text()
        modules |= set(_table(ast.parse(source), source, base).values())
    modules = sorted(modules)
    assert "ignite.metrics.accuracy" in modules and "ignite.handlers.checkpoint" in modules
    code = (
        "import json, sys\n"
        "import ignite.metrics, ignite.handlers, ignite.contrib.metrics, ignite.contrib.metrics.regression\n"
        "import ignite.contrib.handlers\n"
        f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    packages = {"ignite.metrics", "ignite.handlers", "ignite.contrib.metrics", "ignite.contrib.metrics.regression"}
    assert set(json.loads(out.stdout)) <= packages


def _mypy_check_module():
    spec = importlib.util.spec_from_file_location("mypy_check", ROOT / "tools" / "mypy_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mypy_baseline_lines_carry_no_line_numbers() -> None:
    normalize = _mypy_check_module().normalize
    out = (
        'ignite/a.py:12: error: Name "x" already defined on line 3  [no-redef]\n'
        "ignite/a.py:40: note: a note is not an error\n"
        'ignite/a.py:99: error: Name "x" already defined on line 7  [no-redef]\n'
        "ignite/b.py:5:9: error: Something odd\n"
        "Found 3 errors in 2 files (checked 2 source files)\n"
    )
    assert normalize(out) == {
        'ignite/a.py: no-redef: Name "x" already defined on line N': 2,
        "ignite/b.py: misc: Something odd": 1,
    }


def test_mypy_baseline_file_is_normalized_and_sorted() -> None:
    lines = [ln for ln in (ROOT / ".mypy-baseline.txt").read_text().splitlines() if not ln.startswith("#")]
    assert lines == sorted(lines)
    assert all(re.match(r"^ignite/\S+\.py: [a-z-]+: ", ln) for ln in lines)
