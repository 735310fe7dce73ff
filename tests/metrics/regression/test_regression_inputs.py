"""Bad input and empty state of the ``ignite.metrics.regression`` metrics (spec metrics.md §6.1, §11)."""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from regression_refs import ALL, RUNNING, STORED  # noqa: E402

import ignite.metrics.regression as R  # noqa: E402
from ignite.exceptions import NotComputableError  # noqa: E402
from ignite.metrics.regression._base import _torch_median  # noqa: E402
from ignite.metrics.regression.r2_score import R2ScoreUndefinedError  # noqa: E402

# metrics checked by _BaseRegression's (N,)/(N, 1) float rules; the median metrics follow EpochMetric's
BASE_RULES = sorted(set(RUNNING) | {"GeometricMeanRelativeAbsoluteError", "SpearmanRankCorrelation"})
BASE_RULES.append("KendallRankCorrelation")
MEDIANS = ["MedianAbsoluteError", "MedianAbsolutePercentageError", "MedianRelativeAbsoluteError"]
SUMS_RETURNING_ZERO = ["CanberraMetric", "ManhattanDistance", "WaveHedgesDistance"]


@pytest.mark.parametrize("name", BASE_RULES)
def test_shape_and_dtype_messages(name):
    m = getattr(R, name)()
    with pytest.raises(ValueError, match=r"Input y_pred should have shape \(N,\) or \(N, 1\), but given"):
        m.update((torch.rand(4, 2), torch.rand(4, 2)))
    with pytest.raises(ValueError, match=r"Input y should have shape \(N,\) or \(N, 1\), but given"):
        m.update((torch.rand(4), torch.rand(4, 1, 1)))
    with pytest.raises(ValueError, match=r"Input data shapes should be the same, but given torch.Size\(\[4\]\) and"):
        m.update((torch.rand(4), torch.rand(4, 1)))
    with pytest.raises(TypeError, match=r"Input y_pred dtype should be float 16, 32 or 64, but given torch.int64"):
        m.update((torch.ones(4, dtype=torch.long), torch.rand(4)))
    with pytest.raises(TypeError, match=r"Input y dtype should be float 16, 32 or 64, but given torch.bfloat16"):
        m.update((torch.rand(4), torch.rand(4).bfloat16()))


@pytest.mark.parametrize("name", sorted(ALL))
def test_empty_tensors_and_mixed_devices_name_the_argument(name):
    m = getattr(R, name)()
    with pytest.raises(ValueError, match="Input y_pred should not be empty"):
        m.update((torch.rand(0), torch.rand(0)))
    with pytest.raises(ValueError, match="Input y_pred and y should be on the same device, but given meta and cpu"):
        m.update((torch.rand(3, device="meta"), torch.rand(3)))


@pytest.mark.parametrize("name", sorted(ALL))
def test_nan_only_inputs_raise_instead_of_returning_nan(name):
    m = getattr(R, name)()
    nan = torch.full((5,), float("nan"))
    with pytest.warns(UserWarning) if name in STORED and name != "GeometricMeanRelativeAbsoluteError" else _nothing():
        m.update((nan, torch.arange(1.0, 6.0)))  # EpochMetric's first-batch check warns
    with pytest.raises(ValueError, match="NaN"):
        m.compute()


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("name", sorted(set(ALL) - set(SUMS_RETURNING_ZERO) - {"MeanAbsoluteRelativeError"}))
def test_not_computable_before_update(name):
    with pytest.raises(NotComputableError, match=f"{name} must have at least one example before it can be computed."):
        getattr(R, name)().compute()


def test_mare_message_and_zero_targets():
    with pytest.raises(
        NotComputableError, match="MeanAbsoluteRelativeError must have at least one sample before it can be computed."
    ):
        R.MeanAbsoluteRelativeError().compute()
    for cls in (R.MeanAbsoluteRelativeError, R.MeanNormalizedBias):
        with pytest.raises(NotComputableError, match="The ground truth has 0."):
            cls().update((torch.rand(3), torch.tensor([1.0, 0.0, 2.0])))


@pytest.mark.parametrize("name", SUMS_RETURNING_ZERO)
def test_sums_of_nothing_are_zero(name):
    assert getattr(R, name)().compute() == 0.0


def test_r2_with_constant_targets_is_undefined():
    m = R.R2Score()
    m.update((torch.tensor([1.0]), torch.tensor([2.0])))
    with pytest.raises(R2ScoreUndefinedError, match="R2Score is undefined for constant targets"):
        m.compute()
    with pytest.raises(ZeroDivisionError):  # what earlier releases raised
        m.compute()
    with pytest.raises(NotComputableError):
        m.compute()


def test_maximum_absolute_error_is_a_device_tensor_and_loads_old_float_state():
    m = R.MaximumAbsoluteError()
    m.update((torch.tensor([1.0, 2.0]), torch.tensor([1.5, 4.0])))
    assert isinstance(m._max_of_absolute_errors, torch.Tensor)
    old = {"__metric_state_per_rank": [{"_max_of_absolute_errors": 3.0}]}
    m.load_state_dict(old)
    m.update((torch.tensor([1.0]), torch.tensor([2.0])))
    assert m.compute() == 3.0


def test_kendall_and_spearman_arguments():
    with pytest.raises(ValueError, match="variant accepts 'b' or 'c', got 'a'."):
        R.KendallRankCorrelation(variant="a")


def test_torch_median_matches_numpy_definition():
    assert _torch_median(torch.tensor([3.0, 1.0, 2.0])) == 2.0
    assert _torch_median(torch.tensor([[4.0, 1.0], [2.0, 3.0]])) == 2.5
    with pytest.raises(ValueError, match="empty"):
        _torch_median(torch.tensor([]))


def test_compute_fns_are_importable():
    from ignite.metrics.regression.median_absolute_error import median_absolute_error_compute_fn
    from ignite.metrics.regression.median_absolute_percentage_error import (
        median_absolute_percentage_error_compute_fn,
    )
    from ignite.metrics.regression.median_relative_absolute_error import median_relative_absolute_error_compute_fn

    p, a = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])
    assert median_absolute_error_compute_fn(p, a) == 0.5
    assert median_absolute_percentage_error_compute_fn(p, a) == pytest.approx(20.0)
    assert median_relative_absolute_error_compute_fn(p, a) == pytest.approx(0.901961, abs=1e-6)


def test_missing_scipy_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    for cls in (R.KendallRankCorrelation, R.SpearmanRankCorrelation):
        with pytest.raises(ModuleNotFoundError, match="This module requires scipy to be installed."):
            cls()
