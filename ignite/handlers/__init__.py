"""Training handlers and experiment loggers. Names are imported lazily on first access."""

from typing import TYPE_CHECKING

from ignite._lazy import lazy_getattr

_NAMES = {
    "Engine": "_engine_reexport",
    "Events": "_engine_reexport",
    "ModelCheckpoint": "checkpoint",
    "Checkpoint": "checkpoint",
    "DiskSaver": "checkpoint",
    "Timer": "timing",
    "EarlyStopping": "early_stopping",
    "TerminateOnNan": "terminate_on_nan",
    "global_step_from_engine": "utils",
    "TimeLimit": "time_limit",
    "EpochOutputStore": "stores",
    "BaseParamScheduler": "param_scheduler",
    "ParamScheduler": "param_scheduler",
    "CyclicalScheduler": "param_scheduler",
    "ConcatScheduler": "param_scheduler",
    "CosineAnnealingScheduler": "param_scheduler",
    "LinearCyclicalScheduler": "param_scheduler",
    "LRScheduler": "param_scheduler",
    "ParamGroupScheduler": "param_scheduler",
    "PiecewiseLinear": "param_scheduler",
    "ReduceLROnPlateauScheduler": "param_scheduler",
    "BatchSizeScheduler": "param_scheduler",
    "create_lr_scheduler_with_warmup": "param_scheduler",
    "StateParamScheduler": "state_param_scheduler",
    "LambdaStateScheduler": "state_param_scheduler",
    "PiecewiseLinearStateScheduler": "state_param_scheduler",
    "ExpStateScheduler": "state_param_scheduler",
    "StepStateScheduler": "state_param_scheduler",
    "MultiStepStateScheduler": "state_param_scheduler",
    "FastaiLRFinder": "lr_finder",
    "EMAHandler": "ema_handler",
    "BasicTimeProfiler": "time_profilers",
    "HandlersTimeProfiler": "time_profilers",
    "ProgressBar": "tqdm_logger",
    "FBResearchLogger": "fbresearch_logger",
    "ClearMLLogger": "clearml_logger",
    "MLflowLogger": "mlflow_logger",
    "NeptuneLogger": "neptune_logger",
    "PolyaxonLogger": "polyaxon_logger",
    "TensorboardLogger": "tensorboard_logger",
    "VisdomLogger": "visdom_logger",
    "WandBLogger": "wandb_logger",
    # beyond upstream (not in __all__)
    "ExactResume": "resume",
    "PreemptionHandler": "preemption",
    "CorruptCheckpointError": "checkpoint",
    "FileLogger": "file_logger",
    "DCPSaver": "dcp_saver",
}

if TYPE_CHECKING:
    from ignite.handlers._engine_reexport import Engine as Engine
    from ignite.handlers._engine_reexport import Events as Events
    from ignite.handlers.checkpoint import Checkpoint as Checkpoint
    from ignite.handlers.checkpoint import CorruptCheckpointError as CorruptCheckpointError
    from ignite.handlers.checkpoint import DiskSaver as DiskSaver
    from ignite.handlers.checkpoint import ModelCheckpoint as ModelCheckpoint
    from ignite.handlers.clearml_logger import ClearMLLogger as ClearMLLogger
    from ignite.handlers.dcp_saver import DCPSaver as DCPSaver
    from ignite.handlers.early_stopping import EarlyStopping as EarlyStopping
    from ignite.handlers.ema_handler import EMAHandler as EMAHandler
    from ignite.handlers.fbresearch_logger import FBResearchLogger as FBResearchLogger
    from ignite.handlers.file_logger import FileLogger as FileLogger
    from ignite.handlers.lr_finder import FastaiLRFinder as FastaiLRFinder
    from ignite.handlers.mlflow_logger import MLflowLogger as MLflowLogger
    from ignite.handlers.neptune_logger import NeptuneLogger as NeptuneLogger
    from ignite.handlers.param_scheduler import BaseParamScheduler as BaseParamScheduler
    from ignite.handlers.param_scheduler import BatchSizeScheduler as BatchSizeScheduler
    from ignite.handlers.param_scheduler import ConcatScheduler as ConcatScheduler
    from ignite.handlers.param_scheduler import CosineAnnealingScheduler as CosineAnnealingScheduler
    from ignite.handlers.param_scheduler import CyclicalScheduler as CyclicalScheduler
    from ignite.handlers.param_scheduler import LinearCyclicalScheduler as LinearCyclicalScheduler
    from ignite.handlers.param_scheduler import LRScheduler as LRScheduler
    from ignite.handlers.param_scheduler import ParamGroupScheduler as ParamGroupScheduler
    from ignite.handlers.param_scheduler import ParamScheduler as ParamScheduler
    from ignite.handlers.param_scheduler import PiecewiseLinear as PiecewiseLinear
    from ignite.handlers.param_scheduler import ReduceLROnPlateauScheduler as ReduceLROnPlateauScheduler
    from ignite.handlers.param_scheduler import create_lr_scheduler_with_warmup as create_lr_scheduler_with_warmup
    from ignite.handlers.polyaxon_logger import PolyaxonLogger as PolyaxonLogger
    from ignite.handlers.preemption import PreemptionHandler as PreemptionHandler
    from ignite.handlers.resume import ExactResume as ExactResume
    from ignite.handlers.state_param_scheduler import ExpStateScheduler as ExpStateScheduler
    from ignite.handlers.state_param_scheduler import LambdaStateScheduler as LambdaStateScheduler
    from ignite.handlers.state_param_scheduler import MultiStepStateScheduler as MultiStepStateScheduler
    from ignite.handlers.state_param_scheduler import PiecewiseLinearStateScheduler as PiecewiseLinearStateScheduler
    from ignite.handlers.state_param_scheduler import StateParamScheduler as StateParamScheduler
    from ignite.handlers.state_param_scheduler import StepStateScheduler as StepStateScheduler
    from ignite.handlers.stores import EpochOutputStore as EpochOutputStore
    from ignite.handlers.tensorboard_logger import TensorboardLogger as TensorboardLogger
    from ignite.handlers.terminate_on_nan import TerminateOnNan as TerminateOnNan
    from ignite.handlers.time_limit import TimeLimit as TimeLimit
    from ignite.handlers.time_profilers import BasicTimeProfiler as BasicTimeProfiler
    from ignite.handlers.time_profilers import HandlersTimeProfiler as HandlersTimeProfiler
    from ignite.handlers.timing import Timer as Timer
    from ignite.handlers.tqdm_logger import ProgressBar as ProgressBar
    from ignite.handlers.utils import global_step_from_engine as global_step_from_engine
    from ignite.handlers.visdom_logger import VisdomLogger as VisdomLogger
    from ignite.handlers.wandb_logger import WandBLogger as WandBLogger

_SUBMODULES = (
    "base_logger", "checkpoint", "clearml_logger", "early_stopping", "ema_handler", "fbresearch_logger",
    "logger_utils", "lr_finder", "mlflow_logger", "neptune_logger", "param_scheduler", "polyaxon_logger",
    "state_param_scheduler", "stores", "tensorboard_logger", "terminate_on_nan", "time_limit", "time_profilers",
    "timing", "tqdm_logger", "utils", "visdom_logger", "wandb_logger", "resume", "preemption",
    "file_logger",
)  # fmt: skip

__all__ = [
    name
    for name in _NAMES
    if name not in ("Engine", "Events", "ExactResume", "PreemptionHandler", "CorruptCheckpointError", "FileLogger")
]

__getattr__ = lazy_getattr(__name__, _NAMES, _SUBMODULES)
