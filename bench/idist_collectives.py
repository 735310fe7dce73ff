#!/usr/bin/env python
"""ignite.distributed collectives and start-up against raw torch.distributed (gloo, 2 CPU processes).

ignite: ``idist.Parallel(backend="gloo", nproc_per_node=2, ...)`` runs a worker that times
        ``idist.all_reduce`` (1M float32), ``idist.all_gather`` (a Python float -> list of floats) and
        ``idist.barrier``.
raw:    ``torch.multiprocessing.spawn`` + ``dist.init_process_group("gloo")``; the worker times
        ``dist.all_reduce`` on the same tensor, ``dist.all_gather`` of a scalar tensor followed by
        ``.item()`` on each element (the same float-in, floats-out work) and ``dist.barrier``.

A timed sample is a barrier then K back-to-back operations; per-op latency is the sample time / K; the
figure is the median over samples on rank 0. Each implementation is launched ``--rounds`` times,
alternating, and the median over launches is reported. ``startup_s`` is the time from the parent's launch
call until both ranks have passed a first barrier (process start, imports, process-group set-up);
``teardown_s`` from rank 0 finishing its work until the launch call returns. ``paired_same_group`` times the
idist call and the raw call alternately inside the same ignite-launched process group, which isolates the
cost of the idist wrapper from machine drift between launches.

Prints ONE JSON line on stdout. Traffic stays on 127.0.0.1.

    python bench/idist_collectives.py            # full
    python bench/idist_collectives.py --quick    # fewer samples, one round
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time

import torch

NPROC = 2


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _timed(barrier, op, k: int, samples: int) -> list[float]:
    per_op = []
    for _ in range(samples):
        barrier()
        t0 = time.perf_counter()
        for _ in range(k):
            op()
        per_op.append((time.perf_counter() - t0) / k)
    return per_op


def _us(per_op: list[float]) -> float:
    return round(statistics.median(per_op) * 1e6, 2)


def _measure(barrier, all_reduce, gather_float, rank: int, ws: int, cfg: dict, t_ready: float) -> dict:
    ok_reduce = bool(torch.all(all_reduce(torch.ones(8)) == ws))
    ok_gather = gather_float(float(rank)) == [float(r) for r in range(ws)]
    t = torch.zeros(cfg["numel"])
    x = float(rank)
    res = {"startup_s": round(t_ready - cfg["t_start"], 3), "correct": ok_reduce and ok_gather}
    for name, op, k in (
        ("all_reduce_1M_float32", lambda: all_reduce(t), cfg["k_reduce"]),
        ("all_gather_scalar", lambda: gather_float(x), cfg["k_gather"]),
        ("barrier", barrier, cfg["k_gather"]),
    ):
        _timed(barrier, op, k, cfg["warmup"])
        res[name] = _us(_timed(barrier, op, k, cfg["samples"]))
    return res


def _raw_ops(ws: int):
    import torch.distributed as dist

    def all_reduce(t):
        dist.all_reduce(t)
        return t

    def gather_float(v):
        out = [torch.zeros(()) for _ in range(ws)]
        dist.all_gather(out, torch.tensor(v, dtype=torch.float))
        return [o.item() for o in out]

    return dist.barrier, all_reduce, gather_float


def _paired(cfg: dict, rank: int, ws: int) -> dict:
    """idist and raw torch.distributed alternating in the same process group: drift hits both alike."""
    import ignite.distributed as idist

    raw_barrier, raw_reduce, raw_gather = _raw_ops(ws)
    t = torch.zeros(cfg["numel"])
    x = float(rank)
    pairs = {
        "all_reduce_1M_float32": (lambda: idist.all_reduce(t), lambda: raw_reduce(t), cfg["k_reduce"]),
        "all_gather_scalar": (lambda: idist.all_gather(x), lambda: raw_gather(x), cfg["k_gather"]),
        "barrier": (idist.barrier, raw_barrier, cfg["k_gather"]),
    }
    out = {}
    for name, (ign, raw, k) in pairs.items():
        ign_t, raw_t = [], []
        for i in range(cfg["warmup"] + cfg["samples"]):
            a = _timed(raw_barrier, ign, k, 1)[0]
            b = _timed(raw_barrier, raw, k, 1)[0]
            if i >= cfg["warmup"]:
                ign_t.append(a)
                raw_t.append(b)
        out[name] = {"ignite_us": _us(ign_t), "raw_us": _us(raw_t), "ratio": round(_us(ign_t) / _us(raw_t), 3)}
    return out


def ignite_worker(local_rank: int, cfg: dict) -> None:
    import ignite.distributed as idist

    torch.set_num_threads(1)
    idist.barrier()
    t_ready = time.time()
    rank, ws = idist.get_rank(), idist.get_world_size()
    res = _measure(idist.barrier, idist.all_reduce, idist.all_gather, rank, ws, cfg, t_ready)
    res["paired"] = _paired(cfg, rank, ws)
    if rank == 0:
        res["t_done"] = time.time()
        with open(cfg["out"], "w") as f:
            json.dump(res, f)


def raw_worker(rank: int, cfg: dict) -> None:
    import torch.distributed as dist

    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(cfg["port"])
    dist.init_process_group("gloo", world_size=NPROC, rank=rank)
    try:
        dist.barrier()
        t_ready = time.time()
        ws = dist.get_world_size()
        barrier, all_reduce, gather_float = _raw_ops(ws)
        res = _measure(barrier, all_reduce, gather_float, rank, ws, cfg, t_ready)
        if rank == 0:
            res["t_done"] = time.time()
            with open(cfg["out"], "w") as f:
                json.dump(res, f)
    finally:
        dist.destroy_process_group()


def run_ignite(cfg: dict) -> float:
    import ignite.distributed as idist

    cfg = dict(cfg, t_start=time.time())
    port = free_port()
    with idist.Parallel(backend="gloo", nproc_per_node=NPROC, master_addr="127.0.0.1", master_port=port) as p:
        p.run(ignite_worker, cfg)
    return time.time()


def run_raw(cfg: dict) -> float:
    import torch.multiprocessing as mp

    cfg = dict(cfg, port=free_port(), t_start=time.time())
    mp.spawn(raw_worker, args=(cfg,), nprocs=NPROC, join=True)
    return time.time()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer samples, one round")
    ap.add_argument("--numel", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=None, help="launches of each (default 3, quick 1)")
    args = ap.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    cfg = {
        "numel": args.numel,
        "samples": 5 if args.quick else 15,
        "warmup": 2,
        "k_reduce": 5 if args.quick else 20,
        "k_gather": 50 if args.quick else 200,
    }

    import logging

    logging.getLogger("ignite").setLevel(logging.WARNING)
    from ignite.utils import setup_logger

    setup_logger("ignite.distributed.launcher.Parallel", level=logging.WARNING)

    per_round: dict[str, list[dict]] = {"ignite": [], "raw": []}
    fns = {"ignite": run_ignite, "raw": run_raw}
    with tempfile.TemporaryDirectory(prefix="bench_idist_") as tmp:
        for rnd in range(rounds):
            order = ["ignite", "raw"] if rnd % 2 == 0 else ["raw", "ignite"]
            for name in order:
                out = os.path.join(tmp, f"{name}_{rnd}.json")
                t_end = fns[name](dict(cfg, out=out))
                with open(out) as f:
                    r = json.load(f)
                r["teardown_s"] = round(t_end - r.pop("t_done"), 3)
                per_round[name].append(r)
                print(f"[idist_collectives] round {rnd} {name}: {r}", file=sys.stderr)

    keys = ("all_reduce_1M_float32", "all_gather_scalar", "barrier", "startup_s", "teardown_s")
    results: dict = {}
    for name, rs in per_round.items():
        rs = [{k: v for k, v in r.items() if k != "paired"} for r in rs]
        results[name] = {k: round(statistics.median(r[k] for r in rs), 3) for k in keys}
        results[name]["correct"] = all(r["correct"] for r in rs)
    ratios = {k: round(results["ignite"][k] / results["raw"][k], 3) for k in keys[:4]}
    paired = {}
    for op in keys[:3]:
        rs = [r["paired"][op] for r in per_round["ignite"]]
        paired[op] = {
            "ignite_us": round(statistics.median(r["ignite_us"] for r in rs), 2),
            "raw_us": round(statistics.median(r["raw_us"] for r in rs), 2),
            "ratio": round(statistics.median(r["ratio"] for r in rs), 3),
        }
    print(
        json.dumps(
            {
                "bench": "idist_collectives",
                "unit": "us per op (startup/teardown in s)",
                "quick": args.quick,
                "rounds": rounds,
                "config": cfg,
                "env": {"python": platform.python_version(), "torch": torch.__version__, "cpus": os.cpu_count()},
                "results": results,
                "ratio_ignite_to_raw": ratios,
                "paired_same_group": paired,
                "targets": {"collectives": 1.1, "startup_s": 1.3},
            }
        )
    )


if __name__ == "__main__":
    main()
