"""Run inside real gloo processes by ``test_fsdp_dcp.py`` (module level so that they pickle)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from torch import nn

import ignite.distributed as idist
from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import Checkpoint, DCPSaver, DiskSaver, EMAHandler
from ignite.metrics import Accuracy, Loss

BATCH, ITERS, EPOCHS, LR, EMA_MOMENTUM = 12, 3, 2, 0.05, 0.5


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 10), nn.ReLU(), nn.Linear(10, 3))


def make_data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    return [(torch.randn(BATCH, 6, generator=g), torch.randint(0, 3, (BATCH,), generator=g)) for _ in range(ITERS)]


def shard(batches: list, rank: int, world_size: int) -> list:
    """Rank ``r``'s contiguous slice of each batch (equal sizes, so the mean of means is the full mean)."""
    n = BATCH // world_size
    return [(x[rank * n : (rank + 1) * n], y[rank * n : (rank + 1) * n]) for x, y in batches]


def full_params(model: nn.Module) -> dict[str, torch.Tensor]:
    """The unsharded parameters (collective under FSDP2)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    return get_model_state_dict(model, options=StateDictOptions(full_state_dict=True))


def full_optim(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

    return get_optimizer_state_dict(model, optimizer, options=StateDictOptions(full_state_dict=True))


def _save_rank0(obj: object, path: Path) -> None:
    if idist.get_rank() == 0:
        torch.save(obj, path)


def train_fsdp(local_rank: int, out_dir: str, one_rank_ckpt: str) -> None:
    """Train with FSDP2 (one ``fully_shard`` per Linear), an EMA, metrics, a DCP and a disk checkpoint."""
    from torch.distributed.fsdp import FSDPModule

    out = Path(out_dir)
    rank, ws = idist.get_rank(), idist.get_world_size()
    model = idist.auto_model(make_model(), fsdp=True, fsdp_policy={nn.Linear})
    sharded = [name for name, m in model.named_modules() if isinstance(m, FSDPModule)]
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
    ema_model = idist.auto_model(make_model(), fsdp=True, fsdp_policy={nn.Linear})
    ema = EMAHandler(model, momentum=EMA_MOMENTUM, ema_model=ema_model)
    ema.attach(trainer)
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
    dcp_handler = Checkpoint(to_save, DCPSaver(out / "ckpt2"), n_saved=2)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=2), dcp_handler)
    disk_handler = Checkpoint({"model": model, "ema": ema.ema_model}, DiskSaver(out / "disk2"), n_saved=1)
    trainer.add_event_handler(Events.COMPLETED, disk_handler)
    trainer.run(shard(make_data(), rank, ws), max_epochs=EPOCHS)

    evaluator = create_supervised_evaluator(model, metrics={"acc": Accuracy(), "loss": Loss(nn.CrossEntropyLoss())})
    evaluator.run(shard(make_data(), rank, ws))
    params = full_params(model)
    ema_params = full_params(ema.ema_model)
    optim = full_optim(model, optimizer)
    if rank == 0:
        torch.save({"params": params, "ema": ema_params, "optim": optim}, out / "fsdp_trained.pt")
        (out / "fsdp_trained.json").write_text(
            json.dumps(
                {
                    "sharded": sharded,
                    "metrics": evaluator.state.metrics,
                    "saved": sorted(os.listdir(out / "ckpt2")),
                    "last": str(dcp_handler.last_checkpoint),
                    "disk": str(disk_handler.last_checkpoint),
                }
            )
        )

    _mixed_precision_and_offload(out)

    # the other way round: a checkpoint written by one process, loaded onto these 2 ranks
    model1 = idist.auto_model(make_model(), fsdp=True, fsdp_policy=100)
    optimizer1 = torch.optim.Adam(model1.parameters(), lr=LR)
    trainer1 = create_supervised_trainer(model1, optimizer1, nn.CrossEntropyLoss())
    Checkpoint.load_objects({"model": model1, "optimizer": optimizer1, "trainer": trainer1}, one_rank_ckpt)
    loaded = {"params": full_params(model1), "optim": full_optim(model1, optimizer1), "it": trainer1.state.iteration}
    _save_rank0(loaded, out / "loaded_1_on_2.pt")


def load_then_save(local_rank: int, ckpt: str, out_file: str, new_ckpt_dir: str) -> None:
    """Load a DCP checkpoint onto this world size, dump the full state; then save it from here, parameters + 1."""
    model = idist.auto_model(make_model(), fsdp=True, fsdp_policy={nn.Linear})
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
    to_load = {"model": model, "optimizer": optimizer, "trainer": trainer}
    Checkpoint.load_objects(to_load, ckpt)
    state = {"params": full_params(model), "optim": full_optim(model, optimizer), "it": trainer.state.iteration}
    _save_rank0(state, Path(out_file))
    if new_ckpt_dir:
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)
        handler = Checkpoint(to_load, DCPSaver(new_ckpt_dir), n_saved=1)
        handler(trainer)


def _mixed_precision_and_offload(out: Path) -> None:
    """The policies reach every ``fully_shard`` call: bf16 compute, fp32 shards on CPU, a trainer still steps."""
    from torch.distributed.fsdp import CPUOffloadPolicy, FSDPModule, MixedPrecisionPolicy

    mp = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
    offload = CPUOffloadPolicy(pin_memory=False)  # pinning needs an accelerator
    model = idist.auto_model(make_model(), fsdp=True, fsdp_policy={nn.Linear}, mp_policy=mp, offload_policy=offload)
    states = [m._get_fsdp_state() for m in model.modules() if isinstance(m, FSDPModule)]
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
    x, _ = shard(make_data(), idist.get_rank(), idist.get_world_size())[0]
    out_dtype = str(model(x).dtype)
    trainer.run(shard(make_data(), idist.get_rank(), idist.get_world_size()), max_epochs=1)
    if idist.get_rank() == 0:
        (out / "mp_offload.json").write_text(
            json.dumps(
                {
                    "n": len(states),
                    "param_dtypes": sorted({str(s._mp_policy.param_dtype) for s in states}),
                    "offload": [
                        type(s._fsdp_param_group.offload_policy).__name__
                        for s in states
                        if s._fsdp_param_group is not None  # the root holds no parameter of its own
                    ],
                    "out_dtype": out_dtype,
                    "shard_dtypes": sorted({str(p.dtype) for p in model.parameters()}),
                    "loss": trainer.state.output,
                }
            )
        )
