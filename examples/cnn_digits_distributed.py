"""The digits CNN on several processes: ``idist.Parallel`` with gloo (CPU) or nccl (GPUs).

Shows: one ``training(local_rank, config)`` function that runs unchanged on 1 or N processes; ``idist.Parallel``
spawning the processes itself (``--nproc N``) or joining those torchrun started;
``idist.auto_dataloader`` (a distributed sampler, the global batch split between processes; ``exact=True`` for
evaluation), ``idist.auto_model`` (DistributedDataParallel) and ``idist.auto_optim``; metrics reduced across
processes; checkpoints and logs written by rank 0 only; a check that every process ends with the same weights.

    python examples/cnn_digits_distributed.py --nproc 2                 # spawns 2 gloo processes
    torchrun --nproc_per_node=4 examples/cnn_digits_distributed.py      # 4 processes started by torchrun
    torchrun --nnodes=2 --node_rank=0 --master_addr=HOST --master_port=29500 --nproc_per_node=8 \\
        examples/cnn_digits_distributed.py --backend nccl              # (and node_rank=1 on the other node)
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import _common
import torch
from torch import nn
from torch.utils.data import TensorDataset

import ignite.distributed as idist
from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import Checkpoint, CosineAnnealingScheduler, DiskSaver, FileLogger, global_step_from_engine
from ignite.metrics import Accuracy, Loss
from ignite.utils import manual_seed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _common.parser(__doc__, "cnn_digits_distributed")
    p.add_argument("--nproc", type=_common.positive_int, default=2, help="processes to spawn (ignored under torchrun)")
    p.add_argument("--backend", choices=("gloo", "nccl"), default="gloo")
    p.add_argument("--epochs", type=_common.positive_int, default=30)
    p.add_argument("--batch-size", type=_common.positive_int, default=64, help="global batch size")
    p.add_argument("--lr", type=_common.positive_float, default=0.05)
    p.add_argument("--data-dir", type=_common.digits_dir, help="read DIR/digits.npz instead of scikit-learn's copy")
    args = _common.parse(p, argv, fast_epochs=2)
    if args.backend == "nccl" and not torch.cuda.is_available():
        p.error("argument --backend: nccl needs CUDA GPUs, none is available (use gloo)")
    if args.batch_size < args.nproc:
        p.error(f"argument --batch-size: {args.batch_size} is smaller than --nproc {args.nproc}")
    return args


def training(local_rank: int, config: dict[str, Any]) -> None:
    """What every process runs; ``idist`` tells it its rank and the world size."""
    rank, world_size = idist.get_rank(), idist.get_world_size()
    torch.set_num_threads(config["threads"])
    manual_seed(config["seed"] + rank)  # dropout differs per process; DDP broadcasts rank 0's initial weights
    device = idist.device()

    data = _common.digits(config["data_dir"], seed=config["seed"])
    train_loader = idist.auto_dataloader(
        TensorDataset(*data["train"]), batch_size=config["batch_size"], shuffle=True, drop_last=True
    )
    val_loader = idist.auto_dataloader(TensorDataset(*data["val"]), batch_size=512, exact=True)
    test_loader = idist.auto_dataloader(TensorDataset(*data["test"]), batch_size=512, exact=True)

    model = idist.auto_model(_common.digits_cnn())
    optimizer = idist.auto_optim(torch.optim.SGD(model.parameters(), lr=config["lr"], momentum=0.9))
    criterion = nn.CrossEntropyLoss()
    trainer = create_supervised_trainer(model, optimizer, criterion, device=device)
    metrics = {"accuracy": Accuracy(), "loss": Loss(criterion)}
    evaluator = create_supervised_evaluator(model, metrics=metrics, device=device)
    tester = create_supervised_evaluator(model, metrics=metrics, device=device)
    lr = config["lr"]
    scheduler = CosineAnnealingScheduler(
        optimizer, "lr", lr, lr * 0.01, cycle_size=config["epochs"] * len(train_loader) + 1
    )
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)

    # the sampler reshuffles with the epoch number
    trainer.add_event_handler(Events.EPOCH_STARTED, lambda e: train_loader.sampler.set_epoch(e.state.epoch - 1))

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine: Engine) -> None:
        m = evaluator.run(val_loader).metrics  # every process runs it; the metrics are reduced across them
        if rank == 0:
            print(f"epoch {engine.state.epoch:3d}  val loss {m['loss']:.4f}  val accuracy {m['accuracy']:.4f}")

    # Checkpoint and FileLogger write on rank 0 only
    out = config["output_dir"]
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer, "lr_scheduler": scheduler}
    trainer.add_event_handler(
        Events.EPOCH_COMPLETED, Checkpoint(to_save, DiskSaver(out / "training", require_empty=False), n_saved=1)
    )
    file_logger = FileLogger(out / "log.jsonl")
    file_logger.attach_output_handler(
        trainer, Events.ITERATION_COMPLETED, tag="training", output_transform=lambda loss: {"loss": loss}
    )
    file_logger.attach_output_handler(
        evaluator,
        Events.COMPLETED,
        tag="validation",
        metric_names="all",
        global_step_transform=global_step_from_engine(trainer, Events.ITERATION_COMPLETED),
    )

    trainer.run(train_loader, max_epochs=config["epochs"])
    file_logger.close()
    test = tester.run(test_loader).metrics

    # every process holds the same weights: compare a checksum of the parameters across processes
    checksum = torch.stack([p.detach().double().sum() for p in model.parameters()]).sum().reshape(1)
    checksums = idist.all_gather(checksum)
    if rank == 0:
        print(f"test accuracy on {world_size} processes: {test['accuracy']:.4f}")
        _common.report(
            {
                "world_size": world_size,
                "test_accuracy": round(test["accuracy"], 4),
                "same_weights_on_all_processes": bool((checksums == checksums[0]).all()),
            }
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = {
        "seed": args.seed,
        "threads": args.threads,
        "data_dir": args.data_dir,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "epochs": args.epochs,
        "output_dir": args.output_dir,
    }
    if "TORCHELASTIC_RUN_ID" in os.environ:  # torchrun started the processes
        with idist.Parallel(backend=args.backend) as parallel:
            parallel.run(training, config)
    else:
        with idist.Parallel(backend=args.backend, nproc_per_node=args.nproc) as parallel:
            parallel.run(training, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
