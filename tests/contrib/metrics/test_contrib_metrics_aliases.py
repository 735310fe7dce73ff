"""Deprecated ``ignite.contrib.metrics`` aliases (spec metrics.md §6.9)."""

import importlib
import pkgutil
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


def _shim_modules():
    """Every deprecated module on disk under ``ignite.contrib.metrics``, as (shim, target) module names."""
    import ignite.contrib.metrics as contrib

    found = []
    for info in pkgutil.walk_packages(contrib.__path__, "ignite.contrib.metrics."):
        if info.ispkg or info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        found.append((info.name, info.name.replace("ignite.contrib.metrics.", "ignite.metrics.")))
    return sorted(found)


SHIM_MODULES = _shim_modules()


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


def test_every_listed_shim_is_on_disk():
    assert {f"ignite.contrib.metrics.{m}" for m in SHIMS} <= {shim for shim, _ in SHIM_MODULES}


@pytest.mark.parametrize("shim_name, target", SHIM_MODULES)
def test_shim_modules_warn_and_expose_the_same_objects(shim_name, target):
    new_path = "/" + target.replace(".", "/") + ".py"
    with pytest.warns(DeprecationWarning, match=f"moved to {new_path} and will be removed in version 0.6.0"):
        shim = _fresh_import(shim_name)
    real = importlib.import_module(target)
    names = list(shim.__all__) + SHIMS.get(shim_name.rsplit(".", 1)[-1], [])
    assert names
    for name in names:
        assert getattr(shim, name) is getattr(real, name)
    package = importlib.import_module(shim_name.rsplit(".", 1)[0])
    for name in shim.__all__:
        if name in package.__all__:  # the package's lazy names are the same objects
            assert getattr(package, name) is getattr(real, name)


def test_regression_package_lists_its_shims():
    import ignite.contrib.metrics.regression as r

    modules = {shim.rsplit(".", 1)[-1] for shim, _ in SHIM_MODULES if ".regression." in shim}
    assert {name for name in r.__all__ if name[0].islower()} == modules


def test_warning_points_at_the_importer():
    sys.modules.pop("ignite.contrib.metrics.roc_auc", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import ignite.contrib.metrics.roc_auc  # noqa: F401
    assert caught and caught[0].filename == __file__


def test_unknown_names_raise_attribute_error():
    import ignite.contrib.metrics as contrib

    with pytest.raises(AttributeError):
        contrib.NoSuchMetric
