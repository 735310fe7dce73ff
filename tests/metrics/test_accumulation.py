"""VariableAccumulation, Average, GeometricAverage (spec metrics.md §2.7)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, split_batches
from scipy.stats import gmean

from ignite.engine import Engine
from ignite.exceptions import NotComputableError
from ignite.metrics import Average, GeometricAverage, VariableAccumulation


def test_variable_accumulation_validation_and_fold():
    with pytest.raises(TypeError, match="Argument op should be a callable, but given <class 'int'>"):
        VariableAccumulation(1)
    m = VariableAccumulation(lambda a, x: a + x.sum() if isinstance(x, torch.Tensor) else a + x)
    assert m.required_output_keys is None and m._state_dict_all_req_keys == ("accumulator", "num_examples")
    assert m.accumulator.dtype == torch.float64 and m.num_examples == 0
    with pytest.raises(TypeError, match="Output should be a number or torch.Tensor, but given <class 'str'>"):
        m.update("1")
    m.update(2)  # number: one example
    m.update(torch.tensor(3.0))  # 0-d: one example
    m.update(torch.tensor([1.0, 1.0]))  # 1-d: one example
    m.update(torch.ones(4, 2, dtype=torch.float16))  # 2-d: four examples, converted to float64
    acc, n = m.compute()
    assert acc.item() == 15.0 and acc.dtype == torch.float64 and n == 7


def test_average_worked_example():
    m = Average()
    m.update(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    m.update(torch.tensor([5.0, 6.0]))
    assert torch.equal(m.compute(), torch.tensor([3.0, 4.0], dtype=torch.float64)) and m.num_examples == 3
    with pytest.raises(NotComputableError, match="Average must have at least one example before it can be computed."):
        Average().compute()


def test_geometric_average_worked_example():
    m = GeometricAverage()
    m.update(2.0)
    m.update(8.0)
    assert m.compute() == pytest.approx(4.0)
    with pytest.raises(NotComputableError, match="GeometricAverage must have at least one example before"):
        GeometricAverage().compute()
    v = GeometricAverage()
    v.update(torch.tensor([[1.0, 4.0], [4.0, 1.0]]))
    assert torch.allclose(v.compute(), torch.tensor([2.0, 2.0], dtype=torch.float64))


@pytest.mark.parametrize("shape", [(), (7,), (7, 3), (7, 3, 2)])
def test_average_matches_numpy(shape):
    g = torch.Generator().manual_seed(1)
    batches = [torch.rand(shape, generator=g) + 0.1 for _ in range(5)]
    stacked = torch.stack(batches).numpy() if len(shape) <= 1 else torch.cat(batches).numpy()
    assert_close(run_engine(Average(output_transform=lambda x: x), batches), stacked.mean(axis=0))
    expected = gmean(stacked, axis=0)
    result = run_engine(GeometricAverage(output_transform=lambda x: x), batches)
    assert_close(result, expected)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=6), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    x = torch.rand(n, 3, generator=torch.Generator().manual_seed(seed)) + 0.5
    pieces = [p[0] for p in split_batches([x], cuts)]
    for cls in (Average, GeometricAverage):
        whole, parts = cls(), cls()
        whole.update(x)
        for p in pieces:
            parts.update(p)
        assert_close(parts.compute(), whole.compute(), rtol=1e-10)
    assert_close(whole.compute(), gmean(x.double().numpy(), axis=0), rtol=1e-10)


def test_attached_average_of_loss_output():
    engine = Engine(lambda e, b: {"loss": b})
    Average(output_transform=lambda out: out["loss"]).attach(engine, "avg")
    state = engine.run([1.0, 2.0, 6.0])
    assert state.metrics["avg"] == pytest.approx(3.0)


@pytest.mark.parametrize("cls", [Average, GeometricAverage])
def test_state_dict_roundtrip(cls):
    g = torch.Generator().manual_seed(2)
    check_state_dict_roundtrip(cls, [torch.rand(4, 2, generator=g) + 0.1 for _ in range(3)])


def test_average_result_on_metric_device():
    m = Average(device="cpu")
    m.update(np.float64(2.0))
    assert m.compute().device == torch.device("cpu")


def test_average_of_python_numbers_mixed_with_tensors():
    values = [1.5, 2, torch.tensor(4.0), 0.25, torch.tensor([[1.0], [3.0]])]
    m = Average()
    for v in values:
        m.update(v)
    assert m.num_examples == 6
    assert_close(m.compute(), (1.5 + 2 + 4.0 + 0.25 + 1.0 + 3.0) / 6)
    state = m.state_dict()  # pending Python sums are part of the saved state
    m.update(10.0)
    fresh = Average()
    fresh.load_state_dict(state)
    fresh.update(10.0)
    assert_close(fresh.compute(), m.compute())
    assert_close(m.compute(), (1.5 + 2 + 4.0 + 0.25 + 1.0 + 3.0 + 10.0) / 7)
