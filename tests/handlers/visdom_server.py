"""Start and stop a real Visdom server on 127.0.0.1 for the tests.

``python -m visdom.server`` first downloads its web page's scripts and gives up without network, so the
server's own ``main`` is run directly: the same server, without the download (the tests use no browser).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_RUN = "import sys; from visdom.server.run_server import main; sys.argv[0] = 'visdom'; main()"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def visdom_server(env_path: Path, timeout: float = 600.0) -> Iterator[int]:
    """A running server (its port); stopped on exit."""
    port = free_port()
    args = ["-port", str(port), "--hostname", "127.0.0.1", "-env_path", str(env_path), "-logging_level", "ERROR"]
    proc = subprocess.Popen(
        [sys.executable, "-c", _RUN, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + timeout
        while not _listening(port):
            if proc.poll() is not None:
                raise RuntimeError(f"visdom server exited: {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("visdom server did not start")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
