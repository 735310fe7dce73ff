"""Griffe extension: render the reST roles some docstrings use (``:class:`x```) as Markdown code spans."""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:mod|class|func|meth|attr|obj|data|exc):`~?([^`]+)`")


class ReSTRoles(griffe.Extension):
    """Rewrite ``:role:`target``` to ``target`` in code font before the docstring is parsed."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ":" in obj.docstring.value:
            obj.docstring.value = _ROLE.sub(r"`\1`", obj.docstring.value)
