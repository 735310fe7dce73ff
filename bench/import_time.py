"""Import cost of ignite's main packages on top of ``import torch``, each measured in a fresh process.

Prints one JSON line: median seconds for ``import torch`` alone and for ``import torch`` followed by
``import ignite.engine, ignite.metrics, ignite.handlers, ignite.distributed``, and their difference.
Usage: ``python bench/import_time.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

_TIMER = "import time; t0 = time.perf_counter(); {stmt}; print(time.perf_counter() - t0)"
TORCH = "import torch"
IGNITE = "import torch; import ignite.engine, ignite.metrics, ignite.handlers, ignite.distributed"


def _time(stmt: str) -> float:
    out = subprocess.run([sys.executable, "-c", _TIMER.format(stmt=stmt)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    _time(IGNITE)  # warm the file cache
    torch_t, ignite_t = [], []
    for _ in range(args.repeats):
        torch_t.append(_time(TORCH))
        ignite_t.append(_time(IGNITE))
    t, i = statistics.median(torch_t), statistics.median(ignite_t)
    print(
        json.dumps(
            {
                "bench": "import_time",
                "repeats": args.repeats,
                "torch_s": round(t, 3),
                "torch_plus_ignite_s": round(i, 3),
                "ignite_added_s": round(i - t, 3),
                "target_added_s": 0.2,
            }
        )
    )


if __name__ == "__main__":
    main()
