"""One-call set-up of an experiment logger for a trainer, its optimizers and its evaluators."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from typing import Any

from torch.optim.optimizer import Optimizer

from ignite.engine import Engine, Events
from ignite.handlers.utils import global_step_from_engine

__all__ = [
    "setup_tb_logging",
    "setup_visdom_logging",
    "setup_mlflow_logging",
    "setup_neptune_logging",
    "setup_wandb_logging",
    "setup_plx_logging",
    "setup_clearml_logging",
    "setup_trains_logging",
]

_LOGGER_MODULES = {
    "TensorboardLogger": "tensorboard_logger",
    "VisdomLogger": "visdom_logger",
    "MLflowLogger": "mlflow_logger",
    "NeptuneLogger": "neptune_logger",
    "WandBLogger": "wandb_logger",
    "PolyaxonLogger": "polyaxon_logger",
    "ClearMLLogger": "clearml_logger",
}


def _logger_class(name: str) -> Any:
    """A logger class, looked up in this module's globals first (so it can be patched), imported lazily."""
    cls = globals().get(name)
    if cls is None:
        cls = getattr(importlib.import_module(f"ignite.handlers.{_LOGGER_MODULES[name]}"), name)
    return cls


def __getattr__(name: str) -> Any:
    if name in _LOGGER_MODULES:
        return _logger_class(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _setup_logging(
    logger: Any,
    trainer: Engine,
    optimizers: Optimizer | dict[str, Optimizer] | dict[None, Optimizer] | None,
    evaluators: Engine | dict[str, Engine] | None,
    log_every_iters: int | None,
    *,
    trainer_metric_names: str | list[str] = "all",
    evaluator_metric_names: str | list[str] = "all",
) -> None:
    if optimizers is not None and not isinstance(optimizers, (Optimizer, Mapping)):
        raise TypeError("Argument optimizers should be either a single optimizer or a dictionary or optimizers")
    if evaluators is not None and not isinstance(evaluators, (Engine, Mapping)):
        raise TypeError("Argument evaluators should be either a single engine or a dictionary or engines")
    if log_every_iters is None:
        log_every_iters = 1

    logger.attach_output_handler(
        trainer,
        event_name=Events.ITERATION_COMPLETED(every=log_every_iters),
        tag="training",
        metric_names=trainer_metric_names,
    )
    if optimizers is not None:
        if isinstance(optimizers, Optimizer):
            optimizers = {None: optimizers}
        for k, optimizer in optimizers.items():
            logger.attach_opt_params_handler(
                trainer, Events.ITERATION_STARTED(every=log_every_iters), optimizer, param_name="lr", tag=k
            )
    if evaluators is not None:
        if isinstance(evaluators, Engine):
            evaluators = {"validation": evaluators}
        wandb_logger = globals().get("WandBLogger")
        is_wandb = type(logger).__name__ == "WandBLogger" or (
            isinstance(wandb_logger, type) and isinstance(logger, wandb_logger)
        )
        event_name = Events.ITERATION_COMPLETED if is_wandb else None
        gst = global_step_from_engine(trainer, custom_event_name=event_name)
        for k, evaluator in evaluators.items():
            logger.attach_output_handler(
                evaluator,
                event_name=Events.COMPLETED,
                tag=k,
                metric_names=evaluator_metric_names,
                global_step_transform=gst,
            )


def _make(
    name: str,
    trainer: Engine,
    optimizers: Any,
    evaluators: Any,
    log_every_iters: int,
    trainer_metric_names: str | list[str],
    evaluator_metric_names: str | list[str],
    **kwargs: Any,
) -> Any:
    logger = _logger_class(name)(**kwargs)
    _setup_logging(
        logger,
        trainer,
        optimizers,
        evaluators,
        log_every_iters,
        trainer_metric_names=trainer_metric_names,
        evaluator_metric_names=evaluator_metric_names,
    )
    return logger


def setup_tb_logging(
    output_path: str,
    trainer: Engine,
    optimizers: Optimizer | dict[str, Optimizer] | None = None,
    evaluators: Engine | dict[str, Engine] | None = None,
    log_every_iters: int = 100,
    *,
    trainer_metric_names: str | list[str] = "all",
    evaluator_metric_names: str | list[str] = "all",
    **kwargs: Any,
) -> Any:
    """TensorBoard logger writing to ``output_path``, attached to trainer, optimizers and evaluators."""
    return _make(
        "TensorboardLogger",
        trainer,
        optimizers,
        evaluators,
        log_every_iters,
        trainer_metric_names,
        evaluator_metric_names,
        log_dir=output_path,
        **kwargs,
    )


def _factory(name: str, doc: str) -> Any:
    def setup(
        trainer: Engine,
        optimizers: Optimizer | dict[str, Optimizer] | None = None,
        evaluators: Engine | dict[str, Engine] | None = None,
        log_every_iters: int = 100,
        *,
        trainer_metric_names: str | list[str] = "all",
        evaluator_metric_names: str | list[str] = "all",
        **kwargs: Any,
    ) -> Any:
        return _make(
            name,
            trainer,
            optimizers,
            evaluators,
            log_every_iters,
            trainer_metric_names,
            evaluator_metric_names,
            **kwargs,
        )

    setup.__doc__ = doc
    return setup


setup_visdom_logging = _factory("VisdomLogger", "Visdom logger attached to trainer, optimizers and evaluators.")
setup_mlflow_logging = _factory("MLflowLogger", "MLflow logger attached to trainer, optimizers and evaluators.")
setup_neptune_logging = _factory("NeptuneLogger", "Neptune logger attached to trainer, optimizers and evaluators.")
setup_wandb_logging = _factory("WandBLogger", "W&B logger attached to trainer, optimizers and evaluators.")
setup_plx_logging = _factory("PolyaxonLogger", "Polyaxon logger attached to trainer, optimizers and evaluators.")
setup_clearml_logging = _factory("ClearMLLogger", "ClearML logger attached to trainer, optimizers and evaluators.")
for _name, _f in (
    ("setup_visdom_logging", setup_visdom_logging),
    ("setup_mlflow_logging", setup_mlflow_logging),
    ("setup_neptune_logging", setup_neptune_logging),
    ("setup_wandb_logging", setup_wandb_logging),
    ("setup_plx_logging", setup_plx_logging),
    ("setup_clearml_logging", setup_clearml_logging),
):
    _f.__name__ = _f.__qualname__ = _name


def setup_trains_logging(
    trainer: Engine,
    optimizers: Optimizer | dict[str, Optimizer] | None = None,
    evaluators: Engine | dict[str, Engine] | None = None,
    log_every_iters: int = 100,
    *,
    trainer_metric_names: str | list[str] = "all",
    evaluator_metric_names: str | list[str] = "all",
    **kwargs: Any,
) -> Any:
    """Former name of :func:`setup_clearml_logging`."""
    warnings.warn("setup_trains_logging was renamed to setup_clearml_logging.")
    return setup_clearml_logging(
        trainer,
        optimizers,
        evaluators,
        log_every_iters,
        trainer_metric_names=trainer_metric_names,
        evaluator_metric_names=evaluator_metric_names,
        **kwargs,
    )
