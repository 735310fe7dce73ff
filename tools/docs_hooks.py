"""mkdocs hooks for the documentation site: the API reference and the navigation, generated at build time.

The reference has one page per public module of ``ignite`` (private ``_`` modules skipped). A module's names
are its ``__all__`` (or, without one, the public names it defines) and the names of its lazy table. Each object
is documented in full once, on the page of the module that defines it (or, when that module is private, of the
first public module exporting it); every other page that exports it lists it with a link there. So a name added
to an ``__all__`` later appears in the reference without editing any page, and
``tests/docs/test_docs_reference.py`` checks that every one does.

Guides dropped into ``docs/guides/`` are added to the "How-to guides" section of the nav when mkdocs.yml does
not list them, titled by their first ``# `` heading.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # document the tree being built, whatever ``ignite`` the environment has installed
    sys.path.insert(0, str(ROOT))
PACKAGE = "ignite"
REFERENCE_DIR = "reference"
REFERENCE_PLACEHOLDER = "reference/index.md"
GUIDES_SECTION = "How-to guides"


def public_modules() -> list[str]:
    """``ignite`` and every module under it whose dotted path has no ``_``-prefixed part, sorted."""

    def walk(path: Path, prefix: str) -> list[str]:
        names = []
        for info in pkgutil.iter_modules([str(path)]):
            if info.name.startswith("_"):
                continue
            names.append(prefix + info.name)
            if info.ispkg:
                names += walk(path / info.name, f"{prefix}{info.name}.")
        return names

    return [PACKAGE, *sorted(walk(ROOT / PACKAGE, f"{PACKAGE}."))]


def _import(name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecated ignite.contrib locations warn on import
        return importlib.import_module(name)


@dataclass
class Entry:
    """One exported name of one module: where its full documentation lives."""

    module: str
    name: str
    target: str  # the dotted path mkdocstrings renders (``home.name``), or a module path for submodules
    is_module: bool = False
    home: str = ""  # the public module whose page documents it in full
    summary: str = ""


@dataclass
class Reference:
    """The whole reference: the exported entries of every public module, in page order."""

    modules: list[str]
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    docstrings: dict[str, bool] = field(default_factory=dict)

    def page(self, module: str) -> str:
        return f"{REFERENCE_DIR}/{module}.md"


_ROLE = re.compile(r":(?:py:)?(?:mod|class|func|meth|attr|obj|data|exc):`~?([^`]+)`")


def _summary(obj: Any) -> str:
    """The first paragraph of the object's docstring on one line, reST roles as code spans."""
    doc = inspect.getdoc(obj) if (inspect.isclass(obj) or callable(obj) or inspect.ismodule(obj)) else None
    line = (doc or "").strip().split("\n\n")[0].replace("\n", " ")
    return _ROLE.sub(r"`\1`", line).replace("|", "\\|")


def build_reference() -> Reference:
    """Resolve every exported name of every public module with griffe (the same loader mkdocstrings uses).

    Raises ``LookupError`` naming the module and name griffe cannot see (a lazy name missing from the
    ``TYPE_CHECKING`` imports) so that the build fails instead of rendering an empty entry.
    """
    import griffe

    package = griffe.load(PACKAGE, search_paths=[str(ROOT)], resolve_aliases=False)
    modules = public_modules()
    ref = Reference(modules)
    by_target: dict[str, list[Entry]] = {}
    for module_name in modules:
        runtime = _import(module_name)
        static = package if module_name == PACKAGE else package[module_name.removeprefix(PACKAGE + ".")]
        ref.docstrings[module_name] = bool(static.docstring)
        exported = getattr(runtime, "__all__", None)
        if exported is None:
            exported = [n for n, m in static.members.items() if not n.startswith("_") and not m.is_alias]
        # names a lazy package serves beyond its __all__ (ignite.handlers.ExactResume, ...) are public too
        lazy = getattr(runtime, "_NAMES", {})
        exported = list(dict.fromkeys([*exported, *(n for n in lazy if not n.startswith("_"))]))
        entries = []
        for name in exported:
            member = static.members.get(name)
            if member is None:
                raise LookupError(f"griffe cannot see {module_name}.{name}: add it to the TYPE_CHECKING imports")
            try:
                target = member.final_target if member.is_alias else member
            except griffe.AliasResolutionError as error:
                raise LookupError(f"griffe cannot resolve {module_name}.{name}: {error}") from error
            obj = _import(target.path) if target.is_module else getattr(runtime, name)
            entry = Entry(module_name, name, target.path, is_module=target.is_module, summary=_summary(obj))
            entries.append(entry)
            if not entry.is_module:
                by_target.setdefault(target.path, []).append(entry)
        ref.entries[module_name] = entries
    for path, group in by_target.items():
        defining = path.rsplit(".", 1)[0]
        homes = [e for e in group if e.module == defining] or sorted(
            group, key=lambda e: (".contrib" in e.module, e.module.count("."), e.module)
        )
        home = homes[0]
        for entry in group:
            entry.home = home.module
            entry.target = f"{home.module}.{home.name}"
    return ref


def render_page(ref: Reference, module: str) -> str:
    """The Markdown of one module's reference page."""
    lines = [f"# `{module}`", ""]
    if ref.docstrings.get(module):
        lines += [f"::: {module}", "    options:", "      members: false", "      show_root_heading: false", ""]
    entries = ref.entries[module]
    submodules = [e for e in entries if e.is_module]
    linked = sorted((e for e in entries if not e.is_module and e.home != module), key=lambda e: e.name.lower())
    documented = [e for e in entries if not e.is_module and e.home == module]
    if linked:
        lines += ["| name | summary |", "|---|---|"]
        lines += [f"| [`{e.name}`][{e.target}] | {e.summary} |" for e in linked]
        lines.append("")
    if submodules:
        lines += ["Submodules:", ""]
        lines += [f"- [`{e.target}`]({e.target}.md)" for e in sorted(submodules, key=lambda e: e.target)]
        lines.append("")
    for entry in documented:
        lines += [f"::: {entry.target}", ""]
    return "\n".join(lines)


def render_index(ref: Reference) -> str:
    lines = [
        "# API reference",
        "",
        "Generated from the docstrings. Every name in the `__all__` of every public module has an entry: a name",
        "is documented in full on the page of the module that defines it, and listed with a link on the pages of",
        "the packages that re-export it (so `ignite.metrics.Accuracy` links to `ignite.metrics.accuracy`).",
        "",
        "| module | summary |",
        "|---|---|",
    ]
    for module in ref.modules:
        if module.count(".") <= 1:
            doc = _summary(_import(module))
            lines.append(f"| [`{module}`]({module}.md) | {doc} |")
    return "\n".join(lines) + "\n"


def reference_nav(ref: Reference) -> list[Any]:
    """Nav entries: the overview, then one section per top-level package with its modules."""
    nav: list[Any] = [{"Overview": REFERENCE_PLACEHOLDER}, {PACKAGE: ref.page(PACKAGE)}]
    for top in ref.modules:
        if top.count(".") != 1:
            continue
        inside = [m for m in ref.modules if m == top or m.startswith(top + ".")]
        if len(inside) == 1:
            nav.append({top: ref.page(top)})
        else:
            nav.append({top: [{m: ref.page(m)} for m in inside]})
    return nav


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem.replace("-", " ").capitalize()


def _nav_files(nav: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(nav, str):
        found.add(nav)
    elif isinstance(nav, list):
        for item in nav:
            found |= _nav_files(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            found |= _nav_files(value)
    return found


def complete_nav(nav: list[Any], docs_dir: Path, ref: Reference) -> list[Any]:
    """Expand the reference placeholder and append unlisted ``guides/*.md`` pages to the guides section."""
    listed = _nav_files(nav)
    extra = [
        {_title(path): f"guides/{path.name}"}
        for path in sorted((docs_dir / "guides").glob("*.md"))
        if f"guides/{path.name}" not in listed
    ]
    out: list[Any] = []
    for item in nav:
        if isinstance(item, dict):
            (title, value), *_ = item.items()
            if value == REFERENCE_PLACEHOLDER:
                item = {title: reference_nav(ref)}
            elif title == GUIDES_SECTION and isinstance(value, list):
                item = {title: [*value, *extra]}
        out.append(item)
    return out


# ----- mkdocs hook entry points -----------------------------------------------------------------------------

_REF: Reference | None = None


def _reference() -> Reference:
    global _REF
    if _REF is None:
        _REF = build_reference()
    return _REF


def on_config(config: Any) -> Any:
    config["nav"] = complete_nav(config["nav"], Path(config["docs_dir"]), _reference())
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    ref = _reference()
    files.append(File.generated(config, REFERENCE_PLACEHOLDER, content=render_index(ref)))
    for module in ref.modules:
        files.append(File.generated(config, ref.page(module), content=render_page(ref, module)))
    return files
