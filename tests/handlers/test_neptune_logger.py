"""NeptuneLogger through the real neptune client in offline mode; the operations log it writes is read back."""

import json
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import ignite
from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint
from ignite.handlers.neptune_logger import (
    _INTEGRATION_VERSION_KEY,
    GradsScalarHandler,
    NeptuneLogger,
    NeptuneSaver,
    OptimizerParamsHandler,
    OutputHandler,
    WeightsScalarHandler,
)

pytest.importorskip("neptune")

_OFFLINE = dict(
    mode="offline",
    project="ignite/tests",
    capture_stdout=False,
    capture_stderr=False,
    capture_hardware_metrics=False,
    capture_traceback=False,
    source_files=[],
    git_ref=False,
)


def _operations(root: Path) -> list[dict]:
    (run_dir,) = (root / ".neptune" / "offline").iterdir()
    ops = []
    for log in sorted(run_dir.glob("data-*.log")):
        ops += [json.loads(line)["obj"] for line in log.read_text().splitlines() if line.strip()]
    return ops


def _series(ops: list[dict], path: str) -> list[tuple[int, float]]:
    parts = path.split("/")
    return [
        (v["step"], v["value"]) for op in ops if op["path"] == parts and op["type"] == "LogFloats" for v in op["values"]
    ]


@pytest.fixture
def offline_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _max_abs(t):
    return t.abs().max()


def _model_and_trainer():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    model[0].bias.requires_grad_(False)  # frozen: never has a gradient
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(engine, batch):
        opt.zero_grad()
        loss = model(batch).pow(2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    return model, opt, Engine(step)


def test_output_opt_params_weights_and_grads_read_back(offline_dir):
    model, opt, trainer = _model_and_trainer()
    data = [torch.randn(5, 3) for _ in range(4)]
    losses = []
    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: losses.append(e.state.output))

    logger = NeptuneLogger(**_OFFLINE)
    logger.attach_output_handler(
        trainer, Events.ITERATION_COMPLETED, tag="training", output_transform=lambda o: {"loss": o}
    )
    logger.attach_opt_params_handler(trainer, Events.ITERATION_STARTED, optimizer=opt)
    logger.attach(trainer, WeightsScalarHandler(model), Events.EPOCH_COMPLETED)
    logger.attach(trainer, GradsScalarHandler(model, reduction=_max_abs, tag="m"), Events.EPOCH_COMPLETED)
    logger["params/batch"] = 5  # item forwarding
    trainer.run(data, max_epochs=2)
    logger.close()

    ops = _operations(offline_dir)
    assert _series(ops, "training/loss") == [(i + 1, v) for i, v in enumerate(losses)]
    assert _series(ops, "lr/group_0") == [(i, 0.1) for i in range(1, 9)]
    weight = model[2].weight
    assert _series(ops, "weights_norm/2/weight")[-1] == (2, pytest.approx(weight.norm().item()))
    assert _series(ops, "m/grads__max_abs/2/weight")[-1] == (2, pytest.approx(weight.grad.abs().max().item()))
    # the frozen bias has no gradient: not logged by either handler
    assert not _series(ops, "weights_norm/0/bias") and not _series(ops, "m/grads__max_abs/0/bias")
    assigned = {tuple(op["path"]): op.get("value") for op in ops if op["type"].startswith("Assign")}
    assert assigned[tuple(_INTEGRATION_VERSION_KEY.split("/"))] == ignite.__version__
    assert assigned[("params", "batch")] == 5


def test_evaluator_metrics_at_trainer_steps(offline_dir):
    _, _, trainer = _model_and_trainer()
    evaluator = Engine(lambda e, b: None)

    @evaluator.on(Events.COMPLETED)
    def _set(engine):
        engine.state.metrics = {"acc": trainer.state.epoch / 10, "nested": {"a": 1.5}}

    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run([0]))
    with NeptuneLogger(**_OFFLINE) as logger:
        logger.attach(
            evaluator,
            OutputHandler("val", metric_names="all", global_step_transform=lambda *_: trainer.state.epoch),
            Events.COMPLETED,
        )
        trainer.run([torch.randn(2, 3)] * 3, max_epochs=3)
    ops = _operations(offline_dir)
    assert _series(ops, "val/acc") == [(1, 0.1), (2, 0.2), (3, pytest.approx(0.3))]
    assert _series(ops, "val/nested/a") == [(1, 1.5), (2, 1.5), (3, 1.5)]


def test_saver_uploads_checkpoints_and_removes_evicted(offline_dir):
    model = nn.Linear(2, 2)
    trainer = Engine(lambda e, b: None)
    with NeptuneLogger(**_OFFLINE) as logger:
        checkpoint = Checkpoint({"model": model}, NeptuneSaver(logger), n_saved=1)
        trainer.add_event_handler(Events.EPOCH_COMPLETED, checkpoint)
        trainer.run([0], max_epochs=2)
    ops = _operations(offline_dir)
    uploads = [op for op in ops if op["type"] == "UploadFile"]
    assert [tuple(op["path"]) for op in uploads] == [("model_1.pt",), ("model_2.pt",)]
    deleted = [tuple(op["path"]) for op in ops if op["type"] == "DeleteAttribute"]
    assert deleted == [("model_1.pt",)]
    # the uploaded file is the checkpoint: neptune keeps a copy of the stream in the offline folder
    copy = Path(uploads[-1]["tmp_file_name"]) if "tmp_file_name" in uploads[-1] else Path(uploads[-1]["file_path"])
    if not copy.is_absolute():
        (run_dir,) = (offline_dir / ".neptune" / "offline").iterdir()
        copy = next(run_dir.rglob(copy.name))
    state = torch.load(copy, weights_only=True)
    torch.testing.assert_close(state["weight"], model.weight)


@pytest.mark.parametrize(
    "handler, message",
    [
        (
            lambda m, o: OutputHandler("t", output_transform=lambda x: x),
            "Handler OutputHandler works only with NeptuneLogger",
        ),
        (lambda m, o: OptimizerParamsHandler(o), "Handler OptimizerParamsHandler works only with NeptuneLogger"),
        (lambda m, o: WeightsScalarHandler(m), "Handler WeightsScalarHandler works only with NeptuneLogger"),
        (lambda m, o: GradsScalarHandler(m), "Handler GradsScalarHandler works only with NeptuneLogger"),
    ],
)
def test_wrong_logger_type(handler, message):
    model = nn.Linear(2, 2)
    h = handler(model, torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(TypeError, match=f"^{message}$"):
        h(Engine(lambda e, b: None), object(), Events.ITERATION_COMPLETED)


def test_missing_client_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "neptune", None)
    with pytest.raises(ModuleNotFoundError, match="requires the Neptune client library to be installed"):
        NeptuneLogger(mode="offline")
