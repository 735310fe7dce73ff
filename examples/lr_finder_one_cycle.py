"""Find a learning rate with ``FastaiLRFinder``, then train with a one-cycle schedule.

Shows: the LR finder run as a context manager on the real trainer (model, optimizer and trainer are put back
as they were afterwards), its suggestion and its loss-vs-lr plot (``lr_finder.png``); a one-cycle schedule made
of two ``PiecewiseLinear`` schedulers (learning rate up then down, momentum the other way), drawn before
training with ``plot_values`` (``schedule.png``); then the training itself and the test accuracy.

    python examples/lr_finder_one_cycle.py           # 10 epochs
    python examples/lr_finder_one_cycle.py --fast    # 2 epochs (what CI runs)
    python examples/lr_finder_one_cycle.py --images docs/img   # also copy the two PNGs there
"""

from __future__ import annotations

import argparse
import shutil
import sys
import warnings

import _common
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import FastaiLRFinder, PiecewiseLinear
from ignite.metrics import Accuracy
from ignite.utils import manual_seed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _common.parser(__doc__, "lr_finder_one_cycle")
    p.add_argument("--epochs", type=_common.positive_int, default=10)
    p.add_argument("--batch-size", type=_common.positive_int, default=64)
    p.add_argument("--search-iterations", type=_common.positive_int, default=100, help="iterations of the LR search")
    p.add_argument("--images", type=_common.output_dir, metavar="DIR", help="copy the two PNGs into DIR")
    args = _common.parse(p, argv)
    if args.fast:
        args.epochs, args.search_iterations = min(args.epochs, 2), min(args.search_iterations, 60)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.output_dir
    manual_seed(args.seed)
    data = _common.digits(seed=args.seed)
    train_loader = DataLoader(TensorDataset(*data["train"]), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(*data["test"]), batch_size=512)
    model = _common.digits_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())

    # 1. the search: the lr grows exponentially from 1e-4 to 10 while the loss is recorded
    lr_finder = FastaiLRFinder()
    to_save = {"model": model, "optimizer": optimizer}
    with lr_finder.attach(trainer, to_save, end_lr=10.0, num_iter=args.search_iterations) as searching_trainer:
        searching_trainer.run(train_loader, max_epochs=100)  # stops after num_iter iterations (or divergence)
    suggested = min(float(lr_finder.lr_suggestion()), 1.0)
    print(f"LR finder: {len(lr_finder.get_results()['loss'])} iterations, suggested lr {suggested:.4g}")

    plt = _common.pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Agg cannot show(); we save instead
        lr_finder.plot(ax=ax, skip_start=5, skip_end=3)
    ax.set_title("FastaiLRFinder: loss against learning rate (digits CNN)")
    finder_png = _common.save(fig, out / "lr_finder.png")

    # 2. one cycle: lr from suggested/25 up to suggested (30% of the run), then down to suggested/2500;
    #    momentum from 0.95 down to 0.85 and back
    total = args.epochs * len(train_loader)
    peak = int(0.3 * total)
    lr_milestones = [(0, suggested / 25), (peak, suggested), (total, suggested / 2500)]
    momentum_milestones = [(0, 0.95), (peak, 0.85), (total, 0.95)]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, name, milestones in zip(axes, ("lr", "momentum"), (lr_milestones, momentum_milestones)):
        plt.sca(ax)
        PiecewiseLinear.plot_values(num_events=total, param_name=name, milestones_values=milestones)
        ax.set_xlabel("iteration")
        ax.set_title(f"one-cycle {name}")
    schedule_png = _common.save(fig, out / "schedule.png")
    for name, milestones in (("lr", lr_milestones), ("momentum", momentum_milestones)):
        trainer.add_event_handler(Events.ITERATION_STARTED, PiecewiseLinear(optimizer, name, milestones))

    # 3. the training
    evaluator = create_supervised_evaluator(model, metrics={"accuracy": Accuracy()})

    @trainer.on(Events.EPOCH_COMPLETED)
    def log(engine: object) -> None:
        accuracy = evaluator.run(test_loader).metrics["accuracy"]
        print(f"epoch {trainer.state.epoch:3d}  loss {trainer.state.output:.4f}  test accuracy {accuracy:.4f}")

    trainer.run(train_loader, max_epochs=args.epochs)
    if args.images is not None:
        args.images.mkdir(parents=True, exist_ok=True)
        for png in (finder_png, schedule_png):
            shutil.copyfile(png, args.images / png.name)
    _common.report(
        {"suggested_lr": round(suggested, 5), "test_accuracy": round(evaluator.state.metrics["accuracy"], 4)}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
