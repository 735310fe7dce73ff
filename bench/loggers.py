"""Experiment-logger overhead on the hot path. Prints one JSON line.

(a) ``TensorboardLogger`` + ``OutputHandler`` logging the loss every iteration, against the same
    ``SummaryWriter.add_scalar`` called by hand from a plain handler in the same engine loop (ratio of times;
    target <= 1.15).
(b) ``FileLogger`` (JSON lines, and CSV) logging the loss and the learning rate every iteration: µs per logged
    event, i.e. (loop with the logger - loop without) / events (target <= 15 µs).

Times are the process's CPU time (the writer's background thread included), best of ``--repeats`` interleaved
runs. The process function returns a 0-d tensor loss, as a training step does.

    python bench/loggers.py [--iters N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from ignite.engine import Engine, Events
from ignite.handlers.file_logger import FileLogger
from ignite.handlers.tensorboard_logger import TensorboardLogger, _summary_writer_class

LOSS = torch.tensor(0.25)


def _step(engine: Engine, batch: int) -> torch.Tensor:
    return LOSS


def _cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def _tb_logger_run(root: Path, iters: int) -> float:
    engine = Engine(_step)
    with TensorboardLogger(log_dir=str(root / "logger")) as tb_logger:
        tb_logger.attach_output_handler(
            engine, Events.ITERATION_COMPLETED, tag="training", output_transform=lambda loss: {"loss": loss}
        )
        return _cpu(lambda: engine.run(range(iters), max_epochs=1))


def _tb_by_hand_run(root: Path, iters: int) -> float:
    engine = Engine(_step)
    with TensorboardLogger(log_dir=str(root / "hand")) as tb_logger:
        writer = tb_logger.writer

        def log(engine: Engine) -> None:
            writer.add_scalar("training/loss", engine.state.output.item(), engine.state.iteration)

        engine.add_event_handler(Events.ITERATION_COMPLETED, log)
        return _cpu(lambda: engine.run(range(iters), max_epochs=1))


def _file_run(root: Path, iters: int, suffix: str | None) -> float:
    engine = Engine(_step)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    if suffix is None:
        return _cpu(lambda: engine.run(range(iters), max_epochs=1))
    with FileLogger(root / f"log{suffix}") as file_logger:
        file_logger.attach_output_handler(
            engine, Events.ITERATION_COMPLETED, tag="training", output_transform=lambda loss: {"loss": loss}
        )
        file_logger.attach_opt_params_handler(engine, Events.ITERATION_STARTED, optimizer)
        return _cpu(lambda: engine.run(range(iters), max_epochs=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iters", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)

    logger_t, hand_t, bare_t, jsonl_t, csv_t = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            root = Path(tmp) / str(r)
            logger_t.append(_tb_logger_run(root, args.iters))
            hand_t.append(_tb_by_hand_run(root, args.iters))
            bare_t.append(_file_run(root, args.iters, None))
            jsonl_t.append(_file_run(root, args.iters, ".jsonl"))
            csv_t.append(_file_run(root, args.iters, ".csv"))
    events = 2 * args.iters  # loss at ITERATION_COMPLETED, lr at ITERATION_STARTED
    bare = min(bare_t)
    print(
        json.dumps(
            {
                "bench": "loggers",
                "iters": args.iters,
                "writer": _summary_writer_class().__module__,
                "tb_logger_us_per_it": round(1e6 * min(logger_t) / args.iters, 2),
                "tb_by_hand_us_per_it": round(1e6 * min(hand_t) / args.iters, 2),
                "tb_ratio": round(min(logger_t) / min(hand_t), 3),
                "file_jsonl_us_per_event": round(1e6 * (min(jsonl_t) - bare) / events, 2),
                "file_csv_us_per_event": round(1e6 * (min(csv_t) - bare) / events, 2),
                "bare_loop_us_per_it": round(1e6 * bare / args.iters, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
