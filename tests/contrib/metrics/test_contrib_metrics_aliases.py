"""Deprecated ``ignite.contrib.metrics`` aliases (spec metrics.md §6.9)."""

import importlib
import importlib.util
import subprocess
import sys
import warnings

import pytest

SHIMS = {
    "average_precision": ["AveragePrecision"],
    "cohen_kappa": ["CohenKappa"],
    "gpu_info": ["GpuInfo"],
    "precision_recall_curve": ["PrecisionRecallCurve", "precision_recall_curve_compute_fn"],
    "roc_auc": ["ROC_AUC", "RocCurve"],
}
REGRESSION = {
    "canberra_metric": "CanberraMetric",
    "fractional_absolute_error": "FractionalAbsoluteError",
    "fractional_bias": "FractionalBias",
    "geometric_mean_absolute_error": "GeometricMeanAbsoluteError",
    "geometric_mean_relative_absolute_error": "GeometricMeanRelativeAbsoluteError",
    "manhattan_distance": "ManhattanDistance",
    "maximum_absolute_error": "MaximumAbsoluteError",
    "mean_absolute_relative_error": "MeanAbsoluteRelativeError",
    "mean_error": "MeanError",
    "mean_normalized_bias": "MeanNormalizedBias",
    "median_absolute_error": "MedianAbsoluteError",
    "median_absolute_percentage_error": "MedianAbsolutePercentageError",
    "median_relative_absolute_error": "MedianRelativeAbsoluteError",
    "r2_score": "R2Score",
    "wave_hedges_distance": "WaveHedgesDistance",
}


def _exists(module):
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _fresh_import(name):
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def test_package_imports_without_warning_and_reexports():
    code = (
        "import warnings; warnings.simplefilter('error');"
        "import ignite.contrib.metrics as m, ignite.contrib.metrics.regression as r;"
        "import ignite.metrics.roc_auc as t; assert m.ROC_AUC is t.ROC_AUC and m.roc_auc is t"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("module, names", sorted(SHIMS.items()))
def test_shim_modules_warn_and_expose_the_same_objects(module, names):
    target = f"ignite.metrics.{module}"
    if not _exists(target):
        pytest.skip(f"{target} is not provided yet")
    with pytest.warns(
        DeprecationWarning, match=f"moved to /ignite/metrics/{module}.py and will be removed in version 0.6.0"
    ):
        shim = _fresh_import(f"ignite.contrib.metrics.{module}")
    real = importlib.import_module(target)
    for name in names:
        assert getattr(shim, name) is getattr(real, name)
    import ignite.contrib.metrics as contrib

    if names[0][0].isupper():
        assert getattr(contrib, names[0]) is getattr(real, names[0])


def test_regression_package_lists_classes_and_modules():
    import ignite.contrib.metrics.regression as r

    assert set(r.__all__) == set(REGRESSION) | set(REGRESSION.values())


@pytest.mark.parametrize("module, name", sorted(REGRESSION.items()))
def test_regression_shims(module, name):
    target = f"ignite.metrics.regression.{module}"
    if not _exists(target):
        pytest.skip(f"{target} is not provided yet")
    with pytest.warns(DeprecationWarning, match="and will be removed in version 0.6.0"):
        shim = _fresh_import(f"ignite.contrib.metrics.regression.{module}")
    assert getattr(shim, name) is getattr(importlib.import_module(target), name)


def test_warning_points_at_the_importer():
    if not _exists("ignite.metrics.roc_auc"):
        pytest.skip("roc_auc is not provided yet")
    sys.modules.pop("ignite.contrib.metrics.roc_auc", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import ignite.contrib.metrics.roc_auc  # noqa: F401
    assert caught and caught[0].filename == __file__


def test_unknown_names_raise_attribute_error():
    import ignite.contrib.metrics as contrib

    with pytest.raises(AttributeError):
        contrib.NoSuchMetric
