"""Run inside each of 2 gloo processes by test_loggers_distributed.py (module level, so that it pickles)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ignite.engine import Engine, Events


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def log_on_every_rank(local_rank: int, base: str, closed_port: int) -> None:
    import ignite.distributed as idist
    from ignite.handlers.file_logger import FileLogger
    from ignite.handlers.mlflow_logger import MLflowLogger
    from ignite.handlers.tensorboard_logger import TensorboardLogger, WeightsScalarHandler
    from ignite.handlers.visdom_logger import VisdomLogger
    from ignite.handlers.wandb_logger import WandBLogger

    rank = idist.get_rank()
    root = Path(base) / f"rank{rank}"
    os.environ.update(
        WANDB_MODE="offline", WANDB_DIR=str(root / "wandb"), WANDB_SILENT="true", WANDB_CONSOLE="off",
        MLFLOW_ALLOW_FILE_STORE="true",
    )  # fmt: skip
    import torch

    model = torch.nn.Linear(2, 1)
    trainer = Engine(lambda e, b: float(e.state.iteration))
    loggers = {
        "tensorboard": TensorboardLogger(log_dir=str(root / "tb")),
        "file": FileLogger(root / "log.jsonl"),
        "mlflow": MLflowLogger(tracking_uri=(root / "mlruns").as_uri()),
        "wandb": WandBLogger(project="ignite-dist"),
        "visdom": VisdomLogger(offline=True, log_to_filename=str(root / "visdom.log"), use_incoming_socket=False),
    }
    for logger in loggers.values():
        logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="t", output_transform=lambda x: x)
    loggers["tensorboard"].attach(trainer, WeightsScalarHandler(model), Events.EPOCH_COMPLETED)
    trainer.run(range(3), max_epochs=1)
    # attributes forwarded to the client: no-ops on an inactive rank
    loggers["tensorboard"].add_scalar("direct", 1.0, 1)
    loggers["mlflow"].log_params({"p": 1})
    loggers["wandb"].log({"direct": 1})
    # an online Visdom logger pointed at a port where nothing listens: connecting would raise
    try:
        VisdomLogger(server="127.0.0.1", port=closed_port, use_incoming_socket=False).close()
        connected = "no attempt"
    except RuntimeError as error:
        connected = str(error)
    for logger in loggers.values():
        logger.close()
    if rank == 0:
        import wandb

        wandb.teardown()
    result = {"rank": rank, "files": _files(root), "visdom": connected, "inactive": loggers["file"]._inactive}
    (Path(base) / f"result{rank}.json").write_text(json.dumps(result))
