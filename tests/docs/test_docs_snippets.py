"""Every ```python block of every page under docs/ runs.

The blocks of one page run in order, in one namespace, in a fresh temporary working directory, so a page reads
like a session. A block preceded by the line ``<!-- no-run: reason -->`` (blank lines allowed in between) is
skipped; it needs a reason. Pages added later (``docs/guides/*.md`` from any branch) are picked up by the glob.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\n]*)$")
_NO_RUN = re.compile(r"^\s*<!--\s*no-run:\s*(?P<reason>.*?)\s*-->\s*$")


@dataclass
class Block:
    """One fenced code block: its language, first line number (1-based, of the code) and source."""

    language: str
    line: int
    code: str
    no_run: str | None  # the reason given by a preceding ``<!-- no-run: reason -->``


def extract_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order (indented fences, e.g. in admonitions, included)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, indent = match["fence"], match["indent"]
        language = match["info"].strip().split(" ")[0].lstrip(".").split("{")[0].lower()
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = _NO_RUN.match(previous)
        if marker is not None and not marker["reason"]:
            raise ValueError(f"line {i}: a no-run marker needs a reason: <!-- no-run: why -->")
        end = i + 1
        while end < len(lines) and not (
            lines[end].strip().startswith(fence[0] * len(fence)) and not lines[end].strip().strip(fence[0])
        ):
            end += 1
        body = [line[len(indent) :] if line.startswith(indent) else line for line in lines[i + 1 : end]]
        blocks.append(Block(language, i + 2, textwrap.dedent("\n".join(body)) + "\n", marker and marker["reason"]))
        i = end + 1
    return blocks


def python_blocks(text: str) -> list[Block]:
    return [b for b in extract_blocks(text) if b.language in ("python", "py", "python3")]


def test_pages_found():
    # the glob sees the hand-written sections (and so every guide another branch adds to docs/guides/)
    for expected in ("index.md", "getting-started.md", "coming-from-pytorch-ignite.md"):
        assert expected in PAGES
    assert any(p.startswith("concepts/") for p in PAGES) and any(p.startswith("guides/") for p in PAGES)


def test_extraction_honours_markers_and_fences():
    page = textwrap.dedent(
        """\
        # A page
        ```python
        x = 1
        ```
        <!-- no-run: needs torchrun -->

        ```python
        raise SystemExit("never runs")
        ```
        ```bash
        make docs
        ```
        !!! note
            ```python
            y = x + 1
            ```
        ````markdown
        ```python
        inside a markdown example: not a block of its own
        ```
        ````
        """
    )
    blocks = extract_blocks(page)
    assert [(b.language, b.line, b.no_run) for b in blocks] == [
        ("python", 3, None),
        ("python", 8, "needs torchrun"),
        ("bash", 11, None),
        ("python", 15, None),
        ("markdown", 18, None),
    ]
    assert blocks[3].code == "y = x + 1\n"
    assert [b.code for b in python_blocks(page) if b.no_run is None] == ["x = 1\n", "y = x + 1\n"]
    with pytest.raises(ValueError, match="needs a reason"):
        extract_blocks("<!-- no-run: -->\n```python\npass\n```\n")


@pytest.mark.parametrize("page", PAGES)
def test_page_snippets_run(page, tmp_path, monkeypatch):
    blocks = [b for b in python_blocks((DOCS / page).read_text(encoding="utf-8")) if b.no_run is None]
    if not blocks:
        return  # a page without python code: nothing to run
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__docs__"}
    environ = dict(os.environ)
    try:
        for block in blocks:
            exec(compile(block.code, f"docs/{page}:{block.line}", "exec"), namespace)
    finally:
        os.environ.clear()  # a page may set variables for itself (e.g. a logger's option)
        os.environ.update(environ)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
