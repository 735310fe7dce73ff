"""Training script run as a child process by the kill/resume and preemption tests.

A dropout MLP trained with a shuffling DataLoader, a stateful handler and an EPOCH_STARTED lr change; it checkpoints
into ``--dir`` and, started again, resumes from the latest checkpoint there. It prints ``ITER <n>`` after every
iteration (so the parent can send a signal at a chosen one) and writes the final parameters to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import Events, create_supervised_trainer
from ignite.handlers import Checkpoint, DiskSaver
from ignite.handlers.preemption import PreemptionHandler
from ignite.handlers.resume import ExactResume


class LossSum:
    """A stateful handler: running sum of the loss and an iteration count."""

    def __init__(self) -> None:
        self.n = 0
        self.total = 0.0

    def __call__(self, engine) -> None:
        self.n += 1
        self.total += float(engine.state.output)

    def state_dict(self) -> dict:
        return {"n": self.n, "total": self.total}

    def load_state_dict(self, sd: dict) -> None:
        self.n, self.total = sd["n"], sd["total"]


class NoisyDataset(TensorDataset):
    """Random augmentation inside the dataset (drawn in the DataLoader workers when there are some)."""

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        return x + 0.05 * torch.randn_like(x), y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", choices=["plain", "preempt", "none"], default="plain")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--deterministic", action="store_true", help="a DeterministicEngine trainer")
    ap.add_argument("--augment", action="store_true", help="random noise added to the samples by the dataset")
    ap.add_argument("--sleep", type=float, default=0.0)
    ap.add_argument("--async-save", action="store_true")
    ap.add_argument("--pause-at", type=int, default=0, help="after this iteration, wait for the file <dir>.go")
    args = ap.parse_args()

    torch.manual_seed(12)
    np.random.seed(12)
    random.seed(12)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(90, 6, generator=g)
    y = x @ torch.randn(6, 1, generator=g) + 0.1 * torch.randn(90, 1, generator=g)
    dataset = (NoisyDataset if args.augment else TensorDataset)(x, y)
    loader = DataLoader(dataset, batch_size=8, shuffle=True, num_workers=args.workers)
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Dropout(0.25), nn.Linear(32, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    trainer = create_supervised_trainer(model, optimizer, nn.functional.mse_loss, deterministic=args.deterministic)

    loss_sum = LossSum()
    trainer.add_event_handler(Events.ITERATION_COMPLETED, loss_sum)

    @trainer.on(Events.EPOCH_STARTED)
    def decay(engine):
        for group in optimizer.param_groups:
            group["lr"] *= 0.8

    @trainer.on(Events.ITERATION_COMPLETED)
    def report(engine):
        print(f"ITER {engine.state.iteration}", flush=True)
        if args.sleep:
            time.sleep(args.sleep)
        if engine.state.iteration == args.pause_at:  # the parent signals us, then creates the file
            deadline = time.monotonic() + 600
            while not os.path.exists(args.dir + ".go") and time.monotonic() < deadline:
                time.sleep(0.01)

    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
    if args.mode != "none":
        if args.mode == "plain":
            to_save["resume"] = ExactResume(trainer)
        checkpointer = Checkpoint(
            to_save, DiskSaver(args.dir, require_empty=False), n_saved=2, async_save=args.async_save
        )
        trainer.add_event_handler(Events.ITERATION_COMPLETED(every=args.every), checkpointer)
        if args.mode == "plain":
            found = checkpointer._find_checkpoints()
            if found:
                Checkpoint.load_objects(to_load=to_save, checkpoint=found[0])
                print(f"RESUMED {found[0].name}", flush=True)
        else:
            handler = PreemptionHandler(checkpointer)
            handler.attach(trainer)
            if handler.resumed_from is not None:
                print(f"RESUMED {handler.resumed_from.name}", flush=True)

    trainer.run(loader, max_epochs=args.epochs)
    params = torch.cat([p.detach().flatten() for p in model.parameters()])
    torch.save({"params": params, "n": loss_sum.n, "total": loss_sum.total}, args.out)
    print("DONE", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
