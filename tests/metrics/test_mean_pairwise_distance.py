"""MeanPairwiseDistance (spec metrics.md §4, wart 20)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_chunked, check_state_dict_roundtrip, run_engine

from ignite.engine import Engine
from ignite.exceptions import NotComputableError
from ignite.metrics import MeanPairwiseDistance


def reference(y_pred, y, p=2, eps=1e-6):
    d = y_pred.double().numpy() - y.double().numpy() + eps
    return np.linalg.norm(d, ord=p, axis=-1).mean()


def test_worked_example_and_attributes():
    m = MeanPairwiseDistance()
    assert m._p == 2 and m._eps == 1e-6
    m.update((torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.5, 2.0], [2.0, 5.0]])))
    assert m.compute() == pytest.approx(0.957106, abs=1e-6)


@pytest.mark.parametrize("p", [1, 2, 3, np.inf])
@pytest.mark.parametrize("eps", [1e-6, 0.1])
def test_matches_numpy(p, eps):
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(8, 5, generator=g), torch.randn(8, 5, generator=g)) for _ in range(4)]
    y_pred = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    result = run_engine(MeanPairwiseDistance(p=p, eps=eps), batches)
    assert_close(result, reference(y_pred, y, p, eps), rtol=1e-5)


def test_not_computable():
    with pytest.raises(NotComputableError, match="MeanPairwiseDistance must have at least one example"):
        MeanPairwiseDistance().compute()


def test_skip_unrolling_is_honoured():
    # upstream always passed skip_unrolling=False to the base class
    assert MeanPairwiseDistance(skip_unrolling=True)._skip_unrolling
    seen = []

    class Probe(MeanPairwiseDistance):
        def update(self, output):
            seen.append(output)
            super().update((output[0][0][None], output[1][0][None]))

    engine = Engine(lambda e, b: b)
    Probe(skip_unrolling=True).attach(engine, "d")
    out = ([torch.zeros(2)], [torch.ones(2)])
    engine.run([out])
    assert seen == [out]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=6), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    y_pred, y = torch.randn(n, 4, generator=g), torch.randn(n, 4, generator=g)
    check_chunked(MeanPairwiseDistance, [y_pred, y], cuts, reference(y_pred, y), rtol=1e-5)


def test_state_dict_roundtrip():
    g = torch.Generator().manual_seed(2)
    check_state_dict_roundtrip(
        MeanPairwiseDistance, [(torch.randn(4, 3, generator=g), torch.randn(4, 3)) for _ in range(3)]
    )
