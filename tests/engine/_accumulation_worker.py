"""Run by ``idist.Parallel`` on 2 gloo ranks: DDP training with gradient accumulation through
``create_supervised_trainer``, counting the gradient all-reduces with a DDP communication hook."""

import json
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

from ignite.engine import create_supervised_trainer


def global_batches(n: int, world_size: int, rows: int = 3, seed: int = 0) -> list:
    """``n`` global batches, each ``world_size * rows`` samples (rank ``r`` trains on rows ``r*rows:(r+1)*rows``)."""
    g = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(world_size * rows, 4, generator=g), torch.randn(world_size * rows, 2, generator=g))
        for _ in range(n)
    ]


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def run(local_rank: int, out_dir: str, k: int, n: int, epochs: int) -> None:
    rank, world_size = dist.get_rank(), dist.get_world_size()
    rows = 3
    data = [
        (x[rank * rows : (rank + 1) * rows], y[rank * rows : (rank + 1) * rows])
        for x, y in global_batches(n, world_size, rows)
    ]
    ddp = nn.parallel.DistributedDataParallel(make_model())
    allreduces = [0]

    def counting_allreduce(process_group, bucket):
        allreduces[0] += 1
        return default_hooks.allreduce_hook(process_group, bucket)

    ddp.register_comm_hook(None, counting_allreduce)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    steps = [0]
    optimizer.register_step_post_hook(lambda *args: steps.__setitem__(0, steps[0] + 1))
    trainer = create_supervised_trainer(ddp, optimizer, nn.functional.mse_loss, gradient_accumulation_steps=k)
    trainer.run(data, max_epochs=epochs)
    out = Path(out_dir)
    torch.save(ddp.module.state_dict(), out / f"params{rank}.pt")
    (out / f"counts{rank}.json").write_text(json.dumps({"allreduces": allreduces[0], "steps": steps[0]}))
