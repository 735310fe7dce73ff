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


def _expand_hostlist(nodelist: str) -> list[str]:
    """Expand a SLURM compressed host list (``"node[1-3,7],gpu-[01-02]x"``) into host names."""
    text = nodelist.replace(" ", "")
    # split on commas that are not inside brackets
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
    entries.append(text[start:])

    hosts: list[str] = []
    for entry in entries:
        if not entry:
            continue
        parts = re.split(r"\[([^\]]*)\]", entry)
        # parts: prefix, group, text, group, ..., suffix
        expanded = [parts[0]]
        for k in range(1, len(parts), 2):
            spec, suffix = parts[k], parts[k + 1]
            if not spec:
                raise ValueError(f"hostlist invalid : {nodelist}")
            ranges = []
            for item in spec.split(","):
                if not item:
                    raise ValueError(f"hostlist invalid : {nodelist}")
                lo, _, hi = item.partition("-")
                if not lo.isdigit() or (hi and not hi.isdigit()):
                    raise ValueError(f"hostlist invalid : {nodelist}")
                ranges.append((lo, hi or lo))
            lead_zeros = max(len(lo) - len(lo.lstrip("0")) for lo, _ in ranges)
            width = lead_zeros + 1
            numbers = sorted({n for lo, hi in ranges for n in range(int(lo), int(hi) + 1)})
            values = [f"{n:0{width}d}" for n in numbers]
            expanded = [e + v + suffix for e in expanded for v in values]
        hosts.extend(expanded)
    return hosts


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
