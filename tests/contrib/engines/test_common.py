"""ignite.contrib.engines.common: the one-call training set-up recipes, on real engines and files."""

import os

import pytest
import torch
from torch.utils.data.distributed import DistributedSampler

import ignite.handlers.logger_utils as logger_utils
from ignite.contrib.engines import common
from ignite.engine import Engine, Events


def _trainer(outputs):
    return Engine(lambda engine, batch: outputs[(engine.state.iteration - 1) % len(outputs)])


def test_namespace_reexports_are_the_same_objects():
    from ignite.handlers import Checkpoint, DiskSaver, EarlyStopping, ProgressBar, TerminateOnNan

    assert common.Checkpoint is Checkpoint and common.DiskSaver is DiskSaver
    assert common.EarlyStopping is EarlyStopping and common.ProgressBar is ProgressBar
    assert common.TerminateOnNan is TerminateOnNan
    for name in logger_utils.__all__ + ["_setup_logging"]:
        assert getattr(common, name) is getattr(logger_utils, name)
    assert common.setup_common_distrib_training_handlers is common.setup_common_training_handlers
    assert common.get_default_score_fn is common.Checkpoint.get_default_score_fn


def test_checkpointing_running_averages_scheduler_and_nan_stop(tmp_path, capsys):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    outputs = [{"loss": torch.tensor(float(i)), "acc": torch.tensor(0.5)} for i in range(1, 9)]
    trainer = _trainer(outputs)
    common.setup_common_training_handlers(
        trainer,
        to_save={"model": model, "optimizer": optimizer},
        save_every_iters=2,
        output_path=str(tmp_path),
        lr_scheduler=lr_scheduler,
        output_names=["loss", "acc"],
        log_every_iters=2,
    )
    trainer.run(range(4), max_epochs=2)
    # checkpoints every 2 iterations, only the last one kept (n_saved=1)
    assert sorted(os.listdir(tmp_path)) == ["training_checkpoint_8.pt"]
    saved = torch.load(tmp_path / "training_checkpoint_8.pt", weights_only=False)
    torch.testing.assert_close(saved["model"]["weight"], model.weight.detach())
    # the torch scheduler stepped once per iteration
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5**8)
    # running averages with alpha=0.98 over the outputs
    expected = 1.0
    for v in range(2, 9):
        expected = 0.98 * expected + 0.02 * v
    assert trainer.state.metrics["loss"] == pytest.approx(expected)
    assert trainer.state.metrics["acc"] == pytest.approx(0.5)
    assert "Epoch" in capsys.readouterr().err


def test_stop_on_nan(tmp_path):
    trainer = _trainer([1.0, float("nan"), 2.0])
    common.setup_common_training_handlers(trainer, with_pbars=False)
    trainer.run(range(3), max_epochs=5)
    assert trainer.state.iteration == 2


def test_argument_errors_leave_the_trainer_untouched(tmp_path):
    trainer = _trainer([1.0])
    with pytest.raises(ValueError, match="Arguments output_path and save_handler are mutually exclusive"):
        common.setup_common_training_handlers(trainer, output_path=str(tmp_path), save_handler=lambda *a: None)
    with pytest.raises(ValueError, match="If to_save argument is provided then output_path or save_handler"):
        common.setup_common_training_handlers(trainer, to_save={"m": torch.nn.Linear(1, 1)})
    assert all(len(v) == 0 for v in trainer._event_handlers.values())


def test_distributed_sampler_without_distributed_setting_warns():
    sampler = DistributedSampler(list(range(10)), num_replicas=2, rank=0)
    trainer = _trainer([1.0])
    with pytest.warns(UserWarning, match="Argument train_sampler is a distributed sampler"):
        common.setup_common_training_handlers(trainer, train_sampler=sampler, with_pbars=False)


def test_output_names_with_unhandled_output_type():
    trainer = _trainer([object()])
    common.setup_common_training_handlers(trainer, output_names=["x"], with_pbars=False, stop_on_nan=False)
    with pytest.raises(TypeError, match="Unhandled type of update_function's output"):
        trainer.run(range(2))


def _evaluator_with_scores(scores, name):
    evaluator = Engine(lambda e, b: None)
    trainer = Engine(lambda e, b: None)

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine):
        evaluator.run([0])

    @evaluator.on(Events.COMPLETED)
    def set_metric(engine):
        engine.state.metrics[name] = scores[trainer.state.epoch - 1]

    return trainer, evaluator


@pytest.mark.parametrize(
    "metric_name, sign, expected",
    [
        ("acc", 1.0, ["best_model_8_val_acc=0.6100.pt", "best_model_9_val_acc=0.7000.pt"]),
        ("loss", -1.0, ["best_model_8_val_loss=-0.3900.pt", "best_model_9_val_loss=-0.3000.pt"]),
    ],
)
def test_save_best_model_by_val_score(tmp_path, metric_name, sign, expected):
    acc = [0.1, 0.2, 0.3, 0.4, 0.3, 0.5, 0.6, 0.61, 0.7, 0.5]
    scores = acc if metric_name == "acc" else [1 - a for a in acc]
    trainer, evaluator = _evaluator_with_scores(scores, metric_name)
    model = torch.nn.Linear(1, 1)
    common.save_best_model_by_val_score(
        str(tmp_path), evaluator, model, metric_name, n_saved=2, trainer=trainer, score_sign=sign
    )
    trainer.run([0], max_epochs=len(acc))
    assert sorted(os.listdir(tmp_path)) == expected


def test_add_early_stopping_by_val_score():
    scores = [0.1, 0.2, 0.3, 0.4, 0.3, 0.3, 0.2, 0.1, 0.1, 0.0]
    trainer, evaluator = _evaluator_with_scores(scores, "acc")
    common.add_early_stopping_by_val_score(patience=3, evaluator=evaluator, trainer=trainer, metric_name="acc")
    trainer.run([0], max_epochs=len(scores))
    assert trainer.state.epoch == 7


def test_setup_any_logging_is_removed():
    with pytest.raises(DeprecationWarning, match="deprecated since version 0.4.0"):
        common.setup_any_logging(None, None, None, None, None, None)


class _RecordingLogger:
    """A stand-in experiment logger recording how the trainer and evaluators are wired."""

    def __init__(self):
        self.calls = []

    def attach_output_handler(self, engine, **kwargs):
        self.calls.append(("output", engine, kwargs))

    def attach_opt_params_handler(self, engine, event_name, optimizer, **kwargs):
        self.calls.append(("opt", engine, event_name, optimizer, kwargs))


def test_setup_logging_wiring():
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
    optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    logger = _RecordingLogger()
    logger_utils._setup_logging(logger, trainer, optimizer, evaluator, None, evaluator_metric_names=["acc"])
    (kind, engine, kwargs), opt_call, (_, ev_engine, ev_kwargs) = logger.calls
    assert kind == "output" and engine is trainer and kwargs["tag"] == "training"
    assert kwargs["metric_names"] == "all" and kwargs["event_name"] == Events.ITERATION_COMPLETED
    assert opt_call[3] is optimizer and opt_call[4] == {"param_name": "lr", "tag": None}
    assert ev_engine is evaluator and ev_kwargs["tag"] == "validation" and ev_kwargs["metric_names"] == ["acc"]
    trainer.state.epoch = 3
    assert ev_kwargs["global_step_transform"](evaluator, Events.COMPLETED) == 3

    with pytest.raises(TypeError, match="Argument optimizers should be either a single optimizer or a dictionary"):
        logger_utils._setup_logging(logger, trainer, 1, None, 1)
    with pytest.raises(TypeError, match="Argument evaluators should be either a single engine or a dictionary"):
        logger_utils._setup_logging(logger, trainer, None, 1, 1)
