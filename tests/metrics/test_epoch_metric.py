"""EpochMetric (spec metrics.md §2.8)."""

import warnings

import pytest
import torch
from metric_checks import check_state_dict_roundtrip, run_engine
from sklearn.metrics import roc_auc_score

from ignite.engine import Engine, Events
from ignite.exceptions import NotComputableError
from ignite.metrics import EpochMetric
from ignite.metrics.epoch_metric import EpochMetricWarning
from ignite.metrics.epoch_metric import NotComputableError as ReexportedNCE


def auc(y_pred, y):
    return roc_auc_score(y.numpy(), y_pred.numpy())


def roc_batches(n=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        y = torch.randint(0, 2, (16,), generator=g)
        out.append((torch.rand(16, generator=g) + y * 0.3, y))
    return out


def test_construction_and_names():
    with pytest.raises(TypeError, match="Argument compute_fn should be callable."):
        EpochMetric(1)
    m = EpochMetric(auc)
    assert m.compute_fn is auc and m._state_dict_all_req_keys == ("_predictions", "_targets")
    assert ReexportedNCE is NotComputableError and issubclass(EpochMetricWarning, UserWarning)


def test_matches_sklearn_on_concatenated_data():
    batches = roc_batches()
    y_pred = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    assert run_engine(EpochMetric(auc), batches) == pytest.approx(roc_auc_score(y.numpy(), y_pred.numpy()))


def test_shapes_squeeze_and_2d():
    seen = {}

    def fn(p, t):
        seen["shapes"] = (tuple(p.shape), tuple(t.shape))
        return 0.0

    m = EpochMetric(fn, check_compute_fn=False)
    m.update((torch.rand(4, 1), torch.ones(4, 1)))
    m.update((torch.rand(3, 1), torch.ones(3)))
    m.compute()
    assert seen["shapes"] == ((7,), (7,))

    m = EpochMetric(fn, check_compute_fn=False)
    m.update((torch.rand(4, 3), torch.ones(4, 3)))
    m.compute()
    assert seen["shapes"] == ((4, 3), (4, 3))


def test_shape_and_type_errors():
    m = EpochMetric(lambda p, t: 0.0)
    with pytest.raises(
        ValueError, match=r"Predictions should be of shape \(batch_size, n_targets\) or \(batch_size, \)."
    ):
        m.update((torch.rand(2, 2, 2), torch.ones(2)))
    with pytest.raises(ValueError, match=r"Targets should be of shape \(batch_size, n_targets\) or \(batch_size, \)."):
        m.update((torch.rand(2), torch.ones(2, 2, 2)))
    m.update((torch.rand(2), torch.ones(2, dtype=torch.long)))
    with pytest.raises(ValueError, match="Incoherent types between input y_pred and stored predictions: torch.float32"):
        m.update((torch.rand(2, dtype=torch.float64), torch.ones(2, dtype=torch.long)))
    with pytest.raises(ValueError, match="Incoherent types between input y and stored targets: torch.int64 vs"):
        m.update((torch.rand(2), torch.ones(2, dtype=torch.int32)))


def test_not_computable_uses_class_name():
    class Custom(EpochMetric):
        pass

    with pytest.raises(NotComputableError, match="Custom must have at least one example before it can be computed."):
        Custom(lambda p, t: 0).compute()


def test_check_compute_fn_warns_once_on_first_batch():
    def bad(p, t):
        raise RuntimeError("boom")

    m = EpochMetric(bad)
    with pytest.warns(EpochMetricWarning, match=r"Probably, there can be a problem with `compute_fn`:\n boom."):
        m.update((torch.rand(2), torch.ones(2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.update((torch.rand(2), torch.ones(2)))  # not checked again
        EpochMetric(bad, check_compute_fn=False).update((torch.rand(2), torch.ones(2)))


def test_result_is_cached_until_update_or_reset():
    calls = []

    def fn(p, t):
        calls.append(1)
        return float(p.sum())

    m = EpochMetric(fn, check_compute_fn=False)
    m.update((torch.ones(2), torch.ones(2)))
    assert m.compute() == 2.0 and m.compute() == 2.0 and len(calls) == 1
    m.update((torch.ones(3), torch.ones(3)))
    assert m.compute() == 5.0 and len(calls) == 2
    m.reset()
    assert m._result is None and m._predictions == []


def test_stored_inputs_are_copies():
    m = EpochMetric(lambda p, t: float(p.sum()), check_compute_fn=False)
    y_pred = torch.ones(3)
    m.update((y_pred, torch.ones(3)))
    y_pred.fill_(5.0)  # the caller reuses its buffer
    assert m.compute() == 3.0


def test_detaches_inputs_with_grad():
    m = EpochMetric(lambda p, t: float(p.sum()), check_compute_fn=False)
    m.update((torch.ones(3, requires_grad=True), torch.ones(3)))
    assert not m._predictions[0].requires_grad


def test_engine_epochs_reset():
    batches = roc_batches(4)
    engine = Engine(lambda e, b: b)
    EpochMetric(auc).attach(engine, "auc")
    values = []
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda e: values.append(e.state.metrics["auc"]))
    engine.run(batches, max_epochs=2)
    assert values[0] == pytest.approx(values[1])


def test_state_dict_roundtrip():
    check_state_dict_roundtrip(lambda: EpochMetric(auc), roc_batches())
