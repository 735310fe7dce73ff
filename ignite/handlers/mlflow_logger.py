"""MLflow logging: :class:`MLflowLogger` and its handlers (metrics of the active run)."""

from __future__ import annotations

import warnings
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

__all__ = ["MLflowLogger", "OutputHandler", "OptimizerParamsHandler", "global_step_from_engine"]


class MLflowLogger(BaseLogger):
    """Log metrics to the active MLflow run (started here if there is none).

    Other attributes are the ``mlflow`` module's (``mlflow_logger.log_params({...})``); ``close()`` ends the run.

    ```python
    mlflow_logger = MLflowLogger(tracking_uri="sqlite:///mlflow.db")
    mlflow_logger.log_params({"lr": 0.1})
    mlflow_logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="training",
                                        output_transform=lambda loss: {"loss": loss})
    ```
    """

    def __init__(self, tracking_uri: str | None = None) -> None:
        if self._inactive_on_this_rank():
            self._mlflow = self.active_run = _NULL_BACKEND
            return
        try:
            import mlflow
        except ImportError:
            raise ModuleNotFoundError(
                "This contrib module requires mlflow to be installed. "
                "Please install it with command: \n pip install mlflow"
            ) from None
        self._mlflow = mlflow
        if tracking_uri is not None:
            mlflow.set_tracking_uri(tracking_uri)
        self.active_run = mlflow.active_run() or mlflow.start_run()

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr == "_mlflow":
            raise AttributeError(attr)
        return getattr(self._mlflow, attr)

    def close(self) -> None:
        """End the MLflow run."""
        self._mlflow.end_run()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


def _name_is_valid(key: str) -> bool:
    from mlflow.utils.validation import validate_param_and_metric_name

    return bool(validate_param_and_metric_name(key))


class OutputHandler(BaseOutputHandler):
    """Log metrics, transformed outputs and state attributes as MLflow metrics named ``"{tag} {name}"``.

    Names MLflow rejects are dropped with a warning (checked once per name).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._valid: dict[str, bool] = {}

    def __call__(self, engine: Engine, logger: MLflowLogger, event_name: Any) -> None:
        _check_logger(logger, MLflowLogger, "Handler 'OutputHandler' works only with MLflowLogger", TypeError)
        values = self._setup_output_metrics_state_attrs(engine)
        step = self._global_step(engine, event_name)
        metrics = {}
        for key_tuple, value in values.items():
            key = " ".join(key_tuple)
            valid = self._valid.get(key)
            if valid is None:
                valid = self._valid[key] = _name_is_valid(key)
            if not valid:
                warnings.warn(
                    f"MLflowLogger output_handler encountered an invalid metric name '{key}' that "
                    "will be ignored and not logged to MLflow"
                )
                continue
            metrics[key] = value
        logger.log_metrics(metrics, step=step)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Log an optimizer hyper-parameter per group as MLflow metrics ``"{tag} {param_name} group_{i}"``."""

    def __call__(self, engine: Engine, logger: MLflowLogger, event_name: Any) -> None:
        _check_logger(logger, MLflowLogger, "Handler OptimizerParamsHandler works only with MLflowLogger", TypeError)
        step = engine.state.get_event_attrib_value(event_name)
        params = {self._param_key(i, sep=" "): value for i, value in self._param_values()}
        logger.log_metrics(params, step=step)
