"""PolyaxonLogger through the real polyaxon client in offline mode; the event files it writes are read back."""

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from ignite.engine import Engine, Events
from ignite.handlers.polyaxon_logger import OptimizerParamsHandler, OutputHandler, PolyaxonLogger

pytest.importorskip("polyaxon")


def _events(root: Path, name: str) -> list[tuple[int, float]]:
    lines = (root / "events" / "metric" / f"{name}.plx").read_text().splitlines()
    assert lines[0] == "step|timestamp|metric"
    return [(int(step), float(value)) for step, _, value in (line.split("|") for line in lines[1:])]


def test_output_and_opt_params_read_back(tmp_path):
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias], "lr": 0.5}], lr=0.1)
    trainer = Engine(lambda e, b: float(b))
    evaluator = Engine(lambda e, b: None)
    evaluator.add_event_handler(Events.COMPLETED, lambda e: e.state.metrics.update(acc=trainer.state.epoch / 4))
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run([0]))

    logger = PolyaxonLogger(project="ignite", is_offline=True, artifacts_path=str(tmp_path), auto_create=True)
    logger.attach_output_handler(
        trainer, Events.ITERATION_COMPLETED, tag="training", output_transform=lambda o: {"loss": o}
    )
    logger.attach_opt_params_handler(trainer, Events.EPOCH_STARTED, optimizer=opt, tag="opt")
    logger.attach(
        evaluator,
        OutputHandler("val", metric_names=["acc"], global_step_transform=lambda *_: trainer.state.iteration),
        Events.COMPLETED,
    )
    trainer.run([1.0, 2.0, 3.0], max_epochs=2)
    logger.close()
    logger.close()  # a second close is harmless

    assert _events(tmp_path, "training__loss") == [(1, 1.0), (2, 2.0), (3, 3.0), (4, 1.0), (5, 2.0), (6, 3.0)]
    assert _events(tmp_path, "opt__lr__group_0") == [(1, 0.1), (2, 0.1)]
    assert _events(tmp_path, "opt__lr__group_1") == [(1, 0.5), (2, 0.5)]
    assert _events(tmp_path, "val__acc") == [(3, 0.25), (6, 0.5)]


def test_attributes_forwarded_to_the_run(tmp_path):
    logger = PolyaxonLogger(project="ignite", is_offline=True, artifacts_path=str(tmp_path), auto_create=True)
    assert logger.get_artifacts_path() == str(tmp_path)
    assert logger.log_metrics is not None
    logger.close()


def test_wrong_logger_type():
    engine = Engine(lambda e, b: None)
    with pytest.raises(RuntimeError, match="^Handler 'OutputHandler' works only with PolyaxonLogger$"):
        OutputHandler("t", output_transform=lambda x: x)(engine, object(), Events.ITERATION_COMPLETED)
    opt = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
    with pytest.raises(RuntimeError, match="^Handler OptimizerParamsHandler works only with PolyaxonLogger$"):
        OptimizerParamsHandler(opt)(engine, object(), Events.ITERATION_COMPLETED)


def test_missing_client_names_the_package(monkeypatch):
    for name in ("polyaxon", "polyaxon.tracking", "polyaxon_client", "polyaxon_client.tracking"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ModuleNotFoundError, match="requires polyaxon to be installed"):
        PolyaxonLogger()


def test_setup_plx_logging_wires_trainer_optimizer_and_evaluator(tmp_path):
    from ignite.handlers.logger_utils import setup_plx_logging

    opt = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.25)
    trainer = Engine(lambda e, b: None)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: e.state.metrics.update(running=e.state.iteration))
    evaluator = Engine(lambda e, b: None)
    evaluator.add_event_handler(Events.COMPLETED, lambda e: e.state.metrics.update(acc=0.5))
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run([0]))
    logger = setup_plx_logging(
        trainer, opt, evaluator, log_every_iters=2, project="ignite", is_offline=True, artifacts_path=str(tmp_path)
    )
    assert isinstance(logger, PolyaxonLogger)
    trainer.run([0] * 4, max_epochs=1)
    logger.close()
    assert _events(tmp_path, "training__running") == [(2, 2.0), (4, 4.0)]
    assert _events(tmp_path, "lr__group_0") == [(2, 0.25), (4, 0.25)]
    assert _events(tmp_path, "validation__acc") == [(1, 0.5)]  # the trainer's epoch
