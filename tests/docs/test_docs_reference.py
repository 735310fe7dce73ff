"""The API reference covers every public name, and griffe (what mkdocstrings reads) sees every lazy export.

The pages are those ``tools/docs_hooks.py`` generates for the mkdocs build; here they are generated the same way
and checked without building the site (``make docs`` builds it with ``--strict``, which also fails on a link
whose target is not documented).
"""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "tools" / "docs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_hooks"] = module
    spec.loader.exec_module(module)
    return module


hooks = _load_hooks()


@pytest.fixture(scope="module")
def reference():
    return hooks.build_reference()


def _exports(module_name: str) -> list[str]:
    """The module's ``__all__`` and the public names of its lazy table."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(module_name)
    lazy = [n for n in getattr(module, "_NAMES", ()) if not n.startswith("_")]
    return list(dict.fromkeys([*getattr(module, "__all__", ()), *lazy]))


def test_every_public_module_has_a_page_in_the_nav(reference):
    walked = hooks.public_modules()
    assert reference.modules == walked
    assert {"ignite.engine", "ignite.metrics.accuracy", "ignite.handlers.resume"} <= set(walked)
    nav_pages = hooks._nav_files(hooks.reference_nav(reference))
    assert {reference.page(m) for m in walked} <= nav_pages


def test_every_name_of_every_all_has_an_entry(reference):
    documented = {}  # rendered path -> page that renders it in full
    pages = {m: hooks.render_page(reference, m) for m in reference.modules}
    for module, text in pages.items():
        for path in re.findall(r"^::: (\S+)$", text, re.M):
            documented.setdefault(path, module)
    missing = []
    for module in reference.modules:
        text = pages[module]
        for name in _exports(module):
            full = f"::: {module}.{name}"
            link = re.search(rf"^\| \[`{re.escape(name)}`\]\[(\S+?)\] \|", text, re.M)
            submodule = re.search(rf"^- \[`{re.escape(module)}\.{re.escape(name)}`\]\(", text, re.M)
            if re.search(rf"^{re.escape(full)}$", text, re.M) or submodule:
                continue
            if link and link.group(1) in documented:
                continue
            missing.append(f"{module}.{name}")
    assert not missing, f"names without a reference entry: {missing}"
    assert "[`ExactResume`][ignite.handlers.resume.ExactResume]" in pages["ignite.handlers"]  # lazy, not in __all__


def test_each_object_is_documented_once_on_its_defining_public_module(reference):
    pages = {m: hooks.render_page(reference, m) for m in reference.modules}
    rendered = [p for text in pages.values() for p in re.findall(r"^::: (\S+)$", text, re.M) if p not in pages]
    assert len(rendered) == len(set(rendered))
    assert "::: ignite.metrics.accuracy.Accuracy" in pages["ignite.metrics.accuracy"]
    assert "[`Accuracy`][ignite.metrics.accuracy.Accuracy]" in pages["ignite.metrics"]
    assert "[`ProgressBar`][ignite.handlers.tqdm_logger.ProgressBar]" in pages["ignite.contrib.handlers"]
    # a name defined in a private module is documented on the public module that exports it
    assert "::: ignite.engine.supervised_training_step" in pages["ignite.engine"]  # from ignite.engine._steps
    assert "[`Engine`][ignite.engine.engine.Engine]" in pages["ignite.engine"]


def test_griffe_resolves_the_lazy_exports(reference):
    # ignite.metrics and friends import on first access; griffe reads the TYPE_CHECKING imports beside the table
    entries = {(e.module, e.name): e for entries in reference.entries.values() for e in entries}
    assert entries[("ignite.metrics", "Accuracy")].target == "ignite.metrics.accuracy.Accuracy"
    assert entries[("ignite.distributed", "get_rank")].target == "ignite.distributed.utils.get_rank"
    assert entries[("ignite.metrics", "regression")].is_module


def test_a_lazy_name_griffe_cannot_see_fails_the_build(monkeypatch):
    import ignite.metrics

    monkeypatch.setattr(ignite.metrics, "__all__", [*ignite.metrics.__all__, "NotWrittenYet"])
    with pytest.raises(LookupError, match="ignite.metrics.NotWrittenYet"):
        hooks.build_reference()


def test_guides_are_added_to_the_nav(tmp_path, reference):
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "listed.md").write_text("# Listed\n")
    (tmp_path / "guides" / "zz-new-topic.md").write_text("Intro\n\n# A new topic\n")
    nav = [{"How-to guides": [{"Listed": "guides/listed.md"}]}, {"API reference": hooks.REFERENCE_PLACEHOLDER}]
    out = hooks.complete_nav(nav, tmp_path, reference)
    assert out[0] == {"How-to guides": [{"Listed": "guides/listed.md"}, {"A new topic": "guides/zz-new-topic.md"}]}
    assert out[1]["API reference"][0] == {"Overview": hooks.REFERENCE_PLACEHOLDER}
