"""Discovery of existing checkpoint files: which names a :class:`~ignite.handlers.checkpoint.Checkpoint` gives its
files, and which of them a directory holds (used to resume after a restart)."""

from __future__ import annotations

import os
import re
import string
from pathlib import Path


def filename_regex(
    filename_pattern: str | None, filename_prefix: str, name: str, ext: str, score_name: str | None
) -> re.Pattern:
    """A regex matching the file names made from ``filename_pattern`` (or the default patterns when ``None``)
    with the given prefix, object name, extension and score name; the score and step parts are left free.

    ```python
    regex = filename_regex(None, "best", "model", "pt", None)
    assert regex.match("best_model_12.pt") and not regex.match("best_model_12.pt.bak")
    ```
    """
    if filename_pattern is None:
        basename = f"{filename_prefix}_{name}" if filename_prefix else name
        return re.compile(re.escape(basename) + r"(_.*)?" + re.escape("." + ext) + r"\Z")
    known = {"filename_prefix": filename_prefix, "ext": ext, "name": name}
    if score_name is not None:
        known["score_name"] = score_name
    parts = []
    for literal, field, _, _ in string.Formatter().parse(filename_pattern):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(re.escape(str(known[field])) if field in known else ".*?")
    return re.compile("".join(parts) + r"\Z")


def find_checkpoints(dirname: Path, regex: re.Pattern, directories: bool = False) -> list[Path]:
    """The regular files of ``dirname`` whose names ``regex`` matches, newest first; hidden files (the temporary
    files of a save in progress) are skipped, and a missing directory holds none.

    With ``directories``, the sharded checkpoints instead: subdirectories holding a ``.metadata`` file (what
    ``torch.distributed.checkpoint`` writes last), matched and ordered the same way.
    """
    if not dirname.is_dir():
        return []
    found = []
    for entry in os.scandir(dirname):
        if entry.name.startswith(".") or not regex.match(entry.name):
            continue
        if not (os.path.isfile(os.path.join(entry.path, ".metadata")) if directories else entry.is_file()):
            continue
        found.append((entry.stat().st_mtime_ns, entry.name))
    found.sort(reverse=True)
    return [dirname / name for _, name in found]
