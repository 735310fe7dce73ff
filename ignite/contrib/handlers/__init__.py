"""Deprecated location of handlers now in :mod:`ignite.handlers`; names are resolved lazily, without warnings.

Importing one of the submodules (``ignite.contrib.handlers.tqdm_logger``, ...) emits a ``DeprecationWarning``.
"""

from typing import TYPE_CHECKING

_NAMES = {
    "EpochOutputStore": "ignite.handlers.stores",
    "global_step_from_engine": "ignite.handlers.utils",
    "ClearMLLogger": "ignite.handlers.clearml_logger",
    "FastaiLRFinder": "ignite.handlers.lr_finder",
    "MLflowLogger": "ignite.handlers.mlflow_logger",
    "NeptuneLogger": "ignite.handlers.neptune_logger",
    "ConcatScheduler": "ignite.handlers.param_scheduler",
    "CosineAnnealingScheduler": "ignite.handlers.param_scheduler",
    "create_lr_scheduler_with_warmup": "ignite.handlers.param_scheduler",
    "LinearCyclicalScheduler": "ignite.handlers.param_scheduler",
    "LRScheduler": "ignite.handlers.param_scheduler",
    "ParamGroupScheduler": "ignite.handlers.param_scheduler",
    "PiecewiseLinear": "ignite.handlers.param_scheduler",
    "PolyaxonLogger": "ignite.handlers.polyaxon_logger",
    "TensorboardLogger": "ignite.handlers.tensorboard_logger",
    "BasicTimeProfiler": "ignite.handlers.time_profilers",
    "HandlersTimeProfiler": "ignite.handlers.time_profilers",
    "ProgressBar": "ignite.handlers.tqdm_logger",
    "VisdomLogger": "ignite.handlers.visdom_logger",
    "WandBLogger": "ignite.handlers.wandb_logger",
}

if TYPE_CHECKING:
    from ignite.handlers.clearml_logger import ClearMLLogger as ClearMLLogger
    from ignite.handlers.lr_finder import FastaiLRFinder as FastaiLRFinder
    from ignite.handlers.mlflow_logger import MLflowLogger as MLflowLogger
    from ignite.handlers.neptune_logger import NeptuneLogger as NeptuneLogger
    from ignite.handlers.param_scheduler import ConcatScheduler as ConcatScheduler
    from ignite.handlers.param_scheduler import CosineAnnealingScheduler as CosineAnnealingScheduler
    from ignite.handlers.param_scheduler import LinearCyclicalScheduler as LinearCyclicalScheduler
    from ignite.handlers.param_scheduler import LRScheduler as LRScheduler
    from ignite.handlers.param_scheduler import ParamGroupScheduler as ParamGroupScheduler
    from ignite.handlers.param_scheduler import PiecewiseLinear as PiecewiseLinear
    from ignite.handlers.param_scheduler import create_lr_scheduler_with_warmup as create_lr_scheduler_with_warmup
    from ignite.handlers.polyaxon_logger import PolyaxonLogger as PolyaxonLogger
    from ignite.handlers.stores import EpochOutputStore as EpochOutputStore
    from ignite.handlers.tensorboard_logger import TensorboardLogger as TensorboardLogger
    from ignite.handlers.time_profilers import BasicTimeProfiler as BasicTimeProfiler
    from ignite.handlers.time_profilers import HandlersTimeProfiler as HandlersTimeProfiler
    from ignite.handlers.tqdm_logger import ProgressBar as ProgressBar
    from ignite.handlers.utils import global_step_from_engine as global_step_from_engine
    from ignite.handlers.visdom_logger import VisdomLogger as VisdomLogger
    from ignite.handlers.wandb_logger import WandBLogger as WandBLogger

# as upstream, these attributes are the modules of ignite.handlers (no warning); importing the submodule
# itself (``import ignite.contrib.handlers.tqdm_logger``) loads the deprecated shim instead
_HANDLERS_SUBMODULES = (
    "clearml_logger",
    "mlflow_logger",
    "neptune_logger",
    "polyaxon_logger",
    "tensorboard_logger",
    "tqdm_logger",
    "visdom_logger",
    "wandb_logger",
)

__all__ = list(_NAMES)


def __getattr__(name: str) -> object:
    import importlib
    import sys

    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    elif name in _HANDLERS_SUBMODULES:
        value = importlib.import_module(f"ignite.handlers.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    setattr(sys.modules[__name__], name, value)
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_NAMES) + list(_HANDLERS_SUBMODULES))
