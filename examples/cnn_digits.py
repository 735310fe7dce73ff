"""Image classification: a small CNN on scikit-learn's 8x8 digits.

Shows: ``create_supervised_trainer``/``create_supervised_evaluator``; metrics (accuracy, loss, precision, recall,
confusion matrix) on the validation set every epoch and on the test set at the end; a cosine learning-rate
schedule; ``ModelCheckpoint`` keeping the best model by validation accuracy and a resumable training checkpoint
every epoch (``--resume`` continues from one); a ``FileLogger`` (JSON lines) plotted to ``training_curves.png``,
TensorBoard with ``--tensorboard``; ``HandlersTimeProfiler`` drawn as ``profiler.png``.

    python examples/cnn_digits.py                 # 30 epochs, test accuracy ~0.98-0.99
    python examples/cnn_digits.py --fast          # 3 epochs (what CI runs)
    python examples/cnn_digits.py --resume build/examples/cnn_digits/training/checkpoint_600.pt --epochs 40  # 10 more
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import _common
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import (
    Checkpoint,
    CosineAnnealingScheduler,
    DiskSaver,
    FileLogger,
    HandlersTimeProfiler,
    ModelCheckpoint,
    global_step_from_engine,
)
from ignite.handlers.file_logger import plot_file_log
from ignite.metrics import Accuracy, ConfusionMatrix, Loss, Precision, Recall
from ignite.utils import manual_seed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _common.parser(__doc__, "cnn_digits")
    p.add_argument("--epochs", type=_common.positive_int, help="default: 30; with --fast: 3")
    p.add_argument("--batch-size", type=_common.positive_int, default=64)
    p.add_argument("--lr", type=_common.positive_float, default=0.05)
    p.add_argument("--data-dir", type=_common.digits_dir, help="read DIR/digits.npz instead of scikit-learn's copy")
    p.add_argument("--resume", type=_common.existing_file, metavar="CHECKPOINT", help="a training checkpoint")
    p.add_argument("--tensorboard", action="store_true", help="also log to TensorBoard (OUTPUT_DIR/tb)")
    p.add_argument("--images", type=_common.output_dir, metavar="DIR", help="copy the two PNGs into DIR")
    args = _common.parse(p, argv)
    if args.epochs is None:
        args.epochs = 3 if args.fast else 30
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.output_dir
    manual_seed(args.seed)
    data = _common.digits(args.data_dir, seed=args.seed)
    train_loader = DataLoader(TensorDataset(*data["train"]), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(*data["val"]), batch_size=512)
    test_loader = DataLoader(TensorDataset(*data["test"]), batch_size=512)

    model = _common.digits_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    criterion = nn.CrossEntropyLoss()
    trainer = create_supervised_trainer(model, optimizer, criterion)
    metrics = {
        "accuracy": Accuracy(),
        "loss": Loss(criterion),
        "precision": Precision(average=True),
        "recall": Recall(average=True),
        "confusion": ConfusionMatrix(num_classes=10),
    }
    evaluator = create_supervised_evaluator(model, metrics=metrics)
    tester = create_supervised_evaluator(model, metrics=metrics)  # not logged as validation

    scheduler = CosineAnnealingScheduler(
        optimizer, "lr", args.lr, args.lr * 0.01, cycle_size=args.epochs * len(train_loader) + 1
    )
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine: Engine) -> None:
        m = evaluator.run(val_loader).metrics
        print(
            f"epoch {engine.state.epoch:3d}  train loss {engine.state.output:.4f}  "
            f"val loss {m['loss']:.4f}  val accuracy {m['accuracy']:.4f}",
            flush=True,
        )

    # the best model by validation accuracy, and everything needed to continue training
    best = ModelCheckpoint(
        out / "best",
        "cnn",
        n_saved=1,
        score_function=lambda e: e.state.metrics["accuracy"],
        score_name="val_accuracy",
        global_step_transform=global_step_from_engine(trainer),
        require_empty=False,
    )
    evaluator.add_event_handler(Events.COMPLETED, best, {"model": model})
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer, "lr_scheduler": scheduler}
    training = Checkpoint(to_save, DiskSaver(out / "training", require_empty=False), n_saved=2)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, training)

    # logging: a JSON-lines file (always), TensorBoard on request
    log_path = out / "log.jsonl"
    if args.resume is None:
        log_path.unlink(missing_ok=True)  # a fresh run starts a fresh log; a resumed one appends
    file_logger = FileLogger(log_path)
    loggers = [file_logger]
    if args.tensorboard:
        from ignite.handlers import TensorboardLogger

        loggers.append(TensorboardLogger(log_dir=out / "tb"))
    for logger in loggers:
        logger.attach_output_handler(
            trainer, Events.ITERATION_COMPLETED, tag="training", output_transform=lambda loss: {"loss": loss}
        )
        logger.attach_opt_params_handler(trainer, Events.ITERATION_STARTED, optimizer)
        logger.attach_output_handler(
            evaluator,
            Events.COMPLETED,
            tag="validation",
            metric_names=["accuracy", "loss", "precision", "recall"],
            global_step_transform=global_step_from_engine(trainer, Events.ITERATION_COMPLETED),
        )

    if args.resume is not None:
        Checkpoint.load_objects(to_load=to_save, checkpoint=torch.load(args.resume, weights_only=False))
        print(f"resumed from {args.resume} at epoch {trainer.state.epoch}")

    profiler = HandlersTimeProfiler()
    profiler.attach(trainer)
    trainer.run(train_loader, max_epochs=args.epochs)
    for logger in loggers:
        logger.close()

    # the test set, once, with the best model
    best_path = Path(best.last_checkpoint) if best.last_checkpoint else None  # the saved file's path
    if best_path is not None:
        model.load_state_dict(torch.load(best_path, weights_only=True))
    test = tester.run(test_loader).metrics
    print(f"test accuracy of the best model ({best_path.name if best_path else 'last'}): {test['accuracy']:.4f}")
    print("confusion matrix (rows: true digit):")
    print(test["confusion"].int())

    curves = plot_file_log(log_path, out / "training_curves.png")
    profile = _common.handlers_profile_chart(
        profiler.get_results(), out / "profiler.png", "HandlersTimeProfiler: CNN on digits"
    )
    if args.images is not None:
        args.images.mkdir(parents=True, exist_ok=True)
        for png in (curves, profile):
            shutil.copyfile(png, args.images / png.name)
    _common.report(
        {
            "test_accuracy": round(test["accuracy"], 4),
            "test_loss": round(test["loss"], 4),
            "epochs": trainer.state.epoch,
            "best_checkpoint": best_path.name if best_path else None,
            "log_records": len(log_path.read_text().splitlines()),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
