"""Training handlers and experiment loggers. Names are imported lazily on first access."""

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
}
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
