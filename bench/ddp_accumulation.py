"""Gradient all-reduces per optimizer step with ``gradient_accumulation_steps=4`` under DDP (2 gloo ranks);
with ``--fsdp`` the reduce-scatters under FSDP2.

ignite:  ``create_supervised_trainer(ddp_model, ..., gradient_accumulation_steps=4)``; the micro-steps inside
         an accumulation window run in ``ddp_model.no_sync()``.
naive:   the accumulation loop of the upstream FAQ (``loss / k``, backward every iteration, step every k),
         i.e. what a step without ``no_sync`` does: DDP all-reduces the gradients at every backward.

All-reduces are counted by a DDP communication hook wrapping ``allreduce_hook`` (the model, 2 layers of
256 units, fits one bucket, so one hook call is one all-reduce); optimizer steps by a step post-hook.
``ms_per_step`` is the wall time per optimizer step on rank 0 after a warm-up epoch. Prints one JSON line.

``--fsdp``: the same two loops on an FSDP2 model (``idist.auto_model(model, fsdp=True)``: one ``fully_shard``
on the root, hence one reduce-scatter per backward that syncs), counting the calls FSDP2 makes to
``torch.distributed``'s reduce-scatter functions; the trainer's micro-steps run with gradient sync off.
Usage: ``python bench/ddp_accumulation.py [--epochs 3] [--batches 32] [--fsdp]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import torch
import torch.distributed as dist
from torch import nn

import ignite.distributed as idist
from ignite.engine import Engine, create_supervised_trainer

K = 4


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))


def _count(ddp: nn.parallel.DistributedDataParallel, opt: torch.optim.Optimizer) -> dict:
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

    counts = {"collectives": 0, "steps": 0}

    def hook(process_group, bucket):  # type: ignore[no-untyped-def]
        counts["collectives"] += 1
        return default_hooks.allreduce_hook(process_group, bucket)

    ddp.register_comm_hook(None, hook)
    opt.register_step_post_hook(lambda *args: counts.__setitem__("steps", counts["steps"] + 1))
    return counts


_REDUCE_SCATTERS = {
    name: getattr(dist, name) for name in ("reduce_scatter_single", "reduce_scatter_tensor") if hasattr(dist, name)
}


def _count_fsdp(opt: torch.optim.Optimizer) -> dict:
    """Count FSDP2's reduce-scatters: it calls ``torch.distributed.reduce_scatter_single`` (or, in older
    torch, ``reduce_scatter_tensor``) by attribute at each backward that syncs; the real function runs.
    ``_restore_reduce_scatters()`` puts the originals back."""
    counts = {"collectives": 0, "steps": 0}
    for name, fn in _REDUCE_SCATTERS.items():

        def counting(*args, _fn=fn, **kwargs):  # type: ignore[no-untyped-def]
            counts["collectives"] += 1
            return _fn(*args, **kwargs)

        setattr(dist, name, counting)
    opt.register_step_post_hook(lambda *args: counts.__setitem__("steps", counts["steps"] + 1))
    return counts


def _restore_reduce_scatters() -> None:
    for name, fn in _REDUCE_SCATTERS.items():
        setattr(dist, name, fn)


def _naive_step(model: nn.Module, opt: torch.optim.Optimizer) -> Engine:
    def update(engine: Engine, batch: tuple) -> float:
        model.train()
        x, y = batch
        loss = nn.functional.cross_entropy(model(x), y) / K
        loss.backward()
        if engine.state.iteration % K == 0:
            opt.step()
            opt.zero_grad()
        return loss.item() * K

    return Engine(update)


def worker(local_rank: int, cfg: dict) -> None:
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(dist.get_rank())
    data = [(torch.randn(32, 64, generator=g), torch.randint(0, 10, (32,), generator=g)) for _ in range(cfg["batches"])]
    out = {}
    collective = "reduce_scatters" if cfg["fsdp"] else "allreduces"
    for name in ("ignite", "naive"):
        if cfg["fsdp"]:
            model = idist.auto_model(_model(), fsdp=True)
        else:
            model = nn.parallel.DistributedDataParallel(_model())
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        if name == "ignite":
            engine = create_supervised_trainer(model, opt, nn.functional.cross_entropy, gradient_accumulation_steps=K)
        else:
            engine = _naive_step(model, opt)
        engine.run(data, max_epochs=1)  # warm-up
        counts = _count_fsdp(opt) if cfg["fsdp"] else _count(model, opt)
        dist.barrier()
        t0 = time.perf_counter()
        engine.run(data, max_epochs=1 + cfg["epochs"])
        elapsed = time.perf_counter() - t0
        _restore_reduce_scatters()
        out[name] = {
            f"{collective}_per_step": counts["collectives"] / counts["steps"],
            collective: counts["collectives"],
            "optimizer_steps": counts["steps"],
            "ms_per_step": round(1000 * elapsed / counts["steps"], 3),
        }
    if dist.get_rank() == 0:
        with open(cfg["out"], "w") as f:
            json.dump(out, f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batches", type=int, default=32)
    ap.add_argument("--fsdp", action="store_true", help="an FSDP2 model (count reduce-scatters) instead of DDP")
    args = ap.parse_args()
    collective = "reduce_scatters" if args.fsdp else "allreduces"
    with tempfile.TemporaryDirectory() as tmp:
        cfg = {"epochs": args.epochs, "batches": args.batches, "fsdp": args.fsdp, "out": os.path.join(tmp, "out.json")}
        with idist.Parallel(backend="gloo", nproc_per_node=2, master_addr="127.0.0.1", timeout=300) as parallel:
            parallel.run(worker, cfg)
        with open(cfg["out"]) as f:
            results = json.load(f)
    print(
        json.dumps(
            {
                "bench": "fsdp_accumulation" if args.fsdp else "ddp_accumulation",
                "world_size": 2,
                "backend": "gloo",
                "gradient_accumulation_steps": K,
                f"{collective}_per_optimizer_step": results["ignite"][f"{collective}_per_step"],
                f"naive_{collective}_per_optimizer_step": results["naive"][f"{collective}_per_step"],
                "ignite": results["ignite"],
                "naive": results["naive"],
            }
        )
    )


if __name__ == "__main__":
    main()
