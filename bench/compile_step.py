"""Compiled supervised step: ``create_supervised_trainer(..., compile=...)`` vs a hand-written loop compiled
the same way, on the digits MLP (64-128-10) and a small CNN (digits as 1x8x8 images).

Both sides compile the same forward + loss function with the same ``torch.compile`` options (so the backward
is compiled by AOTAutograd on both) and run the same optimizer: SGD with momentum and a float learning rate
(the step stays eager on both sides), or with ``--compile-optimizer`` Adam with a tensor learning rate (the
optimizer step is compiled on both sides). After a warm-up epoch that compiles, rounds of ``--epochs`` epochs
alternate between the two; the ratio is trainer time / loop time (median of the paired rounds). The
compilations are counted by ``torch._dynamo.testing.CompileCounterWithBackend`` around the real backend over
the whole run (expected 1: the step; 2 with ``--compile-optimizer``). Prints one JSON line.
Usage: ``python bench/compile_step.py [--backend inductor] [--rounds 5] [--epochs 2] [--compile-optimizer]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch._dynamo.testing import CompileCounterWithBackend
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import create_supervised_trainer

SEED, BATCH = 0, 32


def make_mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def make_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10),
    )


def loader() -> DataLoader:
    x, y = load_digits(return_X_y=True)
    data = TensorDataset(torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y, dtype=torch.long))
    # full batches only: a smaller last batch is a new shape, i.e. a compilation the data causes
    return DataLoader(data, batch_size=BATCH, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(0))


def make_optimizer(model: nn.Module, compile_optimizer: bool) -> torch.optim.Optimizer:
    if compile_optimizer:
        return torch.optim.Adam(model.parameters(), lr=torch.tensor(1e-3))
    return torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def hand_loop(make: Callable, options: dict, compile_optimizer: bool) -> tuple[Callable[[int], None], Callable]:
    torch.manual_seed(SEED)
    model = make()
    opt = make_optimizer(model, compile_optimizer)
    loss_fn = nn.functional.cross_entropy

    def forward_and_loss(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y_pred = model(x)
        return y_pred, loss_fn(y_pred, y)

    fwd = torch.compile(forward_and_loss, **options)
    step = torch.compile(opt.step, **options) if compile_optimizer else opt.step
    data = loader()

    def run(epochs: int) -> None:
        for _ in range(epochs):
            model.train()
            for x, y in data:
                opt.zero_grad()
                _, loss = fwd(x, y)
                loss.backward()
                step()
                loss.item()  # what a loop logs, and what the trainer's default output is

    return run, model


def ignite_loop(make: Callable, options: dict, compile_optimizer: bool) -> tuple[Callable[[int], None], Callable]:
    torch.manual_seed(SEED)
    model = make()
    opt = make_optimizer(model, compile_optimizer)
    trainer = create_supervised_trainer(model, opt, nn.functional.cross_entropy, compile=options)
    data = loader()

    def run(epochs: int) -> None:
        trainer.run(data, max_epochs=(trainer.state.epoch or 0) + epochs)

    return run, model


def bench_model(name: str, make: Callable, args: argparse.Namespace) -> dict:
    counters = {"hand": CompileCounterWithBackend(args.backend), "ignite": CompileCounterWithBackend(args.backend)}
    runs = {}
    for side, build in (("hand", hand_loop), ("ignite", ignite_loop)):
        run, _ = build(make, {"backend": counters[side]}, args.compile_optimizer)
        t0 = time.perf_counter()
        run(1)  # warm-up: compiles
        runs[side] = (run, time.perf_counter() - t0)
    times: dict[str, list[float]] = {"hand": [], "ignite": []}
    for _ in range(args.rounds):
        for side in ("hand", "ignite"):
            t0 = time.perf_counter()
            runs[side][0](args.epochs)
            times[side].append(time.perf_counter() - t0)
    ratios = [i / h for i, h in zip(times["ignite"], times["hand"])]
    return {
        "model": name,
        "hand_s": round(statistics.median(times["hand"]), 4),
        "ignite_s": round(statistics.median(times["ignite"]), 4),
        "ratio_paired_median": round(statistics.median(ratios), 3),
        "ratio_of_medians": round(statistics.median(times["ignite"]) / statistics.median(times["hand"]), 3),
        "compile_s": {side: round(runs[side][1], 1) for side in runs},
        "compilations": {side: counters[side].frame_count for side in counters},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--backend", default="inductor")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--compile-optimizer", action="store_true")
    ap.add_argument("--models", default="mlp,cnn")
    args = ap.parse_args()
    torch.set_num_threads(1)
    makers = {"mlp": make_mlp, "cnn": make_cnn}
    results = [bench_model(m, makers[m], args) for m in args.models.split(",")]
    print(
        json.dumps(
            {
                "bench": "compile_step",
                "backend": args.backend,
                "compile_optimizer": args.compile_optimizer,
                "rounds": args.rounds,
                "epochs_per_round": args.epochs,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
