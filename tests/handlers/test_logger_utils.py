"""logger_utils.setup_*_logging with the real loggers: what they wire, read back from the backends."""

import pytest

import ignite.contrib.engines.common as common
from ignite.engine import Events
from ignite.handlers import logger_utils
from ignite.handlers.file_logger import read_file_log
from tests.handlers.logger_training import EPOCH_LENGTH, EPOCHS, make_run, train


def test_setup_tb_logging_read_back(tmp_path):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    run = make_run()
    run.trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: e.state.metrics.update(it=e.state.iteration))
    tb_logger = logger_utils.setup_tb_logging(
        str(tmp_path), run.trainer, run.optimizer, evaluators={"val": run.evaluator}, log_every_iters=2
    )
    assert common.setup_tb_logging is logger_utils.setup_tb_logging
    train(run)
    tb_logger.close()
    acc = event_accumulator.EventAccumulator(str(tmp_path))
    acc.Reload()
    steps = list(range(2, EPOCHS * EPOCH_LENGTH + 1, 2))
    assert [e.step for e in acc.Scalars("training/it")] == steps
    assert [e.value for e in acc.Scalars("training/it")] == steps
    # lr logged at ITERATION_STARTED(every=2): iterations 2, 4, ...
    assert {e.step: e.value for e in acc.Scalars("lr/group_0")} == pytest.approx({i: run.lr[i] for i in steps})
    # evaluators at the trainer's epoch
    assert {e.step: e.value for e in acc.Scalars("val/accuracy")} == pytest.approx(run.accuracy)


def test_setup_mlflow_logging_read_back(tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    run = make_run()
    uri = (tmp_path / "mlruns").as_uri()
    mlflow_logger = common.setup_mlflow_logging(run.trainer, run.optimizer, run.evaluator, 1, tracking_uri=uri)
    train(run)
    run_id = mlflow_logger.active_run.info.run_id
    mlflow_logger.close()
    client = mlflow.tracking.MlflowClient(uri)
    history = {m.step: m.value for m in client.get_metric_history(run_id, "validation accuracy")}
    assert history == pytest.approx(run.accuracy)
    assert len(client.get_metric_history(run_id, "lr group_0")) == EPOCHS * EPOCH_LENGTH


def test_bad_arguments_of_the_wiring(tmp_path):
    from ignite.handlers.file_logger import FileLogger

    run = make_run()
    with FileLogger(tmp_path / "log.jsonl") as file_logger:
        with pytest.raises(TypeError, match="Argument optimizers should be either a single optimizer or a dictionary"):
            logger_utils._setup_logging(file_logger, run.trainer, 1, None, 1)
        with pytest.raises(TypeError, match="Argument evaluators should be either a single engine or a dictionary"):
            logger_utils._setup_logging(file_logger, run.trainer, None, 1, 1)
        logger_utils._setup_logging(file_logger, run.trainer, {"opt": run.optimizer}, run.evaluator, None)
        train(run)
    records = read_file_log(tmp_path / "log.jsonl")
    assert sum("opt/lr/group_0" in r for r in records) == EPOCHS * EPOCH_LENGTH  # log_every_iters=None -> 1
    assert {r["step"]: r["validation/accuracy"] for r in records if "validation/accuracy" in r} == pytest.approx(
        run.accuracy
    )
