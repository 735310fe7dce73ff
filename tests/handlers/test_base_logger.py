"""Logger base machinery (spec handlers.md §9): argument checks, value collection, attach semantics."""

import math
from collections import namedtuple

import pytest
import torch
from torch import nn

from ignite.engine import Engine, Events, EventsList, RemovableEventHandle, State
from ignite.handlers.base_logger import (
    BaseHandler,
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    BaseWeightsHandler,
    BaseWeightsScalarHandler,
)


class DummyOutputHandler(BaseOutputHandler):
    def __call__(self, engine, logger, event_name):
        logger.calls.append(
            (event_name, self._global_step(engine, event_name), self._setup_output_metrics_state_attrs(engine))
        )


class DummyOptParamsHandler(BaseOptimizerParamsHandler):
    def __call__(self, engine, logger, event_name):
        logger.calls.append((event_name, [(self._param_key(i), v) for i, v in self._param_values()]))


class DummyLogger(BaseLogger):
    def __init__(self):
        self.calls = []
        self.closed = False

    def _create_output_handler(self, *args, **kwargs):
        return DummyOutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args, **kwargs):
        return DummyOptParamsHandler(*args, **kwargs)

    def close(self):
        self.closed = True


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.fc2 = nn.Linear(3, 1)
        self.fc_extra = nn.Linear(1, 1, bias=False)


def _state_engine(metrics=None, output=None, **attrs):
    engine = Engine(lambda e, b: None)
    engine.state.metrics = metrics or {}
    engine.state.output = output
    for k, v in attrs.items():
        setattr(engine.state, k, v)
    return engine


# ---------------------------------------------------------------- classes are abstract


def test_abstract_bases():
    with pytest.raises(TypeError):
        BaseHandler()
    with pytest.raises(TypeError):
        BaseLogger()

    class Incomplete(BaseLogger):
        def _create_output_handler(self, *args, **kwargs):
            return None

    with pytest.raises(TypeError):
        Incomplete()


# ---------------------------------------------------------------- BaseOutputHandler


def test_output_handler_argument_errors():
    with pytest.raises(
        TypeError, match="metric_names should be either a list or equal 'all', got <class 'str'> instead."
    ):
        DummyOutputHandler("tag", metric_names="a")
    with pytest.raises(TypeError, match="metric_names should be either a list or equal 'all'"):
        DummyOutputHandler("tag", metric_names=("a",))
    with pytest.raises(TypeError, match="output_transform should be a function, got <class 'int'> instead."):
        DummyOutputHandler("tag", output_transform=1)
    with pytest.raises(ValueError, match="Either metric_names, output_transform or state_attributes should be defined"):
        DummyOutputHandler("tag")
    with pytest.raises(TypeError, match="global_step_transform should be a function, got <class 'str'> instead."):
        DummyOutputHandler("tag", metric_names="all", global_step_transform="x")


def test_output_handler_default_global_step_is_event_counter():
    engine = _state_engine(metrics={"a": 1})
    engine.state.iteration, engine.state.epoch = 17, 3
    h = DummyOutputHandler("tag", metric_names="all")
    assert h.global_step_transform(engine, Events.ITERATION_COMPLETED) == 17
    assert h.global_step_transform(engine, Events.EPOCH_COMPLETED(every=2)) == 3


def test_global_step_must_be_int():
    h = DummyOutputHandler("tag", metric_names="all", global_step_transform=lambda e, n: 1.5)
    with pytest.raises(TypeError, match="global_step must be int, got <class 'float'>. Please check the output"):
        h._global_step(_state_engine(), Events.EPOCH_COMPLETED)


def test_collect_metrics_output_and_state_attributes_in_order():
    engine = _state_engine(
        metrics={"acc": 0.5, "loss": torch.tensor(0.25)},
        output=torch.tensor([1.0, 2.0]),
        alpha=3,
        beta=torch.tensor(4.0),
    )
    h = DummyOutputHandler(
        "tag", metric_names=["loss", "acc"], output_transform=lambda x: x, state_attributes=["alpha", "beta"]
    )
    out = h._setup_output_metrics_state_attrs(engine)
    assert list(out.items()) == [
        (("tag", "loss"), 0.25),
        (("tag", "acc"), 0.5),
        (("tag", "output", "0"), 1.0),
        (("tag", "output", "1"), 2.0),
        (("tag", "alpha"), 3),
        (("tag", "beta"), 4.0),
    ]
    strings = h._setup_output_metrics_state_attrs(engine, key_tuple=False)
    assert list(strings) == ["tag/loss", "tag/acc", "tag/output/0", "tag/output/1", "tag/alpha", "tag/beta"]


def test_collect_nested_example_of_spec():
    engine = _state_engine(metrics={"a": 1.0, "b": {"c": [2.34, {"d": 1}]}})
    h = DummyOutputHandler("tag", metric_names="all")
    assert h._setup_output_metrics_state_attrs(engine, key_tuple=False) == {
        "tag/a": 1.0,
        "tag/b/c/0": 2.34,
        "tag/b/c/1/d": 1,
    }


def test_collect_dict_output_and_namedtuple():
    Point = namedtuple("Point", ["x", "y"])
    engine = _state_engine(output={"loss": 0.5, "p": Point(1, torch.tensor(2.0))})
    h = DummyOutputHandler("t", output_transform=lambda x: x)
    assert h._setup_output_metrics_state_attrs(engine, key_tuple=False) == {"t/loss": 0.5, "t/p/0": 1, "t/p/1": 2.0}


def test_missing_metric_warns_and_is_skipped():
    engine = _state_engine(metrics={"a": 1})
    h = DummyOutputHandler("tag", metric_names=["a", "nope"])
    with pytest.warns(UserWarning, match=r"Provided metric name 'nope' is missing in engine's state metrics: \['a'\]"):
        out = h._setup_output_metrics_state_attrs(engine)
    assert out == {("tag", "a"): 1}


@pytest.mark.parametrize("value", [None, torch.ones(2, 2), object()])
def test_unloggable_values_warn_and_are_dropped(value):
    engine = _state_engine(metrics={"bad": value, "ok": 2})
    h = DummyOutputHandler("tag", metric_names="all")
    with pytest.warns(UserWarning, match="Logger output_handler can not log metrics value type"):
        out = h._setup_output_metrics_state_attrs(engine)
    assert out == {("tag", "ok"): 2}


def test_text_only_with_log_text():
    engine = _state_engine(metrics={"name": "resnet", "x": 1})
    h = DummyOutputHandler("tag", metric_names="all")
    assert h._setup_output_metrics_state_attrs(engine, log_text=True) == {("tag", "name"): "resnet", ("tag", "x"): 1}
    with pytest.warns(UserWarning, match="can not log metrics value type <class 'str'>"):
        assert h._setup_output_metrics_state_attrs(engine) == {("tag", "x"): 1}


def test_missing_state_attribute_is_none_and_dropped():
    engine = _state_engine()
    h = DummyOutputHandler("tag", state_attributes=["nothing_here"])
    with pytest.warns(UserWarning, match="NoneType"):
        assert h._setup_output_metrics_state_attrs(engine) == {}


# ---------------------------------------------------------------- weights / optimizer handlers


class WeightsScalar(BaseWeightsScalarHandler):
    def __call__(self, engine, logger, event_name):
        pass


class Weights(BaseWeightsHandler):
    def __call__(self, engine, logger, event_name):
        pass


def test_weights_handler_model_type():
    with pytest.raises(TypeError, match="Argument model should be of type torch.nn.Module, but given <class 'str'>"):
        WeightsScalar("model")
    with pytest.raises(
        TypeError, match="Argument model should be of type torch.nn.Module, but given <class 'NoneType'>"
    ):
        Weights(None)


def test_weights_whitelist_variants():
    model = Model()
    all_names = [n for n, _ in model.named_parameters()]
    assert [n for n, _ in Weights(model).weights] == all_names
    assert [n for n, _ in Weights(model, whitelist=["fc1", "fc_"]).weights] == [
        "fc1.weight",
        "fc1.bias",
        "fc_extra.weight",
    ]
    assert [n for n, _ in Weights(model, whitelist=lambda n, p: p.numel() == 1).weights] == [
        "fc2.bias",
        "fc_extra.weight",
    ]
    h = Weights(model, tag="t")
    assert h.model is model and h.tag == "t"
    assert all(p is dict(model.named_parameters())[n] for n, p in h.weights)


def test_weights_scalar_reduction_checks():
    model = Model()
    with pytest.raises(TypeError, match="Argument reduction should be callable, but given <class 'int'>"):
        WeightsScalar(model, reduction=1)
    with pytest.raises(
        TypeError, match="Output of the reduction function should be a scalar, but got <class 'torch.Tensor'>"
    ):
        WeightsScalar(model, reduction=lambda t: t.sum(dim=0))
    with pytest.raises(TypeError, match="should be a scalar, but got <class 'list'>"):
        WeightsScalar(model, reduction=lambda t: [1.0])
    assert WeightsScalar(model).reduction is torch.norm
    assert WeightsScalar(model, reduction=lambda t: 3.0).reduction(torch.ones(1)) == 3.0


def test_optimizer_params_handler_checks_and_values():
    with pytest.raises(
        TypeError,
        match="Argument optimizer should be torch.optim.Optimizer or has attribute 'param_groups' as list/tuple, "
        "but given <class 'int'>",
    ):
        DummyOptParamsHandler(1)

    class Wrapper:
        param_groups = [{"lr": 0.5}]

    DummyOptParamsHandler(Wrapper())  # duck-typed optimizers are fine
    model = Model()
    opt = torch.optim.SGD([{"params": model.fc1.parameters()}, {"params": model.fc2.parameters(), "lr": 0.2}], lr=0.1)
    h = DummyOptParamsHandler(opt, tag="opt")
    assert (h.optimizer, h.param_name, h.tag) == (opt, "lr", "opt")
    assert h._param_values() == [(0, 0.1), (1, 0.2)]
    assert h._param_key(1) == "opt/lr/group_1"
    assert DummyOptParamsHandler(opt, param_name="momentum")._param_key(0) == "momentum/group_0"


# ---------------------------------------------------------------- BaseLogger.attach


def test_attach_calls_handler_with_engine_logger_event():
    logger = DummyLogger()
    engine = Engine(lambda e, b: b)
    calls = []

    def handler(engine, logger, event_name, *args, **kwargs):
        calls.append((engine.state.iteration, logger, event_name, args, kwargs))

    handle = logger.attach(engine, handler, Events.ITERATION_COMPLETED(every=2), 1, key="v")
    assert isinstance(handle, RemovableEventHandle)
    engine.run(range(4))
    assert [(c[0], c[1], c[3], c[4]) for c in calls] == [
        (2, logger, (1,), {"key": "v"}),
        (4, logger, (1,), {"key": "v"}),
    ]
    assert calls[0][2] == Events.ITERATION_COMPLETED
    handle.remove()
    calls.clear()
    engine.run(range(4))
    assert calls == []


def test_attach_events_list_registers_each_member():
    logger = DummyLogger()
    engine = Engine(lambda e, b: b)
    seen = []
    events = Events.STARTED | Events.EPOCH_COMPLETED | Events.COMPLETED
    handle = logger.attach(engine, lambda e, lg, ev, extra: seen.append((ev, extra)), events, "x")
    assert isinstance(handle, RemovableEventHandle) and isinstance(handle.event_name, EventsList)
    engine.run(range(2), max_epochs=2)
    assert seen == [
        (Events.STARTED, "x"),
        (Events.EPOCH_COMPLETED, "x"),
        (Events.EPOCH_COMPLETED, "x"),
        (Events.COMPLETED, "x"),
    ]


def test_attach_unknown_event():
    logger = DummyLogger()
    engine = Engine(lambda e, b: b)
    engine.register_events("custom_no_attr")
    with pytest.raises(RuntimeError, match="Unknown event name 'custom_no_attr'"):
        logger.attach(engine, lambda *a: None, "custom_no_attr")
    with pytest.raises(RuntimeError, match="Unknown event name"):
        logger.attach(engine, lambda *a: None, Events.STARTED | Events.EXCEPTION_RAISED)
    assert Events.EXCEPTION_RAISED not in State.event_to_attr


def test_attach_output_and_opt_params_handlers_end_to_end():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    engine = Engine(lambda e, b: {"loss": float(b)})
    with DummyLogger() as logger:
        logger.attach_output_handler(engine, Events.ITERATION_COMPLETED, tag="train", output_transform=lambda o: o)
        h = logger.attach_opt_params_handler(engine, Events.EPOCH_STARTED, opt, param_name="lr")
        assert isinstance(h, RemovableEventHandle)
        engine.run([3, 4], max_epochs=1)
    assert logger.closed
    outputs = [c for c in logger.calls if c[0] == Events.ITERATION_COMPLETED]
    assert [(step, vals) for _, step, vals in outputs] == [(1, {("train", "loss"): 3.0}), (2, {("train", "loss"): 4.0})]
    params = [c for c in logger.calls if c[0] == Events.EPOCH_STARTED]
    assert params == [(Events.EPOCH_STARTED, [("lr/group_0", 0.01)])]


def test_close_default_noop_and_context_manager():
    class Minimal(BaseLogger):
        def _create_output_handler(self, *args, **kwargs):
            pass

        def _create_opt_params_handler(self, *args, **kwargs):
            pass

    with Minimal() as lg:
        assert isinstance(lg, Minimal)
    assert lg.close() is None


def test_values_are_python_numbers():
    engine = _state_engine(metrics={"t": torch.tensor(math.pi, dtype=torch.float64)})
    out = DummyOutputHandler("tag", metric_names="all")._setup_output_metrics_state_attrs(engine)
    assert type(out[("tag", "t")]) is float and out[("tag", "t")] == math.pi
