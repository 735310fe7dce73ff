"""MetricGroup (spec metrics.md §2.6)."""

import pytest
import torch
from metric_checks import check_state_dict_roundtrip
from sklearn.metrics import mean_absolute_error, mean_squared_error

from ignite.engine import Engine
from ignite.metrics import MeanAbsoluteError, MeanSquaredError, MetricGroup


def data(n=4):
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(6, generator=g), torch.randn(6, generator=g)) for _ in range(n)]


def refs(batches):
    y_pred = torch.cat([b[0] for b in batches]).numpy()
    y = torch.cat([b[1] for b in batches]).numpy()
    return mean_squared_error(y, y_pred), mean_absolute_error(y, y_pred)


def test_update_compute_and_reset():
    group = MetricGroup({"mse": MeanSquaredError(), "mae": MeanAbsoluteError()})
    assert group._state_dict_all_req_keys == ("metrics",)
    batches = data()
    for b in batches:
        group.update(b)
    mse, mae = refs(batches)
    assert group.compute() == {"mse": pytest.approx(mse), "mae": pytest.approx(mae)}
    group.reset()
    assert group.metrics["mse"]._num_examples == 0


def test_member_transforms_apply_after_the_group_transform():
    group = MetricGroup(
        {"mse": MeanSquaredError(output_transform=lambda out: (out[0] * 2, out[1]))},
        output_transform=lambda out: (out["p"], out["t"]),
    )
    engine = Engine(lambda e, b: {"p": b[0], "t": b[1]})
    group.attach(engine, "g")
    batches = data(2)
    state = engine.run(batches)
    y_pred = torch.cat([b[0] for b in batches]) * 2
    y = torch.cat([b[1] for b in batches])
    expected = mean_squared_error(y.numpy(), y_pred.numpy())
    assert state.metrics["mse"] == pytest.approx(expected)
    assert state.metrics["g"] == {"mse": pytest.approx(expected)}


def test_engine_result_modes():
    engine = Engine(lambda e, b: b)
    MetricGroup({"mse": MeanSquaredError(), "mae": MeanAbsoluteError()}).attach(engine, "all")
    state = engine.run(data())
    assert set(state.metrics) == {"mse", "mae", "all"}


def test_state_dict_roundtrip():
    check_state_dict_roundtrip(lambda: MetricGroup({"mse": MeanSquaredError(), "mae": MeanAbsoluteError()}), data())
