"""MetricsLambda (spec metrics.md §2.5, warts 13-14): composition, the update API, engine attachment,
detach undoing what attach added, and state dicts."""

import numpy as np
import pytest
import torch
from metric_checks import check_state_dict_roundtrip
from sklearn.metrics import mean_absolute_error, mean_squared_error

from ignite.engine import Engine, Events
from ignite.metrics import MeanAbsoluteError, MeanSquaredError, MetricsLambda
from ignite.metrics.metric import Metric, reinit__is_reduced


class Sum(Metric):
    """Sum of ``y_pred`` per column (a vector metric, like ``Precision(average=False)``)."""

    _state_dict_all_req_keys = ("total",)

    @reinit__is_reduced
    def reset(self):
        self.total = torch.zeros(3, dtype=torch.float64)
        self.updates = 0

    @reinit__is_reduced
    def update(self, output):
        self.total += output[0].sum(dim=0)
        self.updates += 1

    def compute(self):
        return self.total.clone()


def batches(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.rand(5, 3, generator=g), torch.rand(5, 3, generator=g)) for _ in range(n)]


def reference_f1(data):
    p = sum(b[0].sum(0) for b in data).double()
    r = sum(b[1].sum(0) for b in data).double()
    return (p * r * 2 / (p + r)).mean().item()


class SumOfTargets(Sum):
    @reinit__is_reduced
    def update(self, output):
        self.total += output[1].sum(dim=0)
        self.updates += 1


def test_constructor_stores_and_resets_operands():
    a = Sum()
    a.update((torch.ones(2, 3), None))
    lam = MetricsLambda(lambda x, y, k=0: x.sum() + y + k, a, 2.0, k=1.0)
    assert lam.function is not None and lam.args == [a, 2.0] and lam.kwargs == {"k": 1.0}
    assert lam.engine is None and lam._updated is False
    assert a.total.sum().item() == 0.0  # creating the lambda reset its operand
    assert lam._device == torch.device("cpu")


def test_update_compute_api_slides_f1():
    p, r = Sum(), SumOfTargets()
    f1 = (p * r * 2 / (p + r)).mean()
    data = batches()
    for b in data:
        f1.update(b)
    assert f1.compute() == pytest.approx(reference_f1(data))
    # every distinct metric is updated once per call, although p and r appear twice in the expression
    assert p.updates == len(data) and r.updates == len(data)


def test_engine_f1_matches_reference_and_only_lambda_is_stored():
    p, r = Sum(), SumOfTargets()
    f1 = (p * r * 2 / (p + r)).mean()
    engine = Engine(lambda e, b: b)
    f1.attach(engine, "f1")
    data = batches()
    state = engine.run(data, max_epochs=2)
    assert state.metrics == {"f1": pytest.approx(reference_f1(data))}  # reset each epoch, only the lambda
    assert f1.is_attached(engine) and not p.is_attached(engine)


def test_lambda_over_library_metrics_matches_sklearn():
    mse, mae = MeanSquaredError(), MeanAbsoluteError()
    combo = mse * 2 + mae
    engine = Engine(lambda e, b: b)
    combo.attach(engine, "combo")
    g = torch.Generator().manual_seed(3)
    data = [(torch.randn(8, generator=g), torch.randn(8, generator=g)) for _ in range(5)]
    y_pred = torch.cat([d[0] for d in data]).numpy()
    y = torch.cat([d[1] for d in data]).numpy()
    expected = 2 * mean_squared_error(y, y_pred) + mean_absolute_error(y, y_pred)
    assert engine.run(data).metrics["combo"] == pytest.approx(expected, rel=1e-6)


def test_update_while_attached_and_attach_after_update_raise():
    a = Sum()
    lam = a * 2
    engine = Engine(lambda e, b: b)
    lam.attach(engine, "x")
    with pytest.raises(ValueError, match="MetricsLambda is already attached to an engine"):
        lam.update((torch.ones(1, 3), None))

    b = Sum()
    lam2 = b + 1
    lam2.update((torch.ones(1, 3), None))
    with pytest.raises(ValueError, match="The underlying metrics are already updated, can't attach"):
        lam2.attach(Engine(lambda e, b: b), "y")
    lam2.reset()
    lam2.attach(Engine(lambda e, b: b), "y")  # a reset clears the flag


def test_nested_lambda_update_marks_nested():
    a = Sum()
    inner = a + 1
    outer = inner * 2
    outer.update((torch.ones(2, 3), None))
    assert outer._updated and inner._updated
    assert outer.compute().tolist() == [6.0, 6.0, 6.0]


def test_kwargs_metrics_are_computed():
    a, b = Sum(), SumOfTargets()
    lam = MetricsLambda(lambda x, scale, other: (x * scale + other).sum(), a, scale=2.0, other=b)
    lam.update((torch.ones(1, 3), torch.full((1, 3), 0.5)))
    assert lam.compute().item() == pytest.approx(7.5)


def test_tensor_results_are_moved_to_cpu():
    seen = []

    class Dev(Sum):
        def compute(self):
            return torch.ones(1)

    MetricsLambda(lambda x: seen.append(x.device), Dev()).compute()
    assert seen == [torch.device("cpu")]


def test_detach_undoes_partial_attachment():
    p, r = Sum(), SumOfTargets()
    f1 = (p * r * 2 / (p + r)).mean()
    engine = Engine(lambda e, b: b)
    f1.attach(engine, "f1")
    assert engine.has_event_handler(p.iteration_completed, Events.ITERATION_COMPLETED)
    f1.detach(engine)
    assert not f1.is_attached(engine) and f1.engine is None
    for m in (p, r):
        assert not engine.has_event_handler(m.started) and not engine.has_event_handler(m.iteration_completed)
    engine.run(batches())
    assert p.updates == 0  # upstream kept updating the operands after detach


def test_detach_keeps_handlers_needed_by_others():
    p, r = Sum(), SumOfTargets()
    first = p + r
    second = p * 2
    engine = Engine(lambda e, b: b)
    p.attach(engine, "p")  # the user attached p on its own
    first.attach(engine, "first")
    second.attach(engine, "second")
    first.detach(engine)
    assert p.is_attached(engine) and second.is_attached(engine)
    assert not engine.has_event_handler(r.iteration_completed)  # r served only ``first``
    data = batches(2)
    state = engine.run(data)
    expected = (data[0][0].sum(0) + data[1][0].sum(0)).double()
    assert torch.allclose(state.metrics["second"], expected * 2)
    assert set(state.metrics) == {"p", "second"}


def test_is_attached_requires_dependencies():
    a = Sum()
    lam = a + 1
    engine = Engine(lambda e, b: b)
    lam.attach(engine, "lam")
    assert lam.is_attached(engine)
    engine.remove_event_handler(a.started, Events.EPOCH_STARTED)
    assert not lam.is_attached(engine)
    assert not lam._internal_is_attached(None, lam._check_usage("epoch_wise"))


def test_batch_wise_usage():
    a = Sum()
    lam = a.sum()
    engine = Engine(lambda e, b: b)
    values = []
    lam.attach(engine, "s", usage="batch_wise")
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: values.append(e.state.metrics["s"]))
    data = batches(3)
    engine.run(data)
    np.testing.assert_allclose(values, [b[0].sum().item() for b in data], rtol=1e-6)


def test_state_dict_roundtrip_with_constants_and_nested():
    def factory():
        p, r = Sum(), SumOfTargets()
        return (p * r * 2 / (p + r)).mean()

    check_state_dict_roundtrip(factory, batches())


def test_state_dict_with_non_numeric_constant():
    # upstream: TypeError for ``cm.to(torch.double)``-like expressions (a dtype among the arguments)
    def factory():
        return Sum().to(torch.float32).sum()

    check_state_dict_roundtrip(factory, batches())
    state = factory().state_dict()["__metric_state_per_rank"][0]
    assert list(state) == ["_updated", "args", "kwargs"]


def test_slides_f1_with_precision_and_recall_matches_sklearn():
    from sklearn.metrics import f1_score

    import ignite.metrics.precision as precision_module
    from ignite.metrics import Precision, Recall

    assert precision_module.Precision is Precision
    g = torch.Generator().manual_seed(5)
    data = [(torch.rand(16, 4, generator=g), torch.randint(0, 4, (16,), generator=g)) for _ in range(6)]
    P, R = Precision(average=False), Recall(average=False)
    F1 = (P * R * 2 / (P + R)).mean()
    engine = Engine(lambda e, b: b)
    F1.attach(engine, "f1")
    state = engine.run(data)
    y_pred = torch.cat([d[0] for d in data]).argmax(1).numpy()
    y = torch.cat([d[1] for d in data]).numpy()
    assert state.metrics["f1"] == pytest.approx(f1_score(y, y_pred, average="macro"), rel=1e-6)


def test_reciprocal_of_vector_metric():
    # upstream: ``1 / Precision(average=False)`` computed int.__truediv__(tensor) -> NotImplemented
    from ignite.metrics import Precision

    p = Precision(average=False)
    inv = 1 / p
    inv.update((torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]), torch.tensor([0, 1, 1])))
    assert torch.allclose(inv.compute(), torch.tensor([2.0, 1.0], dtype=torch.float64))
