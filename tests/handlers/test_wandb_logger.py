"""WandBLogger on a real offline W&B run; the history rows are read back from the run's ``.wandb`` file."""

import sys

import pytest
import torch

from ignite.engine import Engine, Events
from ignite.handlers.logger_utils import setup_wandb_logging
from ignite.handlers.wandb_logger import OptimizerParamsHandler, OutputHandler, WandBLogger
from tests.handlers.logger_training import EPOCH_LENGTH, EPOCHS, attach_standard, make_run, train
from tests.handlers.wandb_offline import history_rows, metric_definitions

wandb = pytest.importorskip("wandb")


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_CONSOLE", "off")
    yield tmp_path
    wandb.teardown()


def _series(rows, key, step_key="_step"):
    return {row[step_key]: row[key] for row in rows if key in row}


def test_evaluation_per_trainer_epoch_is_not_dropped(offline):
    """Training per iteration, validation per trainer *epoch* (a step behind): both series arrive."""
    run = make_run()
    wandb_logger = WandBLogger(project="ignite-test", config={"lr": 0.1})
    run_dir = wandb_logger.run.dir.rsplit("/files", 1)[0]  # forwarded to the wandb module
    attach_standard(wandb_logger, run)
    train(run)
    wandb_logger.close()
    wandb.teardown()  # finish() returns before W&B's service has written the run file; this waits

    rows = history_rows(run_dir)
    loss = _series(rows, "training/loss")
    assert sorted(loss) == list(range(1, EPOCHS * EPOCH_LENGTH + 1))
    assert loss == pytest.approx(run.loss, rel=1e-6)
    assert _series(rows, "lr/group_0") == pytest.approx(run.lr)
    # each validation row carries its own step: the trainer's epoch
    assert _series(rows, "validation/accuracy", "validation/step") == pytest.approx(run.accuracy)
    # merged into the row of the iteration that ended the epoch
    assert _series(rows, "validation/accuracy") == pytest.approx({e * EPOCH_LENGTH: a for e, a in run.accuracy.items()})
    assert metric_definitions(run_dir)["validation/*"] == "validation/step"


def test_setup_wandb_logging_aligns_evaluation_on_trainer_iterations(offline):
    run = make_run()
    run.trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: e.state.metrics.update(it=e.state.iteration))
    wandb_logger = setup_wandb_logging(
        run.trainer, run.optimizer, {"validation": run.evaluator}, log_every_iters=1, project="ignite-test"
    )
    assert isinstance(wandb_logger, WandBLogger)
    run_dir = wandb_logger.run.dir.rsplit("/files", 1)[0]
    train(run)
    wandb_logger.close()
    wandb.teardown()  # finish() returns before W&B's service has written the run file; this waits

    rows = history_rows(run_dir)
    assert _series(rows, "training/it") == {i: i for i in range(1, EPOCHS * EPOCH_LENGTH + 1)}
    assert _series(rows, "validation/accuracy") == pytest.approx({e * EPOCH_LENGTH: a for e, a in run.accuracy.items()})
    assert _series(rows, "validation/nll") == pytest.approx({e * EPOCH_LENGTH: 1.0 / e for e in run.accuracy})
    assert _series(rows, "lr/group_0") == pytest.approx(run.lr)
    assert not any("validation/step" in row for row in rows)  # no step went backwards


def test_handlers_call_log_with_the_step(offline):
    """The logged dicts and steps, with ``init=False`` (no run: W&B's disabled mode would do the same)."""
    calls = []
    wandb_logger = WandBLogger(init=False)
    wandb_logger.__dict__["log"] = lambda values, step: calls.append((values, step))
    engine = Engine(lambda e, b: None)
    engine.state.metrics = {"a": 1.0, "note": "text kept"}
    engine.state.iteration = 5
    OutputHandler("tag", metric_names="all")(engine, wandb_logger, Events.ITERATION_COMPLETED)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    OptimizerParamsHandler(optimizer, tag="opt")(engine, wandb_logger, Events.ITERATION_COMPLETED)
    assert calls == [({"tag/a": 1.0, "tag/note": "text kept"}, 5), ({"opt/lr/group_0": 0.1}, 5)]


def test_sync_argument_warns():
    with pytest.warns(UserWarning, match="The sync argument for the WandBLoggers is no longer used"):
        OutputHandler("tag", metric_names="all", sync=True)
    with pytest.warns(UserWarning, match="The sync argument for the WandBLoggers is no longer used"):
        OptimizerParamsHandler(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), sync=False)


def test_missing_wandb_raises_module_not_found(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(ModuleNotFoundError, match="This contrib module requires wandb to be installed"):
        WandBLogger()


def test_handler_with_the_wrong_logger():
    engine = Engine(lambda e, b: None)
    with pytest.raises(RuntimeError, match=r"^Handler 'OutputHandler' works only with WandBLogger\.$"):
        OutputHandler("tag", metric_names="all")(engine, object(), Events.ITERATION_COMPLETED)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(RuntimeError, match="^Handler OptimizerParamsHandler works only with WandBLogger$"):
        OptimizerParamsHandler(optimizer)(engine, object(), Events.ITERATION_COMPLETED)
