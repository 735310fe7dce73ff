"""ignite.contrib.handlers (spec handlers.md §14): deprecated modules re-exporting the same objects."""

import importlib
import pkgutil
import sys
import warnings

import pytest

import ignite.handlers as handlers

# shim -> (target module, names that exist in this code base now)
AVAILABLE = {
    "base_logger": (
        "base_logger",
        [
            "BaseHandler",
            "BaseWeightsHandler",
            "BaseOptimizerParamsHandler",
            "BaseOutputHandler",
            "BaseWeightsScalarHandler",
            "BaseLogger",
        ],
    ),
    "time_profilers": ("time_profilers", ["BasicTimeProfiler", "HandlersTimeProfiler"]),
    "tqdm_logger": ("tqdm_logger", ["ProgressBar"]),
    "tensorboard_logger": (
        "tensorboard_logger",
        ["TensorboardLogger", "OptimizerParamsHandler", "OutputHandler", "WeightsScalarHandler",
         "WeightsHistHandler", "GradsScalarHandler", "GradsHistHandler", "global_step_from_engine"],
    ),
    "visdom_logger": (
        "visdom_logger",
        ["VisdomLogger", "OptimizerParamsHandler", "OutputHandler", "WeightsScalarHandler", "GradsScalarHandler",
         "_DummyExecutor", "global_step_from_engine"],
    ),
    "mlflow_logger": ("mlflow_logger", ["MLflowLogger", "OutputHandler", "OptimizerParamsHandler"]),
    "wandb_logger": ("wandb_logger", ["WandBLogger", "OutputHandler", "OptimizerParamsHandler"]),
    "neptune_logger": (
        "neptune_logger",
        ["NeptuneLogger", "NeptuneSaver", "OptimizerParamsHandler", "OutputHandler", "WeightsScalarHandler",
         "GradsScalarHandler", "_INTEGRATION_VERSION_KEY", "global_step_from_engine"],
    ),
    "polyaxon_logger": ("polyaxon_logger", ["PolyaxonLogger", "OutputHandler", "OptimizerParamsHandler"]),
    "clearml_logger": (
        "clearml_logger",
        ["ClearMLLogger", "ClearMLSaver", "OptimizerParamsHandler", "OutputHandler", "WeightsScalarHandler",
         "WeightsHistHandler", "GradsScalarHandler", "GradsHistHandler", "global_step_from_engine"],
    ),
}  # fmt: skip
# every deprecated module on disk (the logger shims join with their loggers)
ALL_SHIMS = sorted(
    info.name
    for info in pkgutil.iter_modules(importlib.import_module("ignite.contrib.handlers").__path__)
    if not info.name.startswith("_")
)


def _fresh_import(name):
    sys.modules.pop(f"ignite.contrib.handlers.{name}", None)
    return importlib.import_module(f"ignite.contrib.handlers.{name}")


@pytest.mark.parametrize("shim", ALL_SHIMS)
def test_every_shim_warns_on_import(shim):
    with pytest.warns(DeprecationWarning, match="will be removed in version 0.6.0") as record:
        _fresh_import(shim)
    message = str(record[0].message)
    assert f"has been moved to /ignite/handlers/{shim}.py" in message
    assert "ignite/contrib" not in record[0].filename.replace("\\", "/")  # points at the importer


def test_warning_points_at_the_import_statement():
    sys.modules.pop("ignite.contrib.handlers.time_profilers", None)
    with pytest.warns(DeprecationWarning) as record:
        import ignite.contrib.handlers.time_profilers  # noqa: F401
    assert record[0].filename == __file__


@pytest.mark.parametrize("shim", sorted(AVAILABLE))
def test_shims_reexport_the_same_objects(shim):
    target, names = AVAILABLE[shim]
    with pytest.warns(DeprecationWarning):
        module = _fresh_import(shim)
    real = importlib.import_module(f"ignite.handlers.{target}")
    for name in names:
        assert getattr(module, name) is getattr(real, name)
        assert name in module.__all__
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        module.Nope


def test_star_import_of_a_shim():
    sys.modules.pop("ignite.contrib.handlers.tqdm_logger", None)
    namespace = {}
    with pytest.warns(DeprecationWarning):
        exec("from ignite.contrib.handlers.tqdm_logger import *", namespace)
    assert namespace["ProgressBar"] is handlers.ProgressBar


def test_package_names_without_warning():
    import ignite.contrib.handlers as contrib

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert contrib.ProgressBar is handlers.ProgressBar
        assert contrib.BasicTimeProfiler is handlers.BasicTimeProfiler
        assert contrib.HandlersTimeProfiler is handlers.HandlersTimeProfiler
        assert contrib.EpochOutputStore is handlers.EpochOutputStore
        assert contrib.tqdm_logger in (
            importlib.import_module("ignite.handlers.tqdm_logger"),
            sys.modules.get("ignite.contrib.handlers.tqdm_logger"),
        )
    for name in [
        "EpochOutputStore",
        "global_step_from_engine",
        "FastaiLRFinder",
        "ConcatScheduler",
        "CosineAnnealingScheduler",
        "create_lr_scheduler_with_warmup",
        "LinearCyclicalScheduler",
        "LRScheduler",
        "ParamGroupScheduler",
        "PiecewiseLinear",
        "BasicTimeProfiler",
        "HandlersTimeProfiler",
        "ProgressBar",
    ]:
        assert name in contrib.__all__
        assert name in dir(contrib)
    with pytest.raises(AttributeError):
        contrib.NotAHandler


def test_isinstance_across_both_paths():
    with pytest.warns(DeprecationWarning):
        old = _fresh_import("tqdm_logger")
    with pytest.warns(DeprecationWarning):
        shim = _fresh_import("base_logger")
    pbar = old.ProgressBar()
    assert isinstance(pbar, handlers.ProgressBar)
    assert isinstance(pbar, shim.BaseLogger)
