"""TensorBoard logging: :class:`TensorboardLogger` and its handlers (scalars and histograms)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ignite.handlers.base_logger import (
    _NULL_BACKEND,
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    BaseWeightsHandler,
    BaseWeightsScalarHandler,
    _check_logger,
)
from ignite.handlers.utils import global_step_from_engine

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = [
    "TensorboardLogger",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsScalarHandler",
    "WeightsHistHandler",
    "GradsScalarHandler",
    "GradsHistHandler",
    "global_step_from_engine",
]


def _summary_writer_class() -> type:
    """tensorboardX's ``SummaryWriter`` if installed, else ``torch.utils.tensorboard``'s."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ModuleNotFoundError(
                "This contrib module requires either tensorboardX or torch >= 1.2.0. "
                "You may install tensorboardX with command: \n pip install tensorboardX \n"
                "or upgrade PyTorch using your package manager of choice (pip or conda). "
                "With ignite-ng: pip install ignite-ng[tensorboard]"
            ) from None
    return SummaryWriter


class TensorboardLogger(BaseLogger):
    """Log to TensorBoard event files through a ``SummaryWriter`` (tensorboardX first, else torch's).

    Arguments are those of ``SummaryWriter`` (``log_dir``, ...). Other attributes are the writer's
    (``tb_logger.add_text(...)``). Inactive on ranks other than 0 (see :class:`BaseLogger`).

    ```python
    tb_logger = TensorboardLogger(log_dir="runs/exp1")
    tb_logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="training",
                                    output_transform=lambda loss: {"loss": loss})
    tb_logger.attach(trainer, WeightsHistHandler(model), Events.EPOCH_COMPLETED)
    ```
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self._inactive_on_this_rank():
            self.writer = _NULL_BACKEND
            return
        self.writer = _summary_writer_class()(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr == "writer":
            raise AttributeError(attr)
        return getattr(self.writer, attr)

    def close(self) -> None:
        """Flush and close the writer."""
        self.writer.close()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


class OutputHandler(BaseOutputHandler):
    """Log metrics, transformed outputs and state attributes as scalars ``"{tag}/{name}"``.

    ```python
    tb_logger.attach(evaluator, OutputHandler(tag="validation", metric_names=["accuracy"],
                                              global_step_transform=global_step_from_engine(trainer)),
                     event_name=Events.EPOCH_COMPLETED)
    ```
    """

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, TensorboardLogger, "Handler 'OutputHandler' works only with TensorboardLogger")
        values = self._setup_output_metrics_state_attrs(engine, key_tuple=False)
        step = self._global_step(engine, event_name)
        add_scalar = logger.writer.add_scalar
        for key, value in values.items():
            add_scalar(key, value, step)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Log an optimizer hyper-parameter per group as ``"{tag}/{param_name}/group_{i}"``."""

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, TensorboardLogger, "Handler OptimizerParamsHandler works only with TensorboardLogger")
        step = engine.state.get_event_attrib_value(event_name)
        for i, value in self._param_values():
            logger.writer.add_scalar(self._param_key(i), value, step)


class WeightsScalarHandler(BaseWeightsScalarHandler):
    """Log ``reduction(parameter)`` as ``"{tag}/weights_{reduction}/{name}"``."""

    _grads = False
    _name = "WeightsScalarHandler"

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, TensorboardLogger, f"Handler '{self._name}' works only with TensorboardLogger")
        step = engine.state.get_event_attrib_value(event_name)
        for key, value in self._reduced(self._grads):
            logger.writer.add_scalar(key, value, step)


class GradsScalarHandler(WeightsScalarHandler):
    """Log ``reduction(parameter.grad)`` as ``"{tag}/grads_{reduction}/{name}"``."""

    _grads = True
    _name = "GradsScalarHandler"


class WeightsHistHandler(BaseWeightsHandler):
    """Log a histogram of each parameter as ``"{tag}/weights/{name}"``."""

    _grads = False
    _name = "WeightsHistHandler"

    def __init__(
        self,
        model: nn.Module,
        tag: str | None = None,
        whitelist: list[str] | Callable[[str, nn.Parameter], bool] | None = None,
    ) -> None:
        super().__init__(model, tag=tag, whitelist=whitelist)

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, TensorboardLogger, f"Handler '{self._name}' works only with TensorboardLogger")
        step = engine.state.get_event_attrib_value(event_name)
        kind = "grads" if self._grads else "weights"
        for name, tensor in self._named_tensors(self._grads):
            logger.writer.add_histogram(tag=self._key(kind, name), values=_numpy(tensor), global_step=step)


class GradsHistHandler(WeightsHistHandler):
    """Log a histogram of each parameter's gradient as ``"{tag}/grads/{name}"``."""

    _grads = True
    _name = "GradsHistHandler"


def _numpy(tensor: torch.Tensor) -> Any:
    return tensor.cpu().numpy()
