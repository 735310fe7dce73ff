"""Every ``ignite.metrics.regression`` metric against numpy/scipy/scikit-learn (spec metrics.md §6.1): random
inputs of each accepted shape and dtype, many small updates == one big update, state-dict round trips."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent.parent))
sys.path.insert(0, str(Path(__file__).parent))
from metric_checks import assert_close, check_chunked, check_state_dict_roundtrip, run_engine  # noqa: E402
from regression_refs import ALL, POSITIVE, sample  # noqa: E402
from scipy.stats import kendalltau  # noqa: E402

import ignite.metrics.regression as R  # noqa: E402

NAMES = sorted(ALL)
# float16 keeps ~3 significant digits: references see the same rounded values, sums differ in the last bits
TOL = {torch.float16: dict(rtol=2e-3, atol=2e-3), torch.float32: dict(rtol=1e-5, atol=1e-6)}
TOL[torch.float64] = dict(rtol=1e-7, atol=1e-9)


def tensors(name, n, seed, dtype=torch.float32):
    p, a = sample(n, seed, positive=name in POSITIVE)
    return torch.tensor(p, dtype=dtype), torch.tensor(a, dtype=dtype)


def reference(name, p, a):
    return ALL[name](p.double().flatten().numpy(), a.double().flatten().numpy())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize("column", [False, True], ids=["N", "Nx1"])
def test_matches_reference(name, dtype, column):
    p, a = tensors(name, 120, seed=1, dtype=dtype)
    if column:
        p, a = p[:, None], a[:, None]
    batches = [(p[i : i + 25], a[i : i + 25]) for i in range(0, 120, 25)]
    metric = getattr(R, name)()
    assert_close(run_engine(metric, batches), reference(name, p, a), **TOL[dtype])


def test_kendall_variant_c():
    p, a = tensors("KendallRankCorrelation", 60, seed=3)
    p = p.round(decimals=1)  # ties: b and c differ
    metric = R.KendallRankCorrelation(variant="c")
    metric.update((p, a))
    expected = kendalltau(p.double().numpy(), a.double().numpy(), variant="c").statistic
    assert_close(metric.compute(), expected)
    b = R.KendallRankCorrelation()
    b.update((p, a))
    assert abs(b.compute() - metric.compute()) > 1e-4


def test_ties_and_even_counts_for_medians():
    # the median of an even count is the mean of the two middle values (numpy's definition)
    p = torch.tensor([1.0, 2.0, 2.0, 7.0])
    a = torch.tensor([2.0, 2.0, 5.0, 1.0])
    metric = R.MedianAbsoluteError()
    metric.update((p, a))
    assert metric.compute() == np.median([1, 0, 3, 6]) == 2.0


def test_stored_metrics_accept_n_by_k():
    g = torch.Generator().manual_seed(0)
    p, a = torch.randn(10, 3, generator=g), torch.randn(10, 3, generator=g)
    for name in ("MedianAbsoluteError", "MedianAbsolutePercentageError"):
        metric = getattr(R, name)()
        metric.update((p, a))
        assert_close(metric.compute(), reference(name, p, a))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=8, deadline=None)
@given(n=st.integers(4, 40), cuts=st.lists(st.integers(1, 39), max_size=5), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(name, n, cuts, seed):
    p, a = tensors(name, n, seed)
    check_chunked(getattr(R, name), [p, a], cuts, reference(name, p, a), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_roundtrip(name):
    p, a = tensors(name, 30, seed=4)
    check_state_dict_roundtrip(getattr(R, name), [(p[:10], a[:10]), (p[10:], a[10:])])


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_not_modified(name):
    p, a = tensors(name, 20, seed=5)
    p0, a0 = p.clone(), a.clone()
    metric = getattr(R, name)()
    metric.update((p, a))
    metric.compute()
    assert torch.equal(p, p0) and torch.equal(a, a0)


def test_worked_example():
    expected = {
        "CanberraMetric": 0.513131,
        "FractionalAbsoluteError": 0.256566,
        "FractionalBias": 0.165657,
        "GeometricMeanAbsoluteError": 0.594604,
        "GeometricMeanRelativeAbsoluteError": 0.742671,
        "ManhattanDistance": 2.5,
        "MaximumAbsoluteError": 1.0,
        "MeanAbsoluteRelativeError": 0.233333,
        "MeanError": 0.375,
        "MeanNormalizedBias": 0.133333,
        "MedianAbsoluteError": 0.5,
        "MedianAbsolutePercentageError": 20.0,
        "MedianRelativeAbsoluteError": 0.901961,
        "PearsonCorrelation": 0.907909,
        "R2Score": 0.738318,
        "WaveHedgesDistance": 0.9,
        "SpearmanRankCorrelation": 0.948683,
        "KendallRankCorrelation": 0.912871,
    }
    assert set(expected) == set(NAMES)
    p, a = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])
    for name, value in expected.items():
        metric = getattr(R, name)()
        metric.update((p, a))
        assert metric.compute() == pytest.approx(value, abs=1e-6), name


def test_long_epoch_keeps_float64_precision():
    # 200k samples around 1000: float32 sums of squares would lose the variance (Pearson/R2 cancellation)
    g = torch.Generator().manual_seed(0)
    a = 1000 + torch.randn(200_000, generator=g, dtype=torch.float64)
    p = a + 0.1 * torch.randn(200_000, generator=g, dtype=torch.float64)
    for name in ("PearsonCorrelation", "R2Score"):
        metric = getattr(R, name)()
        for i in range(0, len(a), 20_000):
            metric.update((p[i : i + 20_000].float(), a[i : i + 20_000].float()))
        assert_close(metric.compute(), reference(name, p.float(), a.float()), rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_mixed_dtypes_compute_in_the_wider_one(name):
    p, a = tensors(name, 40, seed=6, dtype=torch.float64)
    metric = getattr(R, name)()
    metric.update((p.half(), a))
    assert_close(metric.compute(), reference(name, p.half(), a), rtol=1e-6, atol=1e-8)
