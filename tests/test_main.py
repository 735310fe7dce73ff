"""``python -m ignite`` names the implementation, version and location of the ``ignite`` a program imports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import ignite

ROOT = Path(__file__).resolve().parents[1]


def _run(cwd: Path, *path: Path) -> str:
    """``python -m ignite`` run in ``cwd`` (first on ``sys.path`` under ``-m``) with ``path`` as PYTHONPATH."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in path)}
    done = subprocess.run(
        [sys.executable, "-m", "ignite"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


def test_reports_ignite_ng_its_version_and_location(tmp_path):
    lines = _run(tmp_path, ROOT).splitlines()
    assert lines[0] == "implementation: ignite-ng"
    assert lines[1] == f"version: {ignite.__version__}"
    assert lines[2] == f"location: {ROOT / 'ignite'}"
    assert "distribution pytorch-ignite: not installed" in lines


def test_tells_another_ignite_apart(tmp_path):
    # upstream installed over ours leaves our __main__.py beside its own __init__.py, which has no marker
    package = tmp_path / "ignite"
    package.mkdir()
    (package / "__init__.py").write_text('__version__ = "0.5.2"\n')
    shutil.copy(ROOT / "ignite" / "__main__.py", package / "__main__.py")
    for name, version in (("pytorch_ignite", "0.5.2"), ("ignite_ng", "0.6.0")):  # both distributions' metadata
        dist = tmp_path / f"{name}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    out = _run(tmp_path, ROOT)  # tmp_path's ignite and metadata come first
    lines = out.splitlines()
    assert lines[0] == "implementation: not ignite-ng (another package provides ignite)"
    assert lines[1] == "version: 0.5.2"
    assert lines[2] == f"location: {package.resolve()}"
    assert "distribution pytorch-ignite: 0.5.2 installed" in lines
    assert "distribution ignite-ng: 0.6.0 installed" in lines
    assert lines[-1].startswith("warning: both distributions are installed")
