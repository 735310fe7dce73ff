#!/usr/bin/env python
"""How quickly a failing rank stops the others (the figure the rank-failure tests used to assert).

Two gloo ranks are spawned by ``idist.spawn``; rank 1 raises once rank 0 is about to block in an
``all_reduce`` that rank 1 never joins (the collective timeout is 120 s, so only the failure handling can end
the run early). ``stop_s`` is the time from rank 1's ``raise`` until ``idist.spawn`` has raised
``RankFailedError`` in the parent, every rank gone. ``startup_s`` is the time from the launch call to both
ranks passing their first barrier, for scale. Median and max over ``--runs`` launches.

Prints ONE JSON line on stdout. Traffic stays on 127.0.0.1.

    python bench/rank_failure_stop.py            # 5 launches
    python bench/rank_failure_stop.py --runs 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import timedelta

import torch

import ignite.distributed as idist


def _stamp(out_dir: str, name: str) -> None:
    path = os.path.join(out_dir, name)
    with open(path + ".tmp", "w") as f:
        f.write(repr(time.time()))
    os.replace(path + ".tmp", path)


def _read(out_dir: str, name: str) -> float:
    with open(os.path.join(out_dir, name)) as f:
        return float(f.read())


def _worker(local_rank: int, out_dir: str) -> None:
    idist.barrier()
    rank = idist.get_rank()
    _stamp(out_dir, f"started{rank}")
    if rank == 1:
        while not os.path.exists(os.path.join(out_dir, "waiting0")):
            time.sleep(0.001)
        _stamp(out_dir, "raised")
        raise ValueError("boom from rank 1")
    _stamp(out_dir, "waiting0")
    idist.all_reduce(torch.ones(1))
    time.sleep(120)


def _one_launch() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as out_dir:
        t0 = time.time()
        try:
            idist.spawn("gloo", _worker, args=(out_dir,), nproc_per_node=2, timeout=timedelta(seconds=120))
        except idist.RankFailedError as e:
            assert e.rank == 1, e
        else:
            raise AssertionError("the run was expected to fail on rank 1")
        end = time.time()
        started = max(_read(out_dir, f"started{r}") for r in range(2))
        return end - _read(out_dir, "raised"), started - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    stops, startups = [], []
    for _ in range(args.runs):
        stop, startup = _one_launch()
        stops.append(stop)
        startups.append(startup)
    print(
        json.dumps(
            {
                "bench": "rank_failure_stop",
                "runs": args.runs,
                "stop_s": round(statistics.median(stops), 3),
                "stop_s_max": round(max(stops), 3),
                "startup_s": round(statistics.median(startups), 3),
                "torch": torch.__version__,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
