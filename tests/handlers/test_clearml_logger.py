"""ClearMLLogger and ClearMLSaver through the real clearml client in offline (bypass) mode; the offline session
folder it writes is read back."""

import json
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint
from ignite.handlers.clearml_logger import (
    ClearMLLogger,
    ClearMLSaver,
    GradsHistHandler,
    GradsScalarHandler,
    OptimizerParamsHandler,
    OutputHandler,
    WeightsHistHandler,
    WeightsScalarHandler,
)

pytest.importorskip("clearml")


# no framework binding, and no repository/package scan of the test runner (which can take minutes)
_NO_FRAMEWORKS = {
    name: False
    for name in ("detect_repository", "pytorch", "tensorboard", "tensorflow", "matplotlib", "scikit", "joblib", "hydra")
}


@pytest.fixture
def clearml_logger(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEARML_CACHE_DIR", str(tmp_path / "cache"))
    from clearml import Task

    # report from a thread rather than clearml's reporting subprocess, whose shutdown waits ~10 s per task
    monkeypatch.setattr(Task, "_report_subprocess_enabled", False)
    ClearMLLogger.set_bypass_mode(True)
    with pytest.warns(UserWarning, match="ClearMLSaver: running in bypass mode"):
        logger = ClearMLLogger(
            project_name="ignite",
            task_name="test",
            auto_connect_frameworks=_NO_FRAMEWORKS,
            auto_resource_monitoring=False,
            auto_connect_streams=False,
            auto_connect_arg_parser=False,
        )
    yield logger
    if Task.current_task() is not None:
        Task.current_task().close()
    ClearMLLogger._bypass = None


def _reports(logger: ClearMLLogger) -> list[dict]:
    folder = Path(logger.get_task().get_offline_mode_folder())
    logger.close()  # flushes the reports and closes the task
    text = (folder / "metrics.jsonl").read_text()
    return [event for line in text.splitlines() if line.strip() for event in json.loads(line)]


def _scalars(events: list[dict], title: str, series: str) -> list[tuple[int, float]]:
    return [
        (e["iter"], e["value"])
        for e in events
        if e["type"] == "training_stats_scalar" and e["metric"] == title and e["variant"] == series
    ]


def test_scalars_and_histograms_read_back(clearml_logger):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    model[1].bias.requires_grad_(False)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(engine, batch):
        opt.zero_grad()
        loss = model(batch).pow(2).mean()
        loss.backward()
        opt.step()
        return {"loss": loss.item(), "nested": {"c": [2.0, {"d": 1.0}]}}

    trainer = Engine(step)
    logger = clearml_logger
    logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="tag", output_transform=lambda o: o)
    logger.attach_opt_params_handler(trainer, Events.ITERATION_STARTED, optimizer=opt, tag="opt")
    logger.attach(trainer, WeightsScalarHandler(model), Events.EPOCH_COMPLETED)
    logger.attach(trainer, GradsScalarHandler(model, tag="g"), Events.EPOCH_COMPLETED)
    logger.attach(trainer, WeightsHistHandler(model), Events.EPOCH_COMPLETED)
    logger.attach(trainer, GradsHistHandler(model), Events.EPOCH_COMPLETED)
    losses = []
    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: losses.append(e.state.output["loss"]))
    trainer.run([torch.randn(4, 3) for _ in range(3)], max_epochs=1)

    assert logger.get_task() is logger._task
    logger.report_text("forwarded to the ClearML logger")  # __getattr__
    events = _reports(logger)
    assert _scalars(events, "tag", "loss") == [(i + 1, pytest.approx(v)) for i, v in enumerate(losses)]
    assert _scalars(events, "tag/nested", "c/0") == [(i, 2.0) for i in (1, 2, 3)]
    assert _scalars(events, "tag/nested", "c/1/d") == [(i, 1.0) for i in (1, 2, 3)]
    assert _scalars(events, "opt/lr", "0") == [(i, pytest.approx(0.1)) for i in (1, 2, 3)]
    assert _scalars(events, "weights_norm/0", "weight") == [(1, pytest.approx(model[0].weight.norm().item()))]
    assert _scalars(events, "g/grads_norm/1", "weight") == [(1, pytest.approx(model[1].weight.grad.norm().item()))]
    assert not _scalars(events, "g/grads_norm/1", "bias")  # no gradient: skipped
    plots = {(e["metric"], e["variant"]) for e in events if e["type"] == "plot"}
    assert {("weights_0", "weight"), ("weights_1", "bias"), ("grads_0", "weight")} <= plots
    assert ("grads_1", "bias") not in plots


def test_saver_writes_checkpoints_into_its_directory(clearml_logger, tmp_path):
    model = nn.Linear(2, 2)
    saver = ClearMLSaver(clearml_logger, dirname=str(tmp_path / "ckpt"), require_empty=False)
    trainer = Engine(lambda e, b: None)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, Checkpoint({"model": model}, saver, n_saved=1))
    trainer.run([0], max_epochs=2)
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["model_2.pt"]
    torch.testing.assert_close(torch.load(tmp_path / "ckpt" / "model_2.pt")["weight"], model.weight)
    assert saver.get_local_copy("missing.pt") is None


def test_saver_makes_a_temporary_directory_when_none_is_given(clearml_logger):
    with pytest.warns(UserWarning, match="ClearMLSaver created a temporary checkpoints directory"):
        saver = ClearMLSaver(clearml_logger)
    assert saver.dirname.is_dir() and saver.dirname.name.startswith("ignite_checkpoints_")
    with pytest.warns(UserWarning, match="Checkpoint metadata missing or basename cannot be found"):
        saver({"x": torch.ones(1)}, "x.pt")
    assert (saver.dirname / "x.pt").is_file()
    saver.dirname.joinpath("x.pt").unlink()
    saver.dirname.rmdir()


def test_saver_needs_a_task_and_a_clearml_logger(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEARML_CACHE_DIR", str(tmp_path / "cache"))
    from clearml import Task

    if Task.current_task() is not None:
        Task.current_task().close()
    with pytest.raises(TypeError, match="logger must be an instance of ClearMLLogger"):
        ClearMLSaver(logger=object(), dirname=str(tmp_path))
    with pytest.raises(RuntimeError, match="ClearMLSaver requires a ClearML Task to be initialized"):
        ClearMLSaver(dirname=str(tmp_path))


def test_bypass_mode_defaults_to_the_ci_variable(monkeypatch):
    ClearMLLogger._bypass = None
    monkeypatch.setenv("CI", "true")
    assert ClearMLLogger.bypass_mode() is True
    monkeypatch.delenv("CI")
    assert ClearMLLogger.bypass_mode() is False


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda m, o: OutputHandler("t", output_transform=lambda x: x),
            "Handler OutputHandler works only with ClearMLLogger",
        ),
        (lambda m, o: OptimizerParamsHandler(o), "Handler OptimizerParamsHandler works only with ClearMLLogger"),
        (lambda m, o: WeightsScalarHandler(m), "Handler WeightsScalarHandler works only with ClearMLLogger"),
        (lambda m, o: WeightsHistHandler(m), "Handler 'WeightsHistHandler' works only with ClearMLLogger"),
        (lambda m, o: GradsScalarHandler(m), "Handler GradsScalarHandler works only with ClearMLLogger"),
        (lambda m, o: GradsHistHandler(m), "Handler 'GradsHistHandler' works only with ClearMLLogger"),
    ],
)
def test_wrong_logger_type(make, message):
    model = nn.Linear(2, 2)
    handler = make(model, torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        handler(Engine(lambda e, b: None), object(), Events.ITERATION_COMPLETED)


def test_missing_client_names_the_package(monkeypatch):
    for name in ("clearml", "trains"):
        monkeypatch.setitem(sys.modules, name, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ModuleNotFoundError, match="requires clearml to be installed"):
            ClearMLLogger()
