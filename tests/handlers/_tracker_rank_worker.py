"""Worker of test_trackers_distributed: each rank creates the Neptune, Polyaxon and ClearML loggers in its own
directory, logs a short run and closes them."""

import os
from pathlib import Path

import ignite.distributed as idist
from ignite.engine import Engine, Events


def run(local_rank: int, out_dir: str) -> None:
    rank_dir = Path(out_dir) / f"rank{idist.get_rank()}"
    rank_dir.mkdir()
    os.chdir(rank_dir)  # neptune's offline folder is relative to the working directory
    # a ClearML task of the parent process (an earlier test in the same pytest worker) publishes its id in
    # CLEARML_* variables, which would make this process report into that task instead of its own
    for key in [k for k in os.environ if k.startswith(("CLEARML_", "TRAINS_"))]:
        del os.environ[key]
    os.environ["CLEARML_CACHE_DIR"] = str(rank_dir / "clearml")

    from clearml import Task

    from ignite.handlers.clearml_logger import ClearMLLogger
    from ignite.handlers.neptune_logger import NeptuneLogger
    from ignite.handlers.polyaxon_logger import PolyaxonLogger

    Task._report_subprocess_enabled = False
    ClearMLLogger.set_bypass_mode(True)
    loggers = [
        NeptuneLogger(
            mode="offline",
            project="ignite/tests",
            capture_stdout=False,
            capture_stderr=False,
            capture_hardware_metrics=False,
            source_files=[],
            git_ref=False,
        ),
        PolyaxonLogger(project="ignite", is_offline=True, artifacts_path=str(rank_dir / "plx"), auto_create=True),
        ClearMLLogger(
            project_name="ignite",
            task_name="rank",
            auto_connect_frameworks={"detect_repository": False},
            auto_resource_monitoring=False,
            auto_connect_streams=False,
            auto_connect_arg_parser=False,
        ),
    ]
    trainer = Engine(lambda e, b: float(b))
    for logger in loggers:
        logger.attach_output_handler(
            trainer, Events.ITERATION_COMPLETED, tag="training", output_transform=lambda o: {"loss": o}
        )
    trainer.run([1.0, 2.0], max_epochs=1)
    for logger in loggers:
        logger.close()
    # nothing registered on the inactive rank
    (rank_dir / "handlers.txt").write_text(str(len(trainer._event_handlers[Events.ITERATION_COMPLETED])))
