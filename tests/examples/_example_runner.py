"""Run an example script as a user would: ``python examples/NAME.py ARGS`` in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TIMEOUT = 300  # only so that a hang fails instead of blocking the suite; the fast modes take seconds of CPU


def run_example(name: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("MPLBACKEND", None)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        cwd=cwd,
    )


def fast_result(name: str, output_dir: Path, *args: str) -> dict:
    """Run ``--fast`` into ``output_dir``; it must succeed; returns its ``RESULT {...}`` line."""
    done = run_example(name, "--fast", "--output-dir", str(output_dir), *args)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, done.stdout[-3000:]
    return json.loads(lines[0][len("RESULT ") :]) | {"_stdout": done.stdout}


def is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
