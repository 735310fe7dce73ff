"""Weights & Biases logging: :class:`WandBLogger` and its handlers."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ignite.handlers.base_logger import (
    _NULL_BACKEND,
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    _check_logger,
)
from ignite.handlers.utils import global_step_from_engine

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from ignite.engine import Engine

__all__ = ["WandBLogger", "OutputHandler", "OptimizerParamsHandler", "global_step_from_engine"]


class WandBLogger(BaseLogger):
    """Log to Weights & Biases: ``wandb.init(*args, **kwargs)`` unless ``init=False`` is given.

    Other attributes are the ``wandb`` module's (``wandb_logger.config.update(...)``); ``close()`` calls
    ``wandb.finish()``.

    **Steps that line up.** W&B keeps one history row per step and drops a row whose step is behind the
    latest one. Rows are logged at their handler's step when it does not go backwards (the usual case, e.g.
    an evaluator using ``global_step_from_engine(trainer, Events.ITERATION_COMPLETED)``). A row whose step
    is behind (e.g. validation logged per trainer *epoch* while training is logged per *iteration*) is
    merged into the latest row instead, and carries its own step as the field ``"{tag}/step"``, declared
    once with ``define_metric("{tag}/*", step_metric="{tag}/step")`` so that its chart uses that axis.
    Nothing is dropped.

    ```python
    wandb_logger = WandBLogger(project="digits", config={"lr": 0.1})
    wandb_logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="training",
                                       output_transform=lambda loss: {"loss": loss})
    ```
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self._inactive_on_this_rank():
            self._wandb = _NULL_BACKEND
            return
        try:
            import wandb
        except ImportError:
            raise ModuleNotFoundError(
                "This contrib module requires wandb to be installed. "
                "You man install wandb with the command:\n pip install wandb\n"
            ) from None
        self._wandb = wandb
        if kwargs.get("init", True):
            kwargs.pop("init", None)
            wandb.init(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr == "_wandb":
            raise AttributeError(attr)
        return getattr(self._wandb, attr)

    def close(self) -> None:
        """Finish the W&B run."""
        self._wandb.finish()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


def _log_row(logger: WandBLogger, values: dict[str, Any], step: int, tag: str | None) -> None:
    """``logger.log(values, step=step)``, or merged into the latest row with ``"{tag}/step"`` when ``step`` is
    behind it (see :class:`WandBLogger`). The latest step is kept in the logger's ``__dict__``."""
    state = logger.__dict__
    last = state.get("_last_step")
    if last is None or step >= last:
        state["_last_step"] = step
        logger.log(values, step=step)
        return
    axis = f"{tag}/step" if tag else "step"
    axes = state.setdefault("_step_axes", set())
    if axis not in axes:
        axes.add(axis)
        logger.define_metric(axis)
        logger.define_metric(f"{tag}/*" if tag else "*", step_metric=axis)
    logger.log({**values, axis: step}, step=last)


def _warn_sync(sync: bool | None) -> None:
    if sync is not None:
        warnings.warn("The sync argument for the WandBLoggers is no longer used, and may be removed in the future")


class OutputHandler(BaseOutputHandler):
    """Log metrics, transformed outputs (strings included) and state attributes as ``"{tag}/{name}"``."""

    def __init__(
        self,
        tag: str,
        metric_names: str | list[str] | None = None,
        output_transform: Callable | None = None,
        global_step_transform: Callable[[Engine, Any], int] | None = None,
        sync: bool | None = None,
        state_attributes: list[str] | None = None,
    ) -> None:
        super().__init__(tag, metric_names, output_transform, global_step_transform, state_attributes)
        _warn_sync(sync)

    def __call__(self, engine: Engine, logger: WandBLogger, event_name: Any) -> None:
        _check_logger(logger, WandBLogger, f"Handler '{type(self).__name__}' works only with WandBLogger.")
        step = self._global_step(engine, event_name)
        values = self._setup_output_metrics_state_attrs(engine, log_text=True, key_tuple=False)
        _log_row(logger, values, step, self.tag)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Log an optimizer hyper-parameter per group as ``"{tag}/{param_name}/group_{i}"``."""

    def __init__(
        self, optimizer: Optimizer, param_name: str = "lr", tag: str | None = None, sync: bool | None = None
    ) -> None:
        super().__init__(optimizer, param_name, tag)
        _warn_sync(sync)

    def __call__(self, engine: Engine, logger: WandBLogger, event_name: Any) -> None:
        _check_logger(logger, WandBLogger, "Handler OptimizerParamsHandler works only with WandBLogger")
        step = engine.state.get_event_attrib_value(event_name)
        params = {self._param_key(i): value for i, value in self._param_values()}
        _log_row(logger, params, step, self.tag)
