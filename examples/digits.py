"""Train a small MLP on scikit-learn's bundled digits data with ignite, end to end.

What it shows: ``create_supervised_trainer``/``create_supervised_evaluator`` with ``Accuracy`` and ``Loss``,
validation every epoch with a readable line, a linear warm-up followed by a cosine learning-rate schedule,
``ModelCheckpoint`` keeping the best model by validation accuracy, ``EarlyStopping``, a progress bar, a
``FileLogger`` writing loss, learning rate and validation metrics to ``log.jsonl`` (plotted to ``log.png`` when
matplotlib is installed), and a training checkpoint every 20 iterations carrying an ``ExactResume`` entry.
Then it simulates a crash in the middle of an epoch: a fresh process state (new model, optimizer, engines)
resumes from the last training checkpoint and finishes the run (appending to the same log), and the script
checks that the resumed run ends with exactly the same parameters as an uninterrupted run.

Run with ``make demo`` or ``python examples/digits.py [--epochs N] [--output-dir DIR]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import (
    Checkpoint,
    CosineAnnealingScheduler,
    DiskSaver,
    EarlyStopping,
    ExactResume,
    FileLogger,
    ModelCheckpoint,
    ProgressBar,
    create_lr_scheduler_with_warmup,
    global_step_from_engine,
)
from ignite.handlers.file_logger import plot_file_log
from ignite.metrics import Accuracy, Loss
from ignite.utils import manual_seed

BATCH_SIZE = 64
LR = 0.1
CHECKPOINT_EVERY = 20  # iterations (an epoch has 23)


def make_data() -> tuple[TensorDataset, TensorDataset]:
    """Digits (1797 images of 8x8 pixels), standardised, split 80/20 with a fixed permutation."""
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.long)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    x, y = x[perm], y[perm]
    n_train = int(0.8 * len(x))
    mean, std = x[:n_train].mean(0), x[:n_train].std(0) + 1e-6
    x = (x - mean) / std
    return TensorDataset(x[:n_train], y[:n_train]), TensorDataset(x[n_train:], y[n_train:])


def make_model() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def build(output_dir: Path, epochs: int, verbose: bool, progress: bool) -> dict:
    """Everything a training process creates: data, model, optimizer, engines and handlers."""
    manual_seed(0)  # model initialisation
    train_set, val_set = make_data()
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    trainer = create_supervised_trainer(model, optimizer, criterion)
    evaluator = create_supervised_evaluator(model, metrics={"accuracy": Accuracy(), "loss": Loss(criterion)})

    # one epoch of linear warm-up, then cosine annealing over the remaining iterations
    iters = len(train_loader)
    cosine = CosineAnnealingScheduler(optimizer, "lr", start_value=LR, end_value=LR * 0.01, cycle_size=iters * epochs)
    scheduler = create_lr_scheduler_with_warmup(
        cosine, warmup_start_value=LR * 0.1, warmup_end_value=LR, warmup_duration=iters
    )
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)

    if progress:
        ProgressBar(persist=False).attach(trainer, output_transform=lambda loss: {"loss": loss})

    def accuracy(engine: Engine) -> float:
        return engine.state.metrics["accuracy"]

    best = ModelCheckpoint(
        output_dir / "best",
        "digits",
        n_saved=1,
        score_function=accuracy,
        score_name="val_acc",
        global_step_transform=global_step_from_engine(trainer),
        require_empty=False,
        async_save=True,  # written and flushed to disk in the background; listed once it is durable
    )
    evaluator.add_event_handler(Events.COMPLETED, best, {"model": model})
    trainer.add_event_handler(Events.COMPLETED, lambda: best.wait())  # the best model is on disk when run() returns
    early_stopping = EarlyStopping(patience=5, score_function=accuracy, trainer=trainer)
    evaluator.add_event_handler(Events.COMPLETED, early_stopping)

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine: Engine) -> None:
        metrics = evaluator.run(val_loader).metrics
        if verbose:
            print(
                f"Epoch {engine.state.epoch:2d} | train loss {engine.state.output:.4f} | "
                f"val loss {metrics['loss']:.4f} | val accuracy {metrics['accuracy']:.4f} | "
                f"lr {optimizer.param_groups[0]['lr']:.4f}"
            )

    # loss and lr every iteration, validation metrics at the trainer's epoch; a resumed run appends to the file
    file_logger = FileLogger(output_dir / "log.jsonl")
    file_logger.attach_output_handler(
        trainer, Events.ITERATION_COMPLETED, tag="training", output_transform=lambda loss: {"loss": loss}
    )
    file_logger.attach_opt_params_handler(trainer, Events.ITERATION_STARTED, optimizer)
    file_logger.attach_output_handler(
        evaluator,
        Events.COMPLETED,
        tag="validation",
        metric_names=["accuracy", "loss"],
        global_step_transform=global_step_from_engine(trainer, Events.ITERATION_COMPLETED),
    )
    trainer.add_event_handler(Events.COMPLETED, lambda _: file_logger.close())

    to_save = {
        "model": model,
        "optimizer": optimizer,
        "trainer": trainer,
        "lr_scheduler": scheduler,
        "early_stopping": early_stopping,
        "best_checkpoint": best,
        "resume": ExactResume(trainer),  # RNG states, position in the shuffled pass, handler states
    }
    training_checkpoint = Checkpoint(to_save, DiskSaver(output_dir / "training", require_empty=False), n_saved=1)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=CHECKPOINT_EVERY), training_checkpoint)
    return dict(
        model=model, trainer=trainer, train_loader=train_loader, to_save=to_save, checkpoint=training_checkpoint
    )


def train(output_dir: Path, epochs: int, crash_after: int | None, verbose: bool, progress: bool) -> dict:
    parts = build(output_dir, epochs, verbose, progress)
    if crash_after is not None:  # the process "dies" at this iteration, after its last checkpoint
        crash = Events.ITERATION_COMPLETED(once=crash_after)
        parts["trainer"].add_event_handler(crash, lambda engine: engine.terminate())
    manual_seed(42)
    parts["trainer"].run(parts["train_loader"], max_epochs=epochs)
    return parts


def resume(output_dir: Path, epochs: int, verbose: bool, progress: bool) -> dict:
    parts = build(output_dir, epochs, verbose, progress)
    # the newest training checkpoint: files are named checkpoint_<iteration>.pt
    path = max((output_dir / "training").glob("checkpoint_*.pt"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    Checkpoint.load_objects(to_load=parts["to_save"], checkpoint=torch.load(path, weights_only=False))
    if verbose:
        state = parts["trainer"].state
        print(f"Resuming from {path.name} (epoch {state.epoch + 1}, iteration {state.iteration})")
    manual_seed(42)
    parts["trainer"].run(parts["train_loader"], max_epochs=epochs)
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--crash-after", type=int, default=150, help="iteration at which the first run 'crashes'")
    parser.add_argument("--output-dir", type=Path, default=None)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = args.output_dir or Path(tmp)
        progress = not args.no_progress
        print(f"== Training for {args.epochs} epochs; the process 'crashes' at iteration {args.crash_after}")
        train(root / "interrupted", args.epochs, args.crash_after, verbose=True, progress=progress)
        print("== A new process state resumes from the last training checkpoint")
        resumed = resume(root / "interrupted", args.epochs, verbose=True, progress=progress)
        print("== Reference: the same training without interruption")
        reference = train(root / "reference", args.epochs, None, verbose=False, progress=False)

        same = all(
            torch.equal(a, b)
            for a, b in zip(resumed["model"].state_dict().values(), reference["model"].state_dict().values())
        )
        best = [p.name for p in (root / "interrupted" / "best").glob("*.pt")]
        print(f"Best model checkpoint(s): {best}")
        log = root / "interrupted" / "log.jsonl"
        line = f"Training log: {log.name} ({len(log.read_text().splitlines())} records)"
        try:
            line += f", plot: {plot_file_log(log).name}"
        except ModuleNotFoundError:  # matplotlib is optional
            pass
        print(line)
        print(f"Resumed run ends with parameters identical to the uninterrupted run: {same}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
