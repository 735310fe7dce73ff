"""A training run that records the sample indices it sees, for the elastic exact-resume tests.

``train`` runs on every rank (spawned by ``idist.spawn``, or called in the test process as one rank): a dataset
of the indices themselves, a shuffling ``DistributedSampler`` over the current ranks, a tiny model (DDP when
distributed), a ``Checkpoint`` with an ``ExactResume``. It writes ``<out>/<tag>_rank<r>.json``: per iteration,
``[epoch, iteration, indices of the batch]``, and the final counters.
"""

from __future__ import annotations

import json
import os

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

import ignite.distributed as idist
from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint, DiskSaver
from ignite.handlers.resume import ExactResume

N, BATCH, SEED = 40, 4, 7


def build(stop_at: int | None, ckpt_dir: str) -> tuple[Engine, DataLoader, list, dict]:
    world, rank = idist.get_world_size(), idist.get_rank()
    torch.manual_seed(0)
    dataset = TensorDataset(torch.arange(N))
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=SEED)
    loader = DataLoader(dataset, batch_size=BATCH, sampler=sampler)
    model = nn.Linear(1, 1)
    if world > 1:
        model = idist.auto_model(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    seen: list = []

    def step(engine: Engine, batch: list) -> float:
        (idx,) = batch
        seen.append([engine.state.epoch, engine.state.iteration, idx.tolist()])
        opt.zero_grad()
        loss = model(idx.float().unsqueeze(1)).pow(2).mean()
        loss.backward()  # an all-reduce per step on 2 ranks: the ranks must agree on the number of steps
        opt.step()
        return loss.item()

    trainer = Engine(step)
    trainer.add_event_handler(Events.EPOCH_STARTED, lambda e: sampler.set_epoch(e.state.epoch - 1))
    to_save = {"model": model, "optimizer": opt, "trainer": trainer, "resume": ExactResume(trainer)}
    checkpointer = Checkpoint(to_save, DiskSaver(ckpt_dir, require_empty=False), n_saved=1)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at or 10**9), checkpointer)
    if stop_at is not None:
        trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), lambda e: e.terminate())
    return trainer, loader, seen, to_save


def train(local_rank: int, out: str, tag: str, max_epochs: int, stop_at: int | None, load: str | None) -> None:
    """One run; its checkpoint (if ``stop_at``) goes to ``<out>/ckpt_<tag>``."""
    trainer, loader, seen, to_save = build(stop_at, os.path.join(out, f"ckpt_{tag}"))
    if load is not None:
        Checkpoint.load_objects(to_load=to_save, checkpoint=load)
    trainer.run(loader, max_epochs=max_epochs)
    result = {"seen": seen, "iteration": trainer.state.iteration, "epoch": trainer.state.epoch}
    with open(os.path.join(out, f"{tag}_rank{idist.get_rank()}.json"), "w") as f:
        json.dump(result, f)


def train_jobs(local_rank: int, jobs: list[tuple]) -> None:
    """Several runs in one spawned world (one process start for all of them)."""
    for job in jobs:
        train(local_rank, *job)
