"""VisdomLogger against a real Visdom server started on 127.0.0.1; plotted data read back from the server."""

import json
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from ignite.engine import Engine, Events
from ignite.handlers.visdom_logger import (
    GradsScalarHandler,
    OptimizerParamsHandler,
    OutputHandler,
    VisdomLogger,
    WeightsScalarHandler,
    _DummyExecutor,
)
from tests.handlers.logger_training import EPOCH_LENGTH, EPOCHS, make_run, train
from tests.handlers.visdom_server import free_port, visdom_server

pytest.importorskip("visdom")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env_path = tmp_path_factory.mktemp("visdom_env")
    with visdom_server(env_path) as port:
        yield port, env_path


def _logger(server, env, **kwargs):
    port, _ = server
    return VisdomLogger(server="127.0.0.1", port=port, env=env, use_incoming_socket=False, **kwargs)


def _plotted(logger, handler, key):
    """{x: y} of the window ``key`` as the server stores it."""
    data = json.loads(logger.vis.get_window_data(handler.windows[key]["win"], logger.vis.env))
    assert data["title"] == key
    (line,) = data["content"]["data"]
    assert line["name"] == key
    return dict(zip(line["x"], line["y"]))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_training_run_read_back_from_the_server(server, num_workers):
    run = make_run()
    env = f"ignite_run_{num_workers}"
    vd_logger = _logger(server, env, num_workers=num_workers)
    assert isinstance(vd_logger.executor, _DummyExecutor) == (num_workers == 0)
    output = OutputHandler("training", output_transform=lambda loss: {"loss": loss})
    lr = OptimizerParamsHandler(run.optimizer)
    validation = OutputHandler(
        "validation", metric_names="all", global_step_transform=lambda e, n: 10 * run.trainer.state.epoch
    )
    weights = WeightsScalarHandler(run.model)
    grads = GradsScalarHandler(run.model, reduction=torch.sum, tag="g")
    vd_logger.attach(run.trainer, output, Events.ITERATION_COMPLETED)
    vd_logger.attach(run.trainer, lr, Events.ITERATION_STARTED)
    vd_logger.attach(run.evaluator, validation, Events.COMPLETED)
    vd_logger.attach(run.trainer, weights, Events.EPOCH_COMPLETED)
    vd_logger.attach(run.trainer, grads, Events.EPOCH_COMPLETED)
    train(run)
    vd_logger.executor.shutdown(wait=True)  # every pending plot sent

    loss = _plotted(vd_logger, output, "training/loss")
    assert sorted(loss) == list(range(1, EPOCHS * EPOCH_LENGTH + 1))
    assert loss == pytest.approx(run.loss, rel=1e-6)
    assert _plotted(vd_logger, lr, "lr/group_0") == pytest.approx(run.lr)
    opts = output.windows["training/loss"]["opts"]  # visdom adds its defaults to the dict
    assert {k: opts[k] for k in ("title", "xlabel", "ylabel", "showlegend")} == {
        "title": "training/loss",
        "xlabel": "Events.ITERATION_COMPLETED",
        "ylabel": "training/loss",
        "showlegend": False,
    }
    # the step comes from the transform (the evaluator's own epoch is always 1)
    assert _plotted(vd_logger, validation, "validation/accuracy") == pytest.approx(
        {10 * e: v for e, v in run.accuracy.items()}
    )
    assert set(weights.windows) == {f"weights_norm/{n.replace('.', '/')}" for n, _ in run.model.named_parameters()}
    assert _plotted(vd_logger, weights, "weights_norm/fc1/weight") == pytest.approx(
        {e: norms["fc1.weight"] for e, norms in run.weight_norms.items()}
    )
    assert "g/grads_sum/frozen/weight" not in grads.windows  # no gradient
    expected = {e: g["fc2.bias"].sum().item() for e, g in run.grads.items()}
    assert _plotted(vd_logger, grads, "g/grads_sum/fc2/bias") == pytest.approx(expected)
    vd_logger.close()
    _, env_path = server
    assert (env_path / f"{env}.json").exists()  # _save: the server wrote the environment to disk


def test_environment_variables_give_server_port_and_credentials(server, monkeypatch):
    port, _ = server
    monkeypatch.setenv("VISDOM_SERVER_URL", "127.0.0.1")
    monkeypatch.setenv("VISDOM_PORT", str(port))
    vd_logger = VisdomLogger(use_incoming_socket=False)
    assert vd_logger.vis.port == port and vd_logger.vis.check_connection()
    vd_logger.close()
    # the credentials reach the client, which logs in; this server has no login enabled and refuses
    monkeypatch.setenv("VISDOM_USERNAME", "someone")
    monkeypatch.setenv("VISDOM_PASSWORD", "secret")
    with pytest.raises(RuntimeError, match="Authentication failed"):
        VisdomLogger(use_incoming_socket=False)
    vd_logger = VisdomLogger(use_incoming_socket=False, username=None, password=None)  # explicit kwargs win
    assert vd_logger.vis.username is None and vd_logger.vis.check_connection()
    vd_logger.close()


def test_no_server_raises_runtime_error():
    port = free_port()
    with pytest.raises(RuntimeError, match=r"^Failed to connect to Visdom server at 127.0.0.1. Did you run python"):
        VisdomLogger(server="127.0.0.1", port=port, use_incoming_socket=False)


def test_server_gone_mid_run(tmp_path):
    """Inline sending raises the client's error; background sending warns once and training goes on."""
    engine = Engine(lambda e, b: float(e.state.iteration))
    with visdom_server(tmp_path) as port:
        inline = VisdomLogger(server="127.0.0.1", port=port, num_workers=0, use_incoming_socket=False)
        threaded = VisdomLogger(server="127.0.0.1", port=port, num_workers=1, use_incoming_socket=False)
        inline_handler = OutputHandler("a", output_transform=lambda x: x)
        threaded_handler = OutputHandler("b", output_transform=lambda x: x)
        engine.state.output = 1.0
        inline_handler(engine, inline, Events.ITERATION_COMPLETED)
        threaded_handler(engine, threaded, Events.ITERATION_COMPLETED)
        threaded.executor.shutdown(wait=True)  # sent before the server stops
        threaded.executor = ThreadPoolExecutor(1)
    with pytest.raises(Exception) as raised:
        inline_handler(engine, inline, Events.ITERATION_COMPLETED)
    assert "connect" in repr(raised.value).lower()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            threaded_handler(engine, threaded, Events.ITERATION_COMPLETED)
        threaded.executor.shutdown(wait=True)
    messages = [str(w.message) for w in caught if "VisdomLogger failed" in str(w.message)]
    assert len(messages) == 1, messages


def test_missing_visdom_raises_module_not_found(monkeypatch):
    monkeypatch.setitem(sys.modules, "visdom", None)
    with pytest.raises(ModuleNotFoundError, match="This contrib module requires visdom package"):
        VisdomLogger()


def test_dummy_executor_runs_inline():
    calls = []
    future = _DummyExecutor().submit(lambda **kw: calls.append(kw) or "win", a=1)
    assert calls == [{"a": 1}] and future.result() == "win"


ONLY = "works only with VisdomLogger"


@pytest.mark.parametrize(
    "handler, message",
    [
        (OutputHandler("tag", metric_names="all"), "Handler 'OutputHandler' " + ONLY),
        (OptimizerParamsHandler(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)),
         "Handler OptimizerParamsHandler " + ONLY),
        (WeightsScalarHandler(torch.nn.Linear(1, 1)), "Handler 'WeightsScalarHandler' " + ONLY),
        (GradsScalarHandler(torch.nn.Linear(1, 1)), "Handler 'GradsScalarHandler' " + ONLY),
    ],
)  # fmt: skip
def test_handler_with_the_wrong_logger(handler, message):
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        handler(Engine(lambda e, b: None), object(), Events.ITERATION_COMPLETED)
