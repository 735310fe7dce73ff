"""MLflowLogger on a real local MLflow tracking store, read back through MlflowClient."""

import sys

import pytest
import torch

from ignite.engine import Engine, Events
from ignite.handlers.mlflow_logger import MLflowLogger, OptimizerParamsHandler, OutputHandler
from tests.handlers.logger_training import EPOCH_LENGTH, EPOCHS, attach_standard, make_run, train

mlflow = pytest.importorskip("mlflow")


@pytest.fixture
def tracking_uri(tmp_path, monkeypatch):
    # the file store needs no database package (mlflow-skinny); newer MLflow asks for this opt-in
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    yield uri
    if mlflow.active_run() is not None:
        mlflow.end_run()


def _history(client, run_id, key):
    return {m.step: m.value for m in client.get_metric_history(run_id, key)}


def test_training_run_read_back_through_the_client(tracking_uri):
    run = make_run()
    mlflow_logger = MLflowLogger(tracking_uri=tracking_uri)
    run_id = mlflow_logger.active_run.info.run_id
    mlflow_logger.log_params({"lr": 0.1})  # forwarded to the mlflow module
    attach_standard(mlflow_logger, run)
    train(run)
    mlflow_logger.close()

    client = mlflow.tracking.MlflowClient(tracking_uri)
    stored = client.get_run(run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.params == {"lr": "0.1"}
    loss = _history(client, run_id, "training loss")  # keys joined by spaces
    assert sorted(loss) == list(range(1, EPOCHS * EPOCH_LENGTH + 1))
    assert loss == pytest.approx(run.loss, rel=1e-6)
    assert _history(client, run_id, "lr group_0") == pytest.approx(run.lr)
    assert _history(client, run_id, "validation accuracy") == pytest.approx(run.accuracy)
    assert set(stored.data.metrics) == {"training loss", "lr group_0", "validation accuracy"}


def test_nested_values_invalid_names_and_an_existing_run(tracking_uri):
    mlflow.set_tracking_uri(tracking_uri)
    active = mlflow.start_run()
    mlflow_logger = MLflowLogger()  # uses the active run
    assert mlflow_logger.active_run.info.run_id == active.info.run_id
    engine = Engine(lambda e, b: None)
    engine.state.metrics = {"a": 1.5, "b": {"c": [2.0, {"d": 3}]}, "bad#name": 4.0, "v": torch.tensor([5.0, 6.0])}
    handler = OutputHandler("tag", metric_names="all", global_step_transform=lambda e, n: 7)
    with pytest.warns(UserWarning, match="invalid metric name 'tag bad#name' that will be ignored"):
        handler(engine, mlflow_logger, Events.EPOCH_COMPLETED)
    optimizer = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5}], lr=0.1)
    optimizer.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 0.25})
    engine.state.epoch = 3
    OptimizerParamsHandler(optimizer, tag="opt")(engine, mlflow_logger, Events.EPOCH_COMPLETED)
    mlflow_logger.close()

    metrics = mlflow.tracking.MlflowClient(tracking_uri).get_run(active.info.run_id).data.metrics
    assert metrics == {
        "tag a": 1.5,
        "tag b c 0": 2.0,
        "tag b c 1 d": 3.0,
        "tag v 0": 5.0,
        "tag v 1": 6.0,
        "opt lr group_0": 0.5,
        "opt lr group_1": 0.25,
    }


def test_missing_mlflow_raises_module_not_found(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(ModuleNotFoundError, match="This contrib module requires mlflow to be installed"):
        MLflowLogger()


@pytest.mark.parametrize(
    "handler, message",
    [
        (OutputHandler("tag", metric_names="all"), "Handler 'OutputHandler' works only with MLflowLogger"),
        (OptimizerParamsHandler(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)),
         "Handler OptimizerParamsHandler works only with MLflowLogger"),
    ],
)  # fmt: skip
def test_handler_with_the_wrong_logger(handler, message):
    with pytest.raises(TypeError, match=f"^{message}$"):
        handler(Engine(lambda e, b: None), object(), Events.ITERATION_COMPLETED)
