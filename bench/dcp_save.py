#!/usr/bin/env python
"""Sharded checkpoint save: ``Checkpoint`` + ``DCPSaver`` against ``torch.distributed.checkpoint.save`` by hand.

Two gloo ranks shard an MLP with FSDP2 (one ``fully_shard`` per Linear); after one Adam step the parameters and
the optimizer state total ~150 MB (50 MB of parameters, twice that of Adam moments). Each round times, on the
same ranks and into the same directory's file system:

* ``by_hand``: ``get_state_dict(model, optimizer)`` then ``dcp.save`` into a fresh directory (torch's defaults:
  one writer thread, fsync of every file) — what a user writes without a library;
* ``handler``: one call of ``Checkpoint({"model", "optimizer", "trainer"}, DCPSaver(dir), n_saved=None)``,
  i.e. the same plus the temporary directory, the barriers, the rename into place and the directory fsync.

Rounds alternate the two (ABBA order); the figure is the ratio of medians (and the median of per-round ratios). Rank 0's
wall time per save, each save preceded by a barrier.

With ``--async`` the two are instead the handler with a synchronous save and the same handler with
``async_save=True``: for the latter, the time the training loop is blocked (the call: staging the shards to CPU)
and, apart, the time until ``wait()`` returns (the background write, rename and listing on every rank).

Prints ONE JSON line on stdout.

    python bench/dcp_save.py              # 5 rounds
    python bench/dcp_save.py --rounds 3 --mb 60
    python bench/dcp_save.py --async
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time

import torch
from torch import nn

import ignite.distributed as idist


def _model(mb: float) -> nn.Module:
    width = 1024
    layers = max(1, round(mb * 2**20 / 4 / (width * width + width)))
    return nn.Sequential(*[nn.Linear(width, width) for _ in range(layers)])


def _worker(local_rank: int, out_dir: str, rounds: int, mb: float) -> None:
    import torch.distributed as dist
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import get_state_dict

    from ignite.engine import Engine
    from ignite.handlers import Checkpoint, DCPSaver

    model, optimizer, total_mb = _setup(mb)
    trainer = Engine(lambda e, b: None)

    handler = Checkpoint(
        {"model": model, "optimizer": optimizer, "trainer": trainer},
        DCPSaver(os.path.join(out_dir, "handler")),
        n_saved=None,
        global_step_transform=lambda e, n: e.state.iteration,
    )
    by_hand, ours = [], []
    for r in range(2 * rounds):
        dist.barrier()
        t0 = time.perf_counter()
        if r % 4 in (0, 3):  # ABBA order: neither goes first every time
            model_sd, optim_sd = get_state_dict(model, optimizer)
            state = {"model": model_sd, "optimizer": optim_sd, "trainer": trainer.state_dict()}
            dcp.save(state, checkpoint_id=os.path.join(out_dir, "by_hand", str(r)))
            by_hand.append(time.perf_counter() - t0)
        else:
            trainer.state.iteration = r
            handler(trainer)
            ours.append(time.perf_counter() - t0)
        dist.barrier()
        if idist.get_rank() == 0:  # keep the disk from filling up; not timed
            shutil.rmtree(os.path.join(out_dir, "by_hand"), ignore_errors=True)
            shutil.rmtree(os.path.join(out_dir, "handler", f"checkpoint_{r}.dcp"), ignore_errors=True)
        dist.barrier()
    if idist.get_rank() == 0:
        with open(os.path.join(out_dir, "result.json"), "w") as f:
            json.dump({"by_hand": by_hand, "handler": ours, "mb": total_mb}, f)


def _async_worker(local_rank: int, out_dir: str, rounds: int, mb: float) -> None:
    """Sync handler against async handler (blocked time, then time to ``wait()``), ABBA order."""
    import torch.distributed as dist

    from ignite.engine import Engine
    from ignite.handlers import Checkpoint, DCPSaver

    model, optimizer, total_mb = _setup(mb)
    trainer = Engine(lambda e, b: None)
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
    step = lambda e, n: e.state.iteration  # noqa: E731
    handlers = {
        kind: Checkpoint(
            to_save,
            DCPSaver(os.path.join(out_dir, kind)),
            n_saved=1,
            global_step_transform=step,
            async_save=kind == "async",
        )
        for kind in ("sync", "async")
    }
    times: dict[str, list[float]] = {"sync": [], "async_blocked": [], "async_until_wait": []}
    for r in range(2 * rounds):
        kind = "sync" if r % 4 in (0, 3) else "async"
        trainer.state.iteration = r
        dist.barrier()
        t0 = time.perf_counter()
        handlers[kind](trainer)
        t1 = time.perf_counter()
        handlers[kind].wait()
        t2 = time.perf_counter()
        if kind == "sync":
            times["sync"].append(t1 - t0)
        else:
            times["async_blocked"].append(t1 - t0)
            times["async_until_wait"].append(t2 - t0)
        dist.barrier()
    if idist.get_rank() == 0:
        with open(os.path.join(out_dir, "result.json"), "w") as f:
            json.dump({**times, "mb": total_mb}, f)


def _setup(mb: float) -> tuple[nn.Module, torch.optim.Optimizer, float]:
    """The FSDP2 model after one Adam step, and the megabytes of state over all ranks."""
    torch.manual_seed(0)
    model = idist.auto_model(_model(mb), fsdp=True, fsdp_policy={nn.Linear})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(4, 1024)).sum().backward()
    optimizer.step()
    local = [getattr(t, "to_local", lambda t=t: t)() for t in model.parameters()]  # this rank's shards
    local += [getattr(t, "to_local", lambda t=t: t)() for s in optimizer.state.values() for t in s.values()]
    total = sum(t.numel() * t.element_size() for t in local)
    return model, optimizer, idist.all_reduce(float(total)) / 2**20


def _spawn(worker, args: argparse.Namespace) -> dict:
    """Run ``worker`` on 2 gloo ranks and return the ``result.json`` rank 0 wrote."""
    with tempfile.TemporaryDirectory() as out_dir:
        idist.spawn("gloo", worker, (out_dir, args.rounds, args.mb), nproc_per_node=2)
        with open(os.path.join(out_dir, "result.json")) as f:
            return json.load(f)


def _main_async(args: argparse.Namespace) -> None:
    res = _spawn(_async_worker, args)
    sync, blocked, until_wait = res["sync"], res["async_blocked"], res["async_until_wait"]
    print(
        json.dumps(
            {
                "bench": "dcp_save_async",
                "ranks": 2,
                "state_mb": round(res["mb"], 1),
                "rounds": args.rounds,
                "sync_s_median": round(statistics.median(sync), 4),
                "async_blocked_s_median": round(statistics.median(blocked), 4),
                "async_until_wait_s_median": round(statistics.median(until_wait), 4),
                "blocked_vs_sync": round(statistics.median(blocked) / statistics.median(sync), 3),
                "torch": torch.__version__,
                "python": platform.python_version(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mb", type=float, default=50.0, help="megabytes of parameters (Adam adds twice that)")
    parser.add_argument("--async", dest="async_", action="store_true", help="sync handler against async_save=True")
    args = parser.parse_args()
    if args.async_:
        _main_async(args)
        return
    res = _spawn(_worker, args)
    by_hand, ours = res["by_hand"], res["handler"]
    print(
        json.dumps(
            {
                "bench": "dcp_save",
                "ranks": 2,
                "state_mb": round(res["mb"], 1),
                "rounds": args.rounds,
                "by_hand_s_median": round(statistics.median(by_hand), 4),
                "handler_s_median": round(statistics.median(ours), 4),
                "ratio_of_medians": round(statistics.median(ours) / statistics.median(by_hand), 3),
                "paired_ratio_median": round(statistics.median(o / b for o, b in zip(ours, by_hand)), 3),
                "target": "<= 1.2",
                "torch": torch.__version__,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
