"""Neptune experiment logger and checkpoint saver (``neptune`` client 1.x)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
import torch.nn as nn

import ignite
import ignite.distributed as idist
from ignite.handlers.base_logger import (
    _NULL_BACKEND,
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    BaseWeightsScalarHandler,
    _check_logger,
)
from ignite.handlers.checkpoint import BaseSaveHandler
from ignite.handlers.utils import global_step_from_engine

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = [
    "NeptuneLogger",
    "NeptuneSaver",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsScalarHandler",
    "GradsScalarHandler",
    "global_step_from_engine",
]

_INTEGRATION_VERSION_KEY = "source_code/integrations/neptune-pytorch-ignite"

_MISSING = (
    "This contrib module requires the Neptune client library to be installed. "
    "Install neptune with the command: \n pip install neptune \n"
)


def _import_neptune() -> Any:
    try:
        import neptune
    except ImportError as exc:
        raise ModuleNotFoundError(_MISSING) from exc
    return neptune


class NeptuneLogger(BaseLogger):
    """Log to a Neptune run made by ``neptune.init_run(api_token=..., project=..., **kwargs)``.

    The run is ``logger.experiment``; attributes and items are forwarded to it (``logger["params/lr"] = 0.1``).
    ``mode="offline"`` (a ``neptune.init_run`` argument) keeps everything in a local ``.neptune`` folder.
    On a process of rank other than 0 the logger is inactive (see :class:`BaseLogger`).

    ```python
    npt_logger = NeptuneLogger(project="workspace/digits", mode="offline")
    npt_logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="training",
                                     output_transform=lambda loss: {"loss": loss})
    ```
    """

    def __init__(self, api_token: str | None = None, project: str | None = None, **kwargs: Any) -> None:
        if self._inactive_on_this_rank():
            self.experiment = _NULL_BACKEND
            return
        neptune = _import_neptune()
        run = neptune.init_run(api_token=api_token, project=project, **kwargs)
        run[_INTEGRATION_VERSION_KEY] = ignite.__version__
        self.experiment = run

    def __getattr__(self, attr: str) -> Any:
        experiment = self.__dict__.get("experiment")
        if experiment is None:
            raise AttributeError(attr)
        return getattr(experiment, attr)

    def __getitem__(self, key: str) -> Any:
        return self.experiment[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.experiment[key] = value

    def close(self) -> None:
        """Stop the run: pending operations are flushed to Neptune (or to the offline folder)."""
        self.experiment.stop()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


def _check_neptune(handler: str, logger: Any) -> None:
    _check_logger(logger, NeptuneLogger, f"Handler {handler} works only with NeptuneLogger", TypeError)


class OutputHandler(BaseOutputHandler):
    """Append metrics, transformed outputs and state attributes to the series ``"{tag}/{name}"``.

    Args: see :class:`~ignite.handlers.base_logger.BaseOutputHandler`.
    """

    def __call__(self, engine: Engine, logger: NeptuneLogger, event_name: Any) -> None:
        _check_neptune("OutputHandler", logger)
        metrics = self._setup_output_metrics_state_attrs(engine, key_tuple=False)
        step = self._global_step(engine, event_name)
        for key, value in metrics.items():
            logger[key].append(value, step=step)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Append ``param_name`` of every parameter group to ``"{tag}/{param_name}/group_{i}"``.

    Args: see :class:`~ignite.handlers.base_logger.BaseOptimizerParamsHandler`.
    """

    def __call__(self, engine: Engine, logger: NeptuneLogger, event_name: Any) -> None:
        _check_neptune("OptimizerParamsHandler", logger)
        step = engine.state.get_event_attrib_value(event_name)
        for i, value in self._param_values():
            logger[self._param_key(i)].append(value, step=step)


class _ScalarsHandler(BaseWeightsScalarHandler):
    """Append ``reduction`` of each selected parameter (or of its gradient) whose gradient exists."""

    _kind = "weights"
    _handler = "WeightsScalarHandler"

    def _tensor(self, p: nn.Parameter) -> torch.Tensor:
        return p.data

    def __call__(self, engine: Engine, logger: NeptuneLogger, event_name: Any) -> None:
        _check_neptune(self._handler, logger)
        step = engine.state.get_event_attrib_value(event_name)
        kind = f"{self._kind}_{self.reduction.__name__}"
        with torch.no_grad():
            for name, p in self.weights:
                if p.grad is None:
                    continue
                value = self.reduction(self._tensor(p))
                value = value.item() if isinstance(value, torch.Tensor) else value
                logger[self._key(kind, name)].append(value, step=step)


class WeightsScalarHandler(_ScalarsHandler):
    """Append ``reduction(parameter)`` (``torch.norm`` by default) to ``"{tag}/weights_{reduction}/{name}"``.

    Parameters without a gradient (frozen layers) are skipped. Args: see
    :class:`~ignite.handlers.base_logger.BaseWeightsScalarHandler`.
    """


class GradsScalarHandler(_ScalarsHandler):
    """Append ``reduction(parameter.grad)`` to ``"{tag}/grads_{reduction}/{name}"``; parameters without a
    gradient are skipped. Args: see :class:`~ignite.handlers.base_logger.BaseWeightsScalarHandler`.
    """

    _kind = "grads"
    _handler = "GradsScalarHandler"

    def _tensor(self, p: nn.Parameter) -> torch.Tensor:
        return p.grad


class NeptuneSaver(BaseSaveHandler):
    """Upload checkpoints to the run of a :class:`NeptuneLogger` (as ``logger[filename]``), from rank 0.

    ```python
    Checkpoint(to_save, NeptuneSaver(npt_logger), n_saved=2)
    ```
    """

    @idist.one_rank_only()
    def __init__(self, neptune_logger: NeptuneLogger) -> None:
        self._logger = neptune_logger

    @idist.one_rank_only()
    def __call__(self, checkpoint: Mapping, filename: str, metadata: Mapping | None = None) -> None:
        _import_neptune()
        try:
            from neptune.types import File
        except ImportError:  # clients before 1.0
            from neptune.new.types import File

        with tempfile.NamedTemporaryFile() as tmp:
            torch.save(checkpoint, tmp.file)
            tmp.file.flush()
            tmp.file.seek(0)
            self._logger[filename].upload(File.from_stream(tmp.file))

    @idist.one_rank_only(with_barrier=True)
    def remove(self, filename: str) -> None:
        del self._logger.experiment[filename]
