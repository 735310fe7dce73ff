"""TensorboardLogger on real SummaryWriters (tensorboardX and torch.utils.tensorboard), event files read back."""

import sys

import pytest
import torch

from ignite.engine import Engine, Events
from ignite.handlers.tensorboard_logger import (
    GradsHistHandler,
    GradsScalarHandler,
    OptimizerParamsHandler,
    OutputHandler,
    TensorboardLogger,
    WeightsHistHandler,
    WeightsScalarHandler,
)
from tests.handlers.logger_training import EPOCH_LENGTH, EPOCHS, attach_standard, make_run, train

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


@pytest.fixture(params=["tensorboardX", "torch"])
def writer_backend(request, monkeypatch):
    if request.param == "tensorboardX":
        pytest.importorskip("tensorboardX")
    else:
        monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import fails: torch's writer is used
    return request.param


def _read(log_dir):
    acc = event_accumulator.EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    return {e.step: e.value for e in acc.Scalars(tag)}


def test_training_run_read_back_from_event_files(tmp_path, writer_backend):
    run = make_run()
    with TensorboardLogger(log_dir=tmp_path) as tb_logger:
        expected_module = "tensorboardX" if writer_backend == "tensorboardX" else "torch.utils.tensorboard"
        assert type(tb_logger.writer).__module__.startswith(expected_module)
        attach_standard(tb_logger, run)
        for handler in (WeightsScalarHandler, GradsScalarHandler, WeightsHistHandler, GradsHistHandler):
            tb_logger.attach(run.trainer, handler(run.model, whitelist=["fc"]), Events.EPOCH_COMPLETED)
        tb_logger.attach(run.trainer, WeightsScalarHandler(run.model, tag="all"), Events.EPOCH_COMPLETED)
        train(run)

    acc = _read(tmp_path)
    loss = _scalars(acc, "training/loss")
    assert sorted(loss) == list(range(1, EPOCHS * EPOCH_LENGTH + 1))
    assert loss == pytest.approx(run.loss, rel=1e-6)
    assert _scalars(acc, "lr/group_0") == pytest.approx(run.lr, rel=1e-6)
    assert _scalars(acc, "validation/accuracy") == pytest.approx(run.accuracy, rel=1e-6)
    assert "validation/nll" not in acc.Tags()["scalars"]

    for epoch in range(1, EPOCHS + 1):
        for name in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"):
            key = name.replace(".", "/")
            assert _scalars(acc, f"weights_norm/{key}")[epoch] == pytest.approx(run.weight_norms[epoch][name])
            assert _scalars(acc, f"grads_norm/{key}")[epoch] == pytest.approx(run.grad_norms[epoch][name])
            for kind, tensors in (("weights", run.weights), ("grads", run.grads)):
                hist = {e.step: e.histogram_value for e in acc.Histograms(f"{kind}/{key}")}[epoch]
                values = tensors[epoch][name].numpy()
                assert hist.num == values.size
                assert hist.sum == pytest.approx(float(values.sum()), abs=1e-5)
                assert (hist.min, hist.max) == pytest.approx((float(values.min()), float(values.max())))
    scalar_tags = set(acc.Tags()["scalars"])
    assert "all/weights_norm/frozen/weight" in scalar_tags  # tag prefix, no whitelist: every parameter
    assert not any(
        "frozen" in t for t in scalar_tags - {"all/weights_norm/frozen/weight", "all/weights_norm/frozen/bias"}
    )
    assert not any("frozen" in t for t in acc.Tags()["histograms"])  # whitelist, and no gradient


def test_attributes_forwarded_to_the_writer_and_close(tmp_path, writer_backend):
    tb_logger = TensorboardLogger(log_dir=tmp_path)
    tb_logger.add_scalar("direct", 3.5, 7)  # SummaryWriter.add_scalar through __getattr__
    tb_logger.close()
    assert _scalars(_read(tmp_path), "direct") == {7: 3.5}
    with pytest.raises(AttributeError):
        tb_logger.no_such_attribute


def test_writer_receives_python_numbers_and_weights_are_not_copied(tmp_path, writer_backend):
    """Hot path: tensors become numbers once, before the backend; reductions see the parameter itself."""
    run = make_run()
    received = []
    seen = []

    def reduction(t):
        seen.append((t.data_ptr(), torch.is_grad_enabled()))
        return t.abs().sum()

    with TensorboardLogger(log_dir=tmp_path) as tb_logger:
        original = tb_logger.writer.add_scalar

        def add_scalar(tag, value, step):
            received.append(type(value))
            original(tag, value, step)

        tb_logger.writer.add_scalar = add_scalar
        tb_logger.attach_output_handler(
            run.trainer,
            Events.ITERATION_COMPLETED,
            tag="t",
            output_transform=lambda loss: {"loss": loss, "v": torch.tensor([1.0, 2.0])},
        )
        tb_logger.attach(run.trainer, WeightsScalarHandler(run.model, reduction=reduction), Events.EPOCH_COMPLETED)
        seen.clear()  # the constructor's check of the reduction
        train(run)
    assert set(received) == {float}
    ptrs = {p.data_ptr() for p in run.model.parameters()}
    assert seen and all(ptr in ptrs and not grad for ptr, grad in seen)


def test_missing_backends_raise_module_not_found(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ModuleNotFoundError, match="This contrib module requires either tensorboardX or torch"):
        TensorboardLogger()


ONLY = "works only with TensorboardLogger"


@pytest.mark.parametrize(
    "handler, message",
    [
        (OutputHandler("tag", metric_names="all"), "Handler 'OutputHandler' " + ONLY),
        (OptimizerParamsHandler(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)),
         "Handler OptimizerParamsHandler " + ONLY),
        (WeightsScalarHandler(torch.nn.Linear(1, 1)), "Handler 'WeightsScalarHandler' " + ONLY),
        (WeightsHistHandler(torch.nn.Linear(1, 1)), "Handler 'WeightsHistHandler' " + ONLY),
        (GradsScalarHandler(torch.nn.Linear(1, 1)), "Handler 'GradsScalarHandler' " + ONLY),
        (GradsHistHandler(torch.nn.Linear(1, 1)), "Handler 'GradsHistHandler' " + ONLY),
    ],
)  # fmt: skip
def test_handler_with_the_wrong_logger(handler, message):
    engine = Engine(lambda e, b: None)
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        handler(engine, object(), Events.ITERATION_COMPLETED)


def test_bad_global_step_and_unknown_metric(tmp_path):
    engine = Engine(lambda e, b: None)
    engine.state.metrics = {"a": 1.0}
    with TensorboardLogger(log_dir=tmp_path) as tb_logger:
        handler = OutputHandler("tag", metric_names=["a"], global_step_transform=lambda e, n: 1.5)
        with pytest.raises(TypeError, match="global_step must be int, got <class 'float'>"):
            handler(engine, tb_logger, Events.EPOCH_COMPLETED)
        with pytest.warns(UserWarning, match="Provided metric name 'b' is missing in engine's state metrics"):
            OutputHandler("tag", metric_names=["a", "b"])(engine, tb_logger, Events.EPOCH_COMPLETED)
        engine.state.output = torch.ones(2, 2)
        with pytest.warns(UserWarning, match="can not log metrics value type <class 'torch.Tensor'>"):
            OutputHandler("tag", output_transform=lambda x: x)(engine, tb_logger, Events.EPOCH_COMPLETED)
    assert _scalars(_read(tmp_path), "tag/a") == {0: 1.0}
