"""Truncated back-propagation through time: an LSTM forecasting noisy synthetic waves one step ahead.

Shows: ``create_supervised_tbptt_trainer`` splitting each batch of long sequences into chunks of ``--chunk``
time steps, one optimizer step per chunk with the hidden state carried over (detached); handlers on its
``Tbptt_Events.TIME_ITERATION_COMPLETED`` (one per chunk); evaluation over whole sequences with
``MeanSquaredError``, against the naive forecast "the next value equals the current one" as a baseline; a plot
of a held-out series with its forecast (``forecast.png``).

    python examples/tbptt.py           # 30 epochs
    python examples/tbptt.py --fast    # 2 epochs (what CI runs)
"""

from __future__ import annotations

import argparse
import math
import sys

import _common
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.contrib.engines import Tbptt_Events, create_supervised_tbptt_trainer
from ignite.engine import Engine, Events, create_supervised_evaluator
from ignite.metrics import MeanSquaredError
from ignite.utils import manual_seed


def waves(n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """``(n, length + 1, 1)`` sums of two sines with random frequencies and phases, plus noise."""
    t = torch.arange(length + 1, dtype=torch.float32)
    freq = 0.02 + 0.1 * torch.rand(n, 2, 1, generator=generator)
    phase = 2 * math.pi * torch.rand(n, 2, 1, generator=generator)
    clean = torch.sin(freq * t + phase).sum(1) / 2
    return (clean + 0.05 * torch.randn(n, length + 1, generator=generator)).unsqueeze(-1)


class Forecaster(nn.Module):
    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor, hidden: tuple | None = None) -> tuple[torch.Tensor, tuple]:
        y, hidden = self.lstm(x, hidden)
        return self.head(y), hidden


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _common.parser(__doc__, "tbptt")
    p.add_argument("--epochs", type=_common.positive_int, default=30)
    p.add_argument("--length", type=_common.positive_int, default=200, help="time steps per series")
    p.add_argument("--chunk", type=_common.positive_int, default=25, help="time steps per TBPTT chunk")
    args = _common.parse(p, argv, fast_epochs=2)
    if args.chunk > args.length:
        p.error(f"argument --chunk: {args.chunk} is longer than --length {args.length}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train, test = waves(256, args.length, generator), waves(64, args.length, generator)
    # inputs: values 0..T-1; targets: values 1..T (batch first, so the time dimension is 1)
    train_loader = DataLoader(TensorDataset(train[:, :-1], train[:, 1:]), batch_size=32, shuffle=True)
    test_loader = DataLoader(TensorDataset(test[:, :-1], test[:, 1:]), batch_size=64)

    model = Forecaster()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    trainer = create_supervised_tbptt_trainer(model, optimizer, nn.MSELoss(), tbtt_step=args.chunk, dim=1)
    chunks = {"count": 0}

    @trainer.on(Tbptt_Events.TIME_ITERATION_COMPLETED)
    def count_chunk(engine: Engine) -> None:
        chunks["count"] += 1  # engine.state.output is this chunk's loss here

    # MeanSquaredError averages over the first dimension: flatten (series, time) so that it is per time step
    evaluator = create_supervised_evaluator(
        model,
        metrics={"mse": MeanSquaredError()},
        model_transform=lambda output: output[0],  # the model returns (prediction, hidden state)
        output_transform=lambda x, y, y_pred: (y_pred.reshape(-1), y.reshape(-1)),
    )

    @trainer.on(Events.EPOCH_COMPLETED)
    def evaluate(engine: Engine) -> None:
        mse = evaluator.run(test_loader).metrics["mse"]
        if engine.state.epoch % 5 == 0 or engine.state.epoch == 1 or args.fast:
            print(f"epoch {engine.state.epoch:3d}  train loss {engine.state.output:.5f}  test MSE {mse:.5f}")

    trainer.run(train_loader, max_epochs=args.epochs)

    naive = MeanSquaredError()
    naive.update((test[:, :-1].reshape(-1), test[:, 1:].reshape(-1)))  # "the next value equals the current one"
    mse, naive_mse = evaluator.state.metrics["mse"], naive.compute()
    print(f"test MSE {mse:.5f} (naive forecast {naive_mse:.5f}); {chunks['count']} chunks trained")

    with torch.no_grad():
        forecast = model(test[:1, :-1])[0][0, :, 0]
    plt = _common.pyplot()
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(test[0, 1:, 0], label="series", linewidth=1)
    ax.plot(forecast, label="one-step forecast", linewidth=1)
    ax.set_xlabel("time step")
    ax.legend()
    _common.save(fig, args.output_dir / "forecast.png")
    chunks_per_epoch = math.ceil(args.length / args.chunk) * len(train_loader)
    _common.report(
        {
            "test_mse": round(mse, 5),
            "naive_mse": round(naive_mse, 5),
            "chunks": chunks["count"],
            "chunks_expected": chunks_per_epoch * args.epochs,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
