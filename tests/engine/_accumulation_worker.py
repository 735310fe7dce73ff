"""Run by ``idist.Parallel`` on 2 gloo ranks: gradient accumulation through ``create_supervised_trainer`` on a
DDP model (also with ``compile=``) and on FSDP2 models (``idist.auto_model(fsdp=True)``), counting the gradient
collectives torch really issues: a DDP communication hook, and the calls of FSDP2 to ``torch.distributed``'s
reduce-scatter functions."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

import ignite.distributed as idist
from ignite.engine import Events, create_supervised_trainer

ROWS = 3


def global_batches(n: int, world_size: int, rows: int = ROWS, seed: int = 0) -> list:
    """``n`` global batches, each ``world_size * rows`` samples (rank ``r`` trains on rows ``r*rows:(r+1)*rows``)."""
    g = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(world_size * rows, 4, generator=g), torch.randn(world_size * rows, 2, generator=g))
        for _ in range(n)
    ]


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def rank_data(n: int) -> list:
    """This rank's rows of ``global_batches(n, world_size)``."""
    r, world_size = dist.get_rank(), dist.get_world_size()
    return [(x[r * ROWS : (r + 1) * ROWS], y[r * ROWS : (r + 1) * ROWS]) for x, y in global_batches(n, world_size)]


def counting_ddp(model: nn.Module) -> tuple[nn.Module, list[int]]:
    """``model`` in DDP with a communication hook counting the all-reduces (one per bucket; these models fit
    one bucket, so one per backward that reduces)."""
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

    ddp = nn.parallel.DistributedDataParallel(model)
    allreduces = [0]

    def counting_allreduce(process_group, bucket):  # type: ignore[no-untyped-def]
        allreduces[0] += 1
        return default_hooks.allreduce_hook(process_group, bucket)

    ddp.register_comm_hook(None, counting_allreduce)
    return ddp, allreduces


def counting_steps(optimizer: torch.optim.Optimizer) -> list[int]:
    steps = [0]
    optimizer.register_step_post_hook(lambda *args: steps.__setitem__(0, steps[0] + 1))
    return steps


def _ddp_run(k: int, n: int, epochs: int, out: Path) -> None:
    """Plain DDP; every rank writes its parameters and counts."""
    rank = dist.get_rank()
    ddp, allreduces = counting_ddp(make_model())
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    steps = counting_steps(optimizer)
    trainer = create_supervised_trainer(ddp, optimizer, nn.functional.mse_loss, gradient_accumulation_steps=k)
    trainer.run(rank_data(n), max_epochs=epochs)
    torch.save(ddp.module.state_dict(), out / f"params{rank}.pt")
    (out / f"counts{rank}.json").write_text(json.dumps({"allreduces": allreduces[0], "steps": steps[0]}))


class CountReduceScatters:
    """Count the calls to ``torch.distributed``'s reduce-scatter functions while active (FSDP2's default
    communication looks them up on ``torch.distributed`` at each call); the real function still runs."""

    NAMES = ("reduce_scatter_single", "reduce_scatter_tensor")

    def __init__(self) -> None:
        self.calls = 0
        self._saved = {name: getattr(dist, name) for name in self.NAMES if hasattr(dist, name)}

    def _counting(self, fn):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.calls += 1
            return fn(*args, **kwargs)

        return wrapper

    def __enter__(self) -> CountReduceScatters:
        for name, fn in self._saved.items():
            setattr(dist, name, self._counting(fn))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, fn in self._saved.items():
            setattr(dist, name, fn)


def _full_params(model: nn.Module) -> dict[str, torch.Tensor]:
    """The unsharded parameters (``DTensor.full_tensor()`` is a collective: every rank calls it)."""
    return {k: getattr(v, "full_tensor", v.detach)().detach().clone() for k, v in model.state_dict().items()}


def _fsdp_run(name: str, policy: object, k: int, n: int, epochs: int, out: Path) -> dict:
    from ignite.engine._accumulation import fsdp2_modules

    model = idist.auto_model(make_model(), fsdp=True, fsdp_policy=policy)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    steps = counting_steps(optimizer)
    trained = torch.compile(model, backend="aot_eager") if name == "compiled" else model
    trainer = create_supervised_trainer(trained, optimizer, nn.functional.mse_loss, gradient_accumulation_steps=k)
    with CountReduceScatters() as reduce_scatters:
        trainer.run(rank_data(n), max_epochs=epochs)
    params = _full_params(model)
    if dist.get_rank() == 0:
        torch.save(params, out / f"fsdp_{name}.pt")
    return {"reduce_scatters": reduce_scatters.calls, "steps": steps[0], "fsdp_modules": len(fsdp2_modules(trained))}


def _compiled_ddp_run(k: int, n: int, epochs: int, out: Path) -> dict:
    """``compile={"backend": CompileCounterWithBackend("aot_eager")}``; the frames compiled after each epoch."""
    from torch._dynamo.testing import CompileCounterWithBackend

    ddp, allreduces = counting_ddp(make_model())
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    steps = counting_steps(optimizer)
    counter = CompileCounterWithBackend("aot_eager")
    trainer = create_supervised_trainer(
        ddp, optimizer, nn.functional.mse_loss, gradient_accumulation_steps=k, compile={"backend": counter}
    )
    frames: list[int] = []
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: frames.append(int(counter.frame_count)))
    trainer.run(rank_data(n), max_epochs=epochs)
    if dist.get_rank() == 0:
        torch.save(ddp.module.state_dict(), out / "ddp_compiled.pt")
    return {"allreduces": allreduces[0], "steps": steps[0], "frames": frames}


def run(local_rank: int, out_dir: str, k: int, n: int, epochs: int) -> None:
    """Plain DDP; FSDP2 with the root only sharded, with one ``fully_shard`` per Linear, and the latter behind
    ``torch.compile``; then DDP with ``compile=``. Rank 0 writes the counts and the trained parameters of the
    last three (``counts.json``)."""
    out = Path(out_dir)
    _ddp_run(k, n, epochs, out)
    counts = {name: _fsdp_run(name, policy, k, n, epochs, out) for name, policy in FSDP_RUNS.items()}
    counts["ddp_compiled"] = _compiled_ddp_run(k, n, epochs, out)
    if dist.get_rank() == 0:
        (out / "counts.json").write_text(json.dumps(counts))


FSDP_RUNS = {"root": None, "linear": {nn.Linear}, "compiled": {nn.Linear}}
