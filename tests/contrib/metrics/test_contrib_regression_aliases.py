"""``ignite.contrib.metrics.regression`` names the ``ignite.metrics.regression`` objects (spec metrics.md §6.9)."""

import importlib

import ignite.contrib.metrics.regression as contrib
import ignite.metrics.regression as regression
from ignite.metrics.regression import _base


def test_classes_and_modules_are_the_same_objects():
    assert len(contrib.__all__) == 30
    for name in contrib.__all__:
        value = getattr(contrib, name)
        if name[0].isupper():
            assert value is getattr(regression, name)
        else:
            # importing the deprecated shim submodule of the same name rebinds the attribute to the shim (the
            # import system binds submodules on their package), which re-exports the same classes
            target = importlib.import_module(f"ignite.metrics.regression.{name}")
            assert value is target or value.__name__ == f"ignite.contrib.metrics.regression.{name}"
            assert value.__all__ == target.__all__[: len(value.__all__)]
    for missing in ("KendallRankCorrelation", "SpearmanRankCorrelation", "PearsonCorrelation"):
        assert missing not in contrib.__all__


def test_private_base_helpers_are_reexported():
    shim = importlib.import_module("ignite.contrib.metrics.regression._base")
    for name in ("_BaseRegression", "_check_output_shapes", "_check_output_types", "_torch_median"):
        assert getattr(shim, name) is getattr(_base, name)


def test_regression_package_exposes_every_module():
    for module in ("canberra_metric", "kendall_correlation", "pearson_correlation", "spearman_correlation"):
        assert getattr(regression, module) is importlib.import_module(f"ignite.metrics.regression.{module}")
