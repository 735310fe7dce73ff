"""SLURM: expansion of compressed host lists and translation of a job's environment into the variables
torch.distributed reads (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``).

Pure functions of their arguments (and of the ``scontrol`` binary when present), so they are tested without
a cluster. ``native._expand_hostlist`` and ``native._setup_ddp_vars_from_slurm_env`` are their public paths.
"""

from __future__ import annotations

import re
import subprocess
import warnings
from collections.abc import Mapping
from typing import Any, cast

__all__: list[str] = []

# the variables an ``srun`` task must see to set up a process group from SLURM (spec order)
_SLURM_REQUIRED_VARS = (
    "SLURM_JOB_ID",
    "SLURM_PROCID",
    "SLURM_LOCALID",
    "SLURM_NTASKS",
    "SLURM_JOB_NODELIST",
    "SLURM_JOB_NUM_NODES",
)


def _check_slurm_env(environ: Mapping[str, str]) -> None:
    """Raise ``RuntimeError`` naming the first of ``_SLURM_REQUIRED_VARS`` missing from ``environ``."""
    for k in _SLURM_REQUIRED_VARS:
        if k not in environ:
            raise RuntimeError(f"SLURM distributed configuration is missing '{k}' in env variables")


_RANGE = re.compile(r"([0-9]+)(?:-([0-9]+))?\Z")


def _expand_hostlist(nodelist: str) -> list[str]:
    """Expand a SLURM compressed host list (``"node[1-3,7],gpu-[01-02]x"``) into host names.

    ```python
    assert _expand_hostlist("node[1-3,5]") == ["node1", "node2", "node3", "node5"]
    assert _expand_hostlist("a[01-02],b") == ["a01", "a02", "b"]
    ```

    Entries are separated by commas outside brackets; each bracket expands to its numbers (sorted, without
    duplicates, zero-padded as its widest zero-padded start), several brackets in an entry multiply in order.
    An empty, unbalanced or nested bracket, or a range that is not ``lo`` or ``lo-hi`` with ``lo <= hi``,
    raises ``ValueError("hostlist invalid : <nodelist>")``.
    """
    text = nodelist.replace(" ", "")
    hosts: list[str] = []
    for entry in _split_entries(text, nodelist):
        parts = re.split(r"\[([^\]]*)\]", entry)
        # parts: prefix, group, text, group, ..., suffix
        if any("[" in p or "]" in p for p in parts[::2]):
            raise ValueError(f"hostlist invalid : {nodelist}")
        expanded = [parts[0]]
        for k in range(1, len(parts), 2):
            values = _expand_bracket(parts[k], nodelist)
            expanded = [e + v + parts[k + 1] for e in expanded for v in values]
        hosts.extend(expanded)
    return hosts


def _split_entries(text: str, nodelist: str) -> list[str]:
    """The non-empty comma-separated entries of ``text``, commas inside brackets kept; brackets must pair."""
    entries: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            entries.append(text[start:i])
            start = i + 1
        if depth not in (0, 1):
            raise ValueError(f"hostlist invalid : {nodelist}")
    if depth != 0:
        raise ValueError(f"hostlist invalid : {nodelist}")
    entries.append(text[start:])
    return [e for e in entries if e]


def _expand_bracket(spec: str, nodelist: str) -> list[str]:
    """The numbers of one bracket's ``spec`` (``"1-3,07"``) as strings, sorted, unique, zero-padded."""
    ranges = []
    for item in spec.split(","):
        m = _RANGE.match(item)
        if m is None or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise ValueError(f"hostlist invalid : {nodelist}")
        ranges.append((m.group(1), m.group(2) or m.group(1)))
    # "007" pads to 3 digits; a start of only zeros ("0", "00") pads to its own length
    width = max(len(lo) - len(lo.lstrip("0") or "0") for lo, _ in ranges) + 1
    numbers = sorted({n for lo, hi in ranges for n in range(int(lo), int(hi) + 1)})
    return [f"{n:0{width}d}" for n in numbers]


def _setup_ddp_vars_from_slurm_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Translate SLURM's variables into RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT."""
    ddp_vars: dict[str, Any] = {
        "RANK": int(environ["SLURM_PROCID"]),
        "LOCAL_RANK": int(environ["SLURM_LOCALID"]),
        "WORLD_SIZE": int(environ["SLURM_NTASKS"]),
        "MASTER_ADDR": None,
        "MASTER_PORT": None,
    }
    pth_vars = {key: environ.get(key) for key in ddp_vars}
    defined = [v is not None for v in pth_vars.values()]
    if all(defined):
        nnodes = int(environ["SLURM_JOB_NUM_NODES"])
        for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
            slurm_var = int(ddp_vars[key])
            pth_var = int(cast(str, pth_vars[key]))
            if nnodes > 1:
                if slurm_var != pth_var:
                    raise RuntimeError(
                        "Environment variable defined for PyTorch Distributed context is inconsistent with "
                        f"equivalent SLURM env variable. {key}: {pth_var} vs {slurm_var}\n"
                        f"SLURM vars: {ddp_vars}\n"
                        f"PTH vars: {pth_vars}\n"
                    )
            else:
                if pth_var < slurm_var:
                    raise RuntimeError(
                        "Environment variable defined for PyTorch Distributed context is inconsistent with "
                        f"equivalent SLURM env variable. We expect that {key}: {pth_var} >= {slurm_var}\n"
                        f"SLURM vars: {ddp_vars}\n"
                        f"PTH vars: {pth_vars}\n"
                    )
                ddp_vars[key] = pth_var
        ddp_vars["MASTER_ADDR"] = cast(str, pth_vars["MASTER_ADDR"])
        ddp_vars["MASTER_PORT"] = int(cast(str, pth_vars["MASTER_PORT"]))
    elif any(defined):
        warnings.warn(
            "We detected the following env variables: "
            f"{[(k, v) for k, v in pth_vars.items() if v is not None]},\n"
            "but will not take them into account as the following env vars are missing:"
            f"{[k for k, v in pth_vars.items() if v is None]},\n",
            stacklevel=2,
        )

    if ddp_vars["MASTER_ADDR"] is None:
        nodelist = environ["SLURM_JOB_NODELIST"]
        try:
            out = subprocess.check_output(["scontrol", "show", "hostnames", nodelist])
            hostnames = out.decode("utf-8").split()
            method = "scontrol"
        except FileNotFoundError:
            hostnames = _expand_hostlist(nodelist)
            method = "ignite"
        if len(hostnames) < 1:
            raise RuntimeError(f"No hostname detected in SLURM_JOB_NODELIST by {method} (nodelist={nodelist})")
        ddp_vars["MASTER_ADDR"] = hostnames[0]

    if ddp_vars["MASTER_PORT"] is None:
        ddp_vars["MASTER_PORT"] = int(environ["SLURM_JOB_ID"][-4:]) + 15000

    return ddp_vars
