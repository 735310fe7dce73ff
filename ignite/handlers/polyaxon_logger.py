"""Polyaxon experiment logger: metrics and optimizer parameters through a Polyaxon tracking run."""

from __future__ import annotations

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
    from ignite.engine import Engine

__all__ = ["PolyaxonLogger", "OutputHandler", "OptimizerParamsHandler", "global_step_from_engine"]

_MISSING = (
    "This contrib module requires polyaxon to be installed.\n"
    "For Polyaxon v1.x please install it with command: \n pip install polyaxon\n"
    "For Polyaxon v0.x please install it with command: \n pip install polyaxon-client"
)


class PolyaxonLogger(BaseLogger):
    """Log to Polyaxon through ``polyaxon.tracking.Run(*args, **kwargs)`` (``polyaxon_client``'s
    ``Experiment`` for Polyaxon v0.x).

    The run is ``logger.experiment``; other attributes are forwarded to it (``logger.log_inputs(...)``).
    On a process of rank other than 0 the logger is inactive (see :class:`BaseLogger`).

    ```python
    plx_logger = PolyaxonLogger(project="digits", is_offline=True)
    plx_logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="training",
                                     output_transform=lambda loss: {"loss": loss})
    ```
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self._inactive_on_this_rank():
            self.experiment = _NULL_BACKEND
            return
        try:
            from polyaxon.tracking import Run
        except ImportError:
            try:
                from polyaxon_client.tracking import Experiment as Run  # Polyaxon v0.x
            except ImportError as exc:
                raise ModuleNotFoundError(_MISSING) from exc
        self.experiment = Run(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        experiment = self.__dict__.get("experiment")
        if experiment is None:
            raise AttributeError(attr)
        return getattr(experiment, attr)

    def close(self) -> None:
        """End the Polyaxon run (errors while ending are ignored, as the run may already be closed)."""
        try:
            self.experiment.end()
        except Exception:
            pass

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


class OutputHandler(BaseOutputHandler):
    """Log metrics, transformed outputs and state attributes as ``"{tag}/{name}"`` with ``log_metrics``.

    Args: see :class:`~ignite.handlers.base_logger.BaseOutputHandler`.
    """

    def __call__(self, engine: Engine, logger: PolyaxonLogger, event_name: Any) -> None:
        _check_logger(logger, PolyaxonLogger, "Handler 'OutputHandler' works only with PolyaxonLogger")
        metrics = self._setup_output_metrics_state_attrs(engine, key_tuple=False)
        logger.log_metrics(step=self._global_step(engine, event_name), **metrics)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Log ``param_name`` of every parameter group as ``"{tag}/{param_name}/group_{i}"``.

    Args: see :class:`~ignite.handlers.base_logger.BaseOptimizerParamsHandler`.
    """

    def __call__(self, engine: Engine, logger: PolyaxonLogger, event_name: Any) -> None:
        _check_logger(logger, PolyaxonLogger, "Handler OptimizerParamsHandler works only with PolyaxonLogger")
        params = {self._param_key(i): v for i, v in self._param_values()}
        logger.log_metrics(**params, step=engine.state.get_event_attrib_value(event_name))
