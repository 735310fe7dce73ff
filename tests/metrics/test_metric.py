"""The Metric base class (spec metrics.md §2.2-2.4): construction, engine handlers, usages, attach/detach,
state dicts, operators and the decorators."""

import pickle
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch
from metric_checks import assert_close, run_engine

from ignite.engine import Engine, Events
from ignite.exceptions import NotComputableError
from ignite.metrics import MeanAbsoluteError, MeanSquaredError
from ignite.metrics.metric import (
    BatchFiltered,
    BatchWise,
    EpochWise,
    Metric,
    MetricUsage,
    RunningBatchWise,
    RunningEpochWise,
    SingleEpochRunningBatchWise,
    reinit__is_reduced,
    sync_all_reduce,
)
from ignite.metrics.metrics_lambda import MetricsLambda


class Recorder(Metric):
    """Records every call; value = sum of the first items of the updates (a 0-d float64 tensor)."""

    _state_dict_all_req_keys = ("total", "count")

    def __init__(self, *args, **kwargs):
        self.calls = []
        super().__init__(*args, **kwargs)

    @reinit__is_reduced
    def reset(self):
        self.calls.append("reset")
        self.total = torch.tensor(0.0, dtype=torch.float64)
        self.count = 0

    @reinit__is_reduced
    def update(self, output):
        self.calls.append(("update", output))
        self.total += torch.as_tensor(output[0], dtype=torch.float64).sum()
        self.count += 1

    @sync_all_reduce("total", "count")
    def compute(self):
        self.calls.append("compute")
        if self.count == 0:
            raise NotComputableError("Recorder must have at least one example before it can be computed.")
        return self.total


class Value(Metric):
    """A metric whose result is fixed (to test operators and ``completed``)."""

    _state_dict_all_req_keys = ()

    def __init__(self, value, **kwargs):
        self.value = value
        super().__init__(**kwargs)

    def reset(self):
        pass

    def update(self, output):
        pass

    def compute(self):
        return self.value


def make_engine(process=None):
    return Engine(process or (lambda e, b: b))


# --------------------------------------------------------------------------- construction


def test_metric_is_abstract():
    with pytest.raises(TypeError):
        Metric()


def test_constructor_validation_and_attributes():
    with pytest.raises(TypeError, match="Argument output_transform should be callable, got <class 'int'>"):
        Recorder(output_transform=1)
    with pytest.raises(ValueError, match="Cannot create metric on an XLA device. Use device='cpu' instead."):
        Recorder(device="xla")
    with pytest.raises(ValueError, match=re.escape("should be one of ('flatten', 'named', 'both'), got bad")):
        Recorder(metrics_result_mode="bad")
    with pytest.raises(ValueError, match="metrics_result_mode"):
        Recorder(metrics_result_mode=None)

    m = Recorder(device="cpu", skip_unrolling=True, metrics_result_mode="named")
    assert m._device == torch.device("cpu") and m._skip_unrolling and m._metrics_result_mode == "named"
    assert m._double_dtype == torch.float64
    assert m.calls == ["reset"]  # the constructor resets
    assert Metric.required_output_keys == ("y_pred", "y") and Metric._required_output_keys == ("y_pred", "y")
    assert Metric._Metric__state_dict_key_per_rank == "__metric_state_per_rank"


def test_base_abstract_methods_are_callable_and_return_none():
    m = Recorder()
    assert Metric.reset(m) is None and Metric.update(m, None) is None and Metric.compute(m) is None


# --------------------------------------------------------------------------- usages


@pytest.mark.parametrize(
    "usage_cls, name, started, iteration, completed",
    [
        (EpochWise, "epoch_wise", Events.EPOCH_STARTED, Events.ITERATION_COMPLETED, Events.EPOCH_COMPLETED),
        (RunningEpochWise, "running_epoch_wise", Events.STARTED, Events.EPOCH_COMPLETED, Events.EPOCH_COMPLETED),
        (BatchWise, "batch_wise", Events.ITERATION_STARTED, Events.ITERATION_COMPLETED, Events.ITERATION_COMPLETED),
        (
            RunningBatchWise,
            "running_batch_wise",
            Events.STARTED,
            Events.ITERATION_COMPLETED,
            Events.ITERATION_COMPLETED,
        ),
        (
            SingleEpochRunningBatchWise,
            "single_epoch_running_batch_wise",
            Events.EPOCH_STARTED,
            Events.ITERATION_COMPLETED,
            Events.ITERATION_COMPLETED,
        ),
    ],
)
def test_named_usages(usage_cls, name, started, iteration, completed):
    usage = usage_cls()
    assert usage_cls.usage_name == name
    assert usage.STARTED == started and usage.ITERATION_COMPLETED == iteration and usage.COMPLETED == completed
    assert isinstance(Metric._check_usage(name), usage_cls)
    assert Metric._check_usage(usage) is usage


def test_usage_inheritance_and_batch_filtered():
    assert isinstance(RunningEpochWise(), EpochWise)
    assert isinstance(RunningBatchWise(), BatchWise) and isinstance(SingleEpochRunningBatchWise(), BatchWise)
    usage = BatchFiltered(every=2)
    assert usage.STARTED == Events.EPOCH_STARTED and usage.COMPLETED == Events.EPOCH_COMPLETED
    assert usage.ITERATION_COMPLETED == Events.ITERATION_COMPLETED and usage.ITERATION_COMPLETED.filter is not None
    with pytest.raises(AttributeError):
        usage.STARTED = Events.STARTED  # read-only


def test_check_usage_errors():
    with pytest.raises(ValueError, match=re.escape("Argument usage should be '(Running)EpochWise.usage_name' or")):
        Metric._check_usage("epochwise")
    with pytest.raises(TypeError, match="Unhandled usage type <class 'int'>"):
        Metric._check_usage(1)


# --------------------------------------------------------------------------- iteration_completed


def test_iteration_completed_transforms_and_runs_without_grad():
    seen = {}

    class GradProbe(Recorder):
        def update(self, output):
            seen["grad"] = torch.is_grad_enabled()
            super().update(output)

    m = GradProbe(output_transform=lambda out: (out[0] * 2, out[1]))
    engine = make_engine()
    engine.state.output = (torch.tensor([1.0, 2.0]), torch.tensor([0.0, 0.0]))
    assert torch.is_grad_enabled()
    m.iteration_completed(engine)
    assert seen["grad"] is False and torch.is_grad_enabled()
    assert m.total.item() == 6.0


def test_iteration_completed_mapping_output():
    m = Recorder()
    engine = make_engine()
    engine.state.output = {"y": torch.tensor([5.0]), "y_pred": torch.tensor([3.0]), "other": 1}
    m.iteration_completed(engine)
    y_pred, y = m.calls[-1][1]
    assert y_pred.item() == 3.0 and y.item() == 5.0  # required key order, extra keys ignored

    engine.state.output = {"y_pred": torch.tensor([3.0])}
    with pytest.raises(ValueError, match=re.escape("it should contain ('y_pred', 'y') keys, but given ['y_pred']")):
        m.iteration_completed(engine)

    class NoKeys(Recorder):
        required_output_keys = None

    engine.state.output = {"y_pred": 1}
    with pytest.raises(TypeError, match="Transformed engine output for NoKeys metric should be a tuple/list"):
        NoKeys().iteration_completed(engine)


def test_iteration_completed_unrolls_lists_of_tensors_and_numbers():
    m = Recorder()
    engine = make_engine()
    engine.state.output = ([torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]), 5.0], [1, torch.tensor([0, 1]), 2])
    m.iteration_completed(engine)
    updates = [c[1] for c in m.calls if isinstance(c, tuple)]
    assert len(updates) == 3
    assert updates[0][0].shape == (1, 2) and updates[0][1].tolist() == [1]
    assert updates[1][1].shape == (1, 2)
    assert updates[2][0].tolist() == [5.0] and updates[2][1].tolist() == [2]

    engine.state.output = ([torch.tensor(1.0)], [1, 2])
    with pytest.raises(ValueError, match="Output should have 2 items of the same length, got 2 and 1, 2"):
        m.iteration_completed(engine)

    skip = Recorder(skip_unrolling=True)
    engine.state.output = ([torch.tensor([1.0]), torch.tensor([2.0])], [0, 0])
    skip.iteration_completed(engine)
    assert skip.calls[-1][1] is engine.state.output  # passed as is


def test_iteration_completed_passes_tensor_pairs_through():
    m = Recorder()
    engine = make_engine()
    out = (torch.tensor([1.0, 2.0]), torch.tensor([1, 0]))
    engine.state.output = out
    m.iteration_completed(engine)
    assert m.calls[-1][1] is out


# --------------------------------------------------------------------------- completed


def test_completed_converts_results():
    engine = make_engine()
    Value(torch.tensor(2.5)).completed(engine, "scalar")
    Value(torch.tensor([1.0, 2.0])).completed(engine, "vector")
    Value("text").completed(engine, "other")
    assert engine.state.metrics["scalar"] == 2.5 and isinstance(engine.state.metrics["scalar"], float)
    assert torch.equal(engine.state.metrics["vector"], torch.tensor([1.0, 2.0]))
    assert engine.state.metrics["other"] == "text"


@pytest.mark.parametrize("mode, keys", [("both", {"a", "b", "res"}), ("flatten", {"a", "b"}), ("named", {"res"})])
def test_completed_mapping_modes(mode, keys):
    engine = make_engine()
    result = {"a": 1, "b": torch.tensor(2.0)}
    Value(result, metrics_result_mode=mode).completed(engine, "res")
    assert set(engine.state.metrics) == keys
    if "res" in keys:
        assert engine.state.metrics["res"] is result
    if "b" in keys:
        assert isinstance(engine.state.metrics["b"], torch.Tensor)  # items are stored untouched


def test_completed_mapping_name_conflict():
    engine = make_engine()
    with pytest.raises(ValueError, match=re.escape("Argument name 'a' is conflicting with mapping keys: ['a']")):
        Value({"a": 1}).completed(engine, "a")
    Value({"a": 1}, metrics_result_mode="flatten").completed(engine, "a")
    assert engine.state.metrics == {"a": 1}


# --------------------------------------------------------------------------- attach / detach


def _counts(m):
    return sum(c == "reset" for c in m.calls), sum(isinstance(c, tuple) for c in m.calls), m.calls.count("compute")


@pytest.mark.parametrize(
    "usage, expected_metrics, expected_counts",
    [
        # 2 epochs of 3 batches with values 1..6; counts = (resets after construction, updates, computes)
        ("epoch_wise", [6.0, 15.0], (2, 6, 2)),
        (EpochWise(), [6.0, 15.0], (2, 6, 2)),
        ("batch_wise", [1, 2, 3, 4, 5, 6], (6, 6, 6)),
        ("running_batch_wise", [1, 3, 6, 10, 15, 21], (1, 6, 6)),
        ("single_epoch_running_batch_wise", [1, 3, 6, 4, 9, 15], (2, 6, 6)),
        ("running_epoch_wise", [3.0, 9.0], (1, 2, 2)),
        (BatchFiltered(every=2), [2.0, 10.0], (2, 3, 2)),
    ],
)
def test_attach_usages(usage, expected_metrics, expected_counts):
    m = Recorder()
    m.calls.clear()
    engine = make_engine()
    m.attach(engine, "m", usage=usage)
    assert m.is_attached(engine, usage=usage)
    values = []
    event = Metric._check_usage(usage).COMPLETED
    engine.add_event_handler(event, lambda e: values.append(e.state.metrics["m"]))
    engine.run([(torch.tensor(float(i)),) for i in range(1, 7)], max_epochs=2, epoch_length=3)
    assert values == expected_metrics
    assert _counts(m) == expected_counts


def test_attach_twice_under_two_names_updates_once():
    m = Recorder()
    engine = make_engine()
    m.attach(engine, "a")
    m.attach(engine, "b")
    state = engine.run([(torch.tensor(1.0),), (torch.tensor(2.0),)])
    assert state.metrics["a"] == state.metrics["b"] == 3.0
    assert sum(isinstance(c, tuple) for c in m.calls) == 2


def test_detach_and_is_attached():
    m = Recorder()
    engine = make_engine()
    assert not m.is_attached(engine)
    m.attach(engine, "m")
    m.attach(engine, "mb", usage="batch_wise")
    assert m.is_attached(engine) and m.is_attached(engine, "batch_wise")
    m.detach(engine)
    assert not m.is_attached(engine) and m.is_attached(engine, "batch_wise")
    for event in (Events.EPOCH_STARTED, Events.EPOCH_COMPLETED):
        assert not engine.has_event_handler(m.started, event) and not engine.has_event_handler(m.completed, event)
    m.detach(engine, "batch_wise")
    assert not m.is_attached(engine, "batch_wise")
    assert not engine.has_event_handler(m.iteration_completed)
    m.detach(engine)  # nothing left: no error
    state = engine.run([(torch.tensor(1.0),)])
    assert "m" not in state.metrics and "mb" not in state.metrics


def test_attach_with_dict_output_and_output_transform():
    engine = Engine(lambda e, b: {"y_pred": b[0], "y": b[1], "loss": 0.0})
    mae = MeanAbsoluteError()
    mae.attach(engine, "mae")
    state = engine.run([(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 2.0]))])
    assert state.metrics["mae"] == 0.5


# --------------------------------------------------------------------------- state dict


def test_state_dict_layout_and_roundtrip():
    m = Recorder()
    m.update((torch.tensor([1.0, 2.0]),))
    m.update((torch.tensor([4.0]),))
    state = m.state_dict()
    assert isinstance(state, OrderedDict) and list(state) == ["__metric_state_per_rank"]
    per_rank = state["__metric_state_per_rank"]
    assert len(per_rank) == 1 and list(per_rank[0]) == ["total", "count"]
    assert per_rank[0]["total"].item() == 7.0 and per_rank[0]["count"] == 2
    m.reset()
    m.load_state_dict(state)
    assert m.compute().item() == 7.0 and m.count == 2


def test_state_dict_does_not_alias_the_metric():
    m = MeanSquaredError()
    m.update((torch.tensor([1.0]), torch.tensor([0.0])))
    state = m.state_dict()
    m.update((torch.tensor([3.0]), torch.tensor([0.0])))
    m.compute()
    saved = state["__metric_state_per_rank"][0]["_sum_of_squared_errors"]
    assert saved.item() == 1.0  # accumulators are updated in place: the saved state is a copy
    other = MeanSquaredError()
    other.load_state_dict(state)
    other.update((torch.tensor([2.0]), torch.tensor([0.0])))
    other.compute()
    assert saved.item() == 1.0 and other.compute() == 2.5


def test_load_state_dict_errors():
    m = Recorder()
    with pytest.raises(TypeError, match="Argument state_dict should be a dictionary, but given <class 'list'>"):
        m.load_state_dict([])
    with pytest.raises(ValueError, match="Incorrect state_dict object. .*Expected single key: __metric_state_per_rank"):
        m.load_state_dict({"a": 1})
    with pytest.raises(ValueError, match="Expected a list of state_dicts of size equal world_size: 1, but got 2"):
        m.load_state_dict({"__metric_state_per_rank": [{}, {}]})
    with pytest.raises(ValueError, match="Required state attribute 'count' is absent in provided state_dict"):
        m.load_state_dict({"__metric_state_per_rank": [{"total": torch.tensor(1.0)}]})
    with pytest.raises(ValueError, match="Unsupported type for provided state_dict data: <class 'str'>"):
        m.load_state_dict({"__metric_state_per_rank": [{"total": "x", "count": 1}]})


def test_state_dict_errors_on_bad_attributes():
    class Missing(Recorder):
        _state_dict_all_req_keys = ("nope",)

    with pytest.raises(ValueError, match="not among metric attributes: nope"):
        Missing().state_dict()

    class Unsupported(Recorder):
        _state_dict_all_req_keys = ("calls",)

    m = Unsupported()
    with pytest.raises(TypeError, match="Found attribute of unsupported type"):
        m.state_dict()  # calls holds strings


def test_state_dict_nested_metrics_in_lists_and_dicts():
    class Holder(Recorder):
        _state_dict_all_req_keys = ("parts", "named", "count")

        def __init__(self):
            self.parts = [Recorder(), Recorder()]
            self.named = {"x": Recorder(), "n": 3}
            super().__init__()

    h = Holder()
    h.parts[0].update((torch.tensor([2.0]),))
    h.named["x"].update((torch.tensor([5.0]),))
    h.named["n"] = 7
    state = h.state_dict()
    fresh = Holder()
    fresh.load_state_dict(state)
    assert fresh.parts[0].compute().item() == 2.0 and fresh.named["x"].compute().item() == 5.0
    assert fresh.named["n"] == 7

    bad = state["__metric_state_per_rank"][0].copy()
    bad["parts"] = bad["parts"][:1]
    with pytest.raises(ValueError, match="Size of y: 1 does not match the size of x: '2'"):
        Holder().load_state_dict({"__metric_state_per_rank": [bad]})
    bad = state["__metric_state_per_rank"][0].copy()
    bad["named"] = {"x": bad["named"]["x"]}
    with pytest.raises(ValueError, match="Key 'n' from x is not found in y"):
        Holder().load_state_dict({"__metric_state_per_rank": [bad]})


def test_pickling_keeps_state():
    m = MeanSquaredError()
    m.update((torch.tensor([1.0, 2.0]), torch.tensor([0.0, 0.0])))
    clone = pickle.loads(pickle.dumps(m))
    assert clone.compute() == m.compute() == 2.5
    assert m.__getstate__() is m.__dict__


def test_dill_roundtrip_with_lambdas():
    import dill

    m = MeanSquaredError(output_transform=lambda out: (out[0], out[1]))
    m.update((torch.tensor([3.0]), torch.tensor([1.0])))
    clone = dill.loads(dill.dumps(m))
    assert clone.compute() == 4.0


# --------------------------------------------------------------------------- operators


def _value(metric):
    v = metric.compute()
    return v.tolist() if isinstance(v, torch.Tensor) else v


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda m: m + 1, [3.0, 5.0]),
        (lambda m: 1 + m, [3.0, 5.0]),
        (lambda m: m - 1, [1.0, 3.0]),
        (lambda m: 10 - m, [8.0, 6.0]),
        (lambda m: m * 3, [6.0, 12.0]),
        (lambda m: 3 * m, [6.0, 12.0]),
        (lambda m: m**2, [4.0, 16.0]),
        (lambda m: 2**m, [4.0, 16.0]),
        (lambda m: m % 3, [2.0, 1.0]),
        (lambda m: m / 4, [0.5, 1.0]),
        (lambda m: 1 / m, [0.5, 0.25]),  # upstream returned NotImplemented here
        (lambda m: 8.0 / m, [4.0, 2.0]),
        (lambda m: m // 3, [0.0, 1.0]),
        (lambda m: m[1], 4.0),
        (lambda m: m[[1, 0]], [4.0, 2.0]),
        (lambda m: m.mean(), 3.0),
        (lambda m: m.sum(dim=0), 6.0),
        (lambda m: m.to(torch.double).sum().item(), 6.0),
        (lambda m: (m + m).norm(p=1), 12.0),
    ],
)
def test_operators_build_metrics_lambda(build, expected):
    m = Value(torch.tensor([2.0, 4.0]))
    result = build(m)
    assert isinstance(result, MetricsLambda)
    assert _value(result) == pytest.approx(expected)


def test_operators_between_metrics():
    a, b = Value(torch.tensor([2.0, 4.0])), Value(torch.tensor([1.0, 8.0]))
    assert _value(a + b) == [3.0, 12.0]
    assert _value(a / b) == [2.0, 0.5]
    assert _value(b / a) == [0.5, 2.0]
    assert _value((a * b * 2 / (a + b)).mean()) == pytest.approx(np.mean([4 / 3, 64 / 12]))


def test_unsupported_operators_and_identity_comparison():
    m = Value(torch.tensor(1.0))
    with pytest.raises(TypeError):
        -m
    with pytest.raises(TypeError):
        abs(m)
    with pytest.raises(TypeError):
        m < 1  # noqa: B015
    assert m == m and m != Value(torch.tensor(1.0))


def test_attribute_forwarding_errors_and_dunders():
    m = Value(torch.tensor(1.0))
    assert hasattr(m, "anything")
    with pytest.raises(AttributeError):
        m.__nonexistent__
    lam = m.no_such_method()
    with pytest.raises(AttributeError, match=r"Metric result of type '<class 'torch.Tensor'>' has no attribute "):
        lam.compute()
    with pytest.raises(AttributeError, match="test_metric.py"):  # points at the access
        lam.compute()


# --------------------------------------------------------------------------- decorators


def test_reinit_is_reduced_clears_cached_result():
    class Cached(Recorder):
        def __init__(self):
            self._result = None
            super().__init__()

        def compute(self):
            self._result = super().compute()
            return self._result

    m = Cached()
    m.update((torch.tensor([1.0]),))
    m.compute()
    assert m._result is not None
    m.update((torch.tensor([1.0]),))
    assert m._result is None
    m.compute()
    m.reset()
    assert m._result is None
    assert Recorder.update._decorated and Recorder.reset.__name__ == "reset"


def test_sync_all_reduce_single_process_and_misuse():
    assert sync_all_reduce("a")._decorated

    class NotAMetric:
        @sync_all_reduce("x")
        def compute(self):
            return 1

    with pytest.raises(RuntimeError, match="Decorator sync_all_reduce should be used on ignite.metric.Metric"):
        NotAMetric().compute()

    class BadAttrs(Recorder):
        @sync_all_reduce("missing:BAD", "calls")
        def compute(self):
            return 1

    assert BadAttrs().compute() == 1  # checks only happen with world size > 1


def test_metric_usage_custom_events():
    usage = MetricUsage(Events.EPOCH_STARTED, Events.EPOCH_COMPLETED, Events.ITERATION_COMPLETED(every=3))
    m = Recorder()
    assert run_engine(m, [(torch.tensor(float(i)),) for i in range(1, 7)], usage=usage) == 9.0
    assert_close(m.compute(), 9.0)
