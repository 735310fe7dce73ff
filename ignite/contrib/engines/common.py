"""Recipes that attach the usual training handlers to a trainer in one call."""

from __future__ import annotations

import gc
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import torch
import torch.nn as nn
from torch.optim.lr_scheduler import LRScheduler as PyTorchLRScheduler
from torch.optim.optimizer import Optimizer
from torch.utils.data.distributed import DistributedSampler

import ignite.distributed as idist
from ignite.engine import Engine, Events
from ignite.handlers import (
    Checkpoint,
    DiskSaver,
    EarlyStopping,
    ProgressBar,
    TerminateOnNan,
    global_step_from_engine,
)
from ignite.handlers.base_logger import BaseLogger
from ignite.handlers.checkpoint import BaseSaveHandler
from ignite.handlers.logger_utils import (  # noqa: F401  (re-exported)
    _setup_logging,
    setup_clearml_logging,
    setup_mlflow_logging,
    setup_neptune_logging,
    setup_plx_logging,
    setup_tb_logging,
    setup_trains_logging,
    setup_visdom_logging,
    setup_wandb_logging,
)
from ignite.handlers.param_scheduler import ParamScheduler
from ignite.metrics import GpuInfo, RunningAverage
from ignite.metrics.metric import RunningBatchWise
from ignite.utils import deprecated

__all__ = [
    "setup_common_training_handlers",
    "setup_common_distrib_training_handlers",
    "empty_cuda_cache",
    "gen_save_best_models_by_val_score",
    "save_best_model_by_val_score",
    "add_early_stopping_by_val_score",
    "get_default_score_fn",
    "setup_any_logging",
    "setup_tb_logging",
    "setup_visdom_logging",
    "setup_mlflow_logging",
    "setup_neptune_logging",
    "setup_wandb_logging",
    "setup_plx_logging",
    "setup_clearml_logging",
    "setup_trains_logging",
]

_TO_SAVE_NEEDS_TARGET = (
    "If to_save argument is provided then output_path or save_handler arguments should be also defined"
)


def setup_common_training_handlers(
    trainer: Engine,
    train_sampler: DistributedSampler | None = None,
    to_save: Mapping | None = None,
    save_every_iters: int = 1000,
    output_path: str | None = None,
    lr_scheduler: ParamScheduler | PyTorchLRScheduler | None = None,
    with_gpu_stats: bool = False,
    output_names: Iterable[str] | None = None,
    with_pbars: bool = True,
    with_pbar_on_iters: bool = True,
    log_every_iters: int = 100,
    stop_on_nan: bool = True,
    clear_cuda_cache: bool = True,
    save_handler: Callable | BaseSaveHandler | None = None,
    **kwargs: Any,
) -> None:
    """Attach the usual training handlers: NaN stop, LR scheduling, checkpointing, running averages, bars.

    In a distributed run progress bars are shown on rank 0 only and ``train_sampler.set_epoch`` is called at
    each epoch start. ``kwargs`` go to :class:`~ignite.handlers.checkpoint.Checkpoint`.
    """
    # validate before attaching anything, so a bad call leaves the trainer untouched
    if output_path is not None and save_handler is not None:
        raise ValueError(
            "Arguments output_path and save_handler are mutually exclusive. Please, define only one of them"
        )
    if to_save is not None and output_path is None and save_handler is None:
        raise ValueError(
            "If to_save argument is provided then output_path or save_handler arguments should be also defined"
        )

    if idist.get_world_size() > 1:
        if train_sampler is not None and not isinstance(train_sampler, DistributedSampler):
            raise TypeError("Train sampler should be torch DistributedSampler and have `set_epoch` method")
        with_pbars = (idist.get_rank() == 0) and with_pbars
    elif isinstance(train_sampler, DistributedSampler):
        warnings.warn(
            "Argument train_sampler is a distributed sampler, but either there is no distributed setting or "
            "world size is < 2. Train sampler argument will be ignored",
            UserWarning,
        )
        train_sampler = None

    _setup_common_training_handlers(
        trainer,
        to_save=to_save,
        save_every_iters=save_every_iters,
        output_path=output_path,
        lr_scheduler=lr_scheduler,
        with_gpu_stats=with_gpu_stats,
        output_names=output_names,
        with_pbars=with_pbars,
        with_pbar_on_iters=with_pbar_on_iters,
        log_every_iters=log_every_iters,
        stop_on_nan=stop_on_nan,
        clear_cuda_cache=clear_cuda_cache,
        save_handler=save_handler,
        **kwargs,
    )
    if idist.get_world_size() > 1 and train_sampler is not None:

        @trainer.on(Events.EPOCH_STARTED)
        def distrib_set_epoch(engine: Engine) -> None:
            train_sampler.set_epoch(engine.state.epoch - 1)


setup_common_distrib_training_handlers = setup_common_training_handlers


def _output_item(x: Any, index: int, name: str) -> Any:
    if isinstance(x, Mapping):
        return x[name]
    if isinstance(x, Sequence):
        return x[index]
    if isinstance(x, (torch.Tensor, numbers.Number)):
        return x
    raise TypeError(
        f"Unhandled type of update_function's output. It should either mapping or sequence, but given {type(x)}"
    )


def _setup_common_training_handlers(
    trainer: Engine,
    to_save: Mapping | None = None,
    save_every_iters: int = 1000,
    output_path: str | None = None,
    lr_scheduler: ParamScheduler | PyTorchLRScheduler | None = None,
    with_gpu_stats: bool = False,
    output_names: Iterable[str] | None = None,
    with_pbars: bool = True,
    with_pbar_on_iters: bool = True,
    log_every_iters: int = 100,
    stop_on_nan: bool = True,
    clear_cuda_cache: bool = True,
    save_handler: Callable | BaseSaveHandler | None = None,
    **kwargs: Any,
) -> None:
    if output_path is not None and save_handler is not None:
        raise ValueError(
            "Arguments output_path and save_handler are mutually exclusive. Please, define only one of them"
        )
    if stop_on_nan:
        trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())

    if lr_scheduler is not None:
        if isinstance(lr_scheduler, PyTorchLRScheduler):
            trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda engine: lr_scheduler.step())
        else:
            trainer.add_event_handler(Events.ITERATION_STARTED, lr_scheduler)

    if torch.cuda.is_available() and clear_cuda_cache:
        trainer.add_event_handler(Events.EPOCH_COMPLETED, empty_cuda_cache)

    if to_save is not None:
        if output_path is None and save_handler is None:
            raise ValueError(_TO_SAVE_NEEDS_TARGET)
        if output_path is not None:
            save_handler = DiskSaver(dirname=output_path, require_empty=False)
        checkpoint_handler = Checkpoint(to_save, save_handler, filename_prefix="training", **kwargs)  # type: ignore[arg-type]
        trainer.add_event_handler(Events.ITERATION_COMPLETED(every=save_every_iters), checkpoint_handler)

    if with_gpu_stats:
        GpuInfo().attach(trainer, name="gpu", event_name=Events.ITERATION_COMPLETED(every=log_every_iters))

    if output_names is not None:
        for i, n in enumerate(output_names):
            RunningAverage(output_transform=partial(_output_item, index=i, name=n)).attach(
                trainer, n, usage=RunningBatchWise()
            )

    if with_pbars:
        if with_pbar_on_iters:
            ProgressBar(persist=False).attach(
                trainer, metric_names="all", event_name=Events.ITERATION_COMPLETED(every=log_every_iters)
            )
        ProgressBar(persist=True, bar_format="").attach(
            trainer, event_name=Events.EPOCH_STARTED, closing_event_name=Events.COMPLETED
        )


def empty_cuda_cache(_: Engine) -> None:
    """Release cached CUDA memory, then run the garbage collector."""
    torch.cuda.empty_cache()
    gc.collect()


@deprecated(
    "0.4.0",
    "0.6.0",
    ("Please use instead: setup_tb_logging, setup_visdom_logging or setup_mlflow_logging etc.",),
    raise_exception=True,
)
def setup_any_logging(
    logger: BaseLogger,
    logger_module: Any,
    trainer: Engine,
    optimizers: Optimizer | dict[str, Optimizer] | dict[None, Optimizer] | None,
    evaluators: Engine | dict[str, Engine] | None,
    log_every_iters: int,
) -> None:
    pass


get_default_score_fn = Checkpoint.get_default_score_fn


def gen_save_best_models_by_val_score(
    save_handler: Callable | BaseSaveHandler,
    evaluator: Engine,
    models: nn.Module | dict[str, nn.Module],
    metric_name: str,
    n_saved: int = 3,
    trainer: Engine | None = None,
    tag: str = "val",
    score_sign: float = 1.0,
    **kwargs: Any,
) -> Checkpoint:
    """Keep the ``n_saved`` best models by ``evaluator.state.metrics[metric_name]`` (times ``score_sign``)."""
    global_step_transform = global_step_from_engine(trainer) if trainer is not None else None
    to_save = {"model": models} if isinstance(models, nn.Module) else models
    best_model_handler = Checkpoint(
        to_save,
        save_handler,
        filename_prefix="best",
        n_saved=n_saved,
        global_step_transform=global_step_transform,
        score_name=f"{tag}_{metric_name.lower()}",
        score_function=get_default_score_fn(metric_name, score_sign=score_sign),
        **kwargs,
    )
    evaluator.add_event_handler(Events.COMPLETED, best_model_handler)
    return best_model_handler


def save_best_model_by_val_score(
    output_path: str,
    evaluator: Engine,
    model: nn.Module,
    metric_name: str,
    n_saved: int = 3,
    trainer: Engine | None = None,
    tag: str = "val",
    score_sign: float = 1.0,
    **kwargs: Any,
) -> Checkpoint:
    """:func:`gen_save_best_models_by_val_score` saving into the directory ``output_path``."""
    return gen_save_best_models_by_val_score(
        save_handler=DiskSaver(dirname=output_path, require_empty=False),
        evaluator=evaluator,
        models=model,
        metric_name=metric_name,
        n_saved=n_saved,
        trainer=trainer,
        tag=tag,
        score_sign=score_sign,
        **kwargs,
    )


def add_early_stopping_by_val_score(
    patience: int, evaluator: Engine, trainer: Engine, metric_name: str, score_sign: float = 1.0
) -> EarlyStopping:
    """Stop ``trainer`` when ``evaluator``'s ``metric_name`` has not improved for ``patience`` evaluations."""
    es_handler = EarlyStopping(
        patience=patience, score_function=get_default_score_fn(metric_name, score_sign=score_sign), trainer=trainer
    )
    evaluator.add_event_handler(Events.COMPLETED, es_handler)
    return es_handler
