"""A child process saving asynchronously in a loop, killed with SIGKILL right after one of its saves returned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_SCRIPT = """
import sys, torch
from torch import nn
from ignite.engine import Engine
from ignite.handlers import Checkpoint, {saver}

model = nn.Linear(1, 1, bias=False)
model.weight = nn.Parameter(torch.zeros(2_000_000))  # 8 MB: each background write takes a while
c = Checkpoint({{"model": model}}, {saver}(sys.argv[1]), n_saved=2, async_save=True)
engine = Engine(lambda e, b: None)
for it in range(1, 10_000):
    with torch.no_grad():
        model.weight.fill_(it)
    engine.state.iteration = it
    c(engine)
    print("RETURNED", it, *[item.filename for item in c._saved], flush=True)
"""


def kill_after_save(dirname: Path, saver: str, kill_after: int) -> list[str]:
    """Run the child with ``saver`` (``"DiskSaver"`` or ``"DCPSaver"``) writing into ``dirname``, kill it with
    SIGKILL right after save ``kill_after`` returned (its write is then in flight), and return the checkpoint
    names the child had listed at that moment. The weights of save ``n`` all equal ``n``."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    script = _SCRIPT.format(saver=saver)
    proc = subprocess.Popen([sys.executable, "-c", script, str(dirname)], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    listed: list[str] = []
    try:
        deadline = time.monotonic() + 600  # a hang limit only
        while time.monotonic() < deadline:
            line = proc.stdout.readline().split()
            assert line and line[0] == "RETURNED", "the child ended early"
            listed = line[2:]
            if int(line[1]) == kill_after:
                proc.send_signal(signal.SIGKILL)
                break
        assert proc.wait(timeout=600) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.stdout.close()
    return listed
