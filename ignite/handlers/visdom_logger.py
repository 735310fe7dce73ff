"""Visdom logging: :class:`VisdomLogger` and its handlers (one line plot per logged name)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ignite.handlers.base_logger import (
    _NULL_BACKEND,
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    BaseWeightsScalarHandler,
    _check_logger,
)
from ignite.handlers.utils import global_step_from_engine

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from ignite.engine import Engine

__all__ = [
    "VisdomLogger",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsScalarHandler",
    "GradsScalarHandler",
    "global_step_from_engine",
]


class _DummyExecutor:
    """Runs submitted calls at once, in the caller's thread (``num_workers=0``)."""

    class _Result:
        def __init__(self, value: Any) -> None:
            self._value = value

        def result(self) -> Any:
            return self._value

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def submit(self, fn: Callable, **kwargs: Any) -> _DummyExecutor._Result:
        return _DummyExecutor._Result(fn(**kwargs))

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        pass


class VisdomLogger(BaseLogger):
    """Log to a Visdom server; plots are sent from ``num_workers`` background threads (0: inline).

    Args:
        server: server address; default ``$VISDOM_SERVER_URL`` or ``"localhost"``.
        port: server port; default ``$VISDOM_PORT`` or 8097.
        num_workers: threads sending the plots; 0 sends them in the calling thread.
        raise_exceptions: let connection errors raise (passed to ``visdom.Visdom``).
        kwargs: other ``visdom.Visdom`` arguments; ``username``/``password`` default to ``$VISDOM_USERNAME`` /
            ``$VISDOM_PASSWORD``.

    With background threads an error of the server (gone mid-run) is reported once as a ``UserWarning``.

    ```python
    vd_logger = VisdomLogger(server="127.0.0.1", port=8097)
    vd_logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="training",
                                    output_transform=lambda loss: {"loss": loss})
    ```
    """

    def __init__(
        self,
        server: str | None = None,
        port: int | None = None,
        num_workers: int = 1,
        raise_exceptions: bool = True,
        **kwargs: Any,
    ) -> None:
        if self._inactive_on_this_rank():
            self.vis = self.executor = _NULL_BACKEND
            return
        try:
            import visdom
        except ImportError:
            raise ModuleNotFoundError(
                "This contrib module requires visdom package. Please install it with command:\n"
                "pip install git+https://github.com/fossasia/visdom.git"
            ) from None

        if server is None:
            server = os.environ.get("VISDOM_SERVER_URL", "localhost")
        if port is None:
            port = int(os.environ.get("VISDOM_PORT", 8097))
        if "username" not in kwargs:
            kwargs["username"] = os.environ.get("VISDOM_USERNAME", None)
        if "password" not in kwargs:
            kwargs["password"] = os.environ.get("VISDOM_PASSWORD", None)

        self.server_url = server
        failed = RuntimeError(f"Failed to connect to Visdom server at {server}. Did you run python -m visdom.server ?")
        try:  # the client itself may already fail to reach the server
            self.vis = visdom.Visdom(server=server, port=port, raise_exceptions=raise_exceptions, **kwargs)
        except ConnectionError as error:
            raise failed from error
        if not self.vis.offline and not self.vis.check_connection():
            raise failed

        self._warned = False
        if num_workers > 0:
            from concurrent.futures import ThreadPoolExecutor

            self.executor: Any = ThreadPoolExecutor(max_workers=num_workers)
        else:
            self.executor = _DummyExecutor()

    def _report_failure(self, future: Future) -> None:
        error = future.exception()
        if error is not None and not self._warned:
            self._warned = True
            warnings.warn(f"VisdomLogger failed to send data to the server: {error!r}")

    def _save(self) -> None:
        _submit(self, self.vis.save, envs=[self.vis.env])

    def close(self) -> None:
        """Wait for the pending plots, then close the connection."""
        self.executor.shutdown()
        self.vis.close()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


def _submit(logger: VisdomLogger, fn: Callable, **kwargs: Any) -> Any:
    """``logger.executor.submit(fn, **kwargs)``; a background failure is reported once (see VisdomLogger)."""
    future = logger.executor.submit(fn, **kwargs)
    report = getattr(type(logger), "_report_failure", None)
    if isinstance(future, Future) and report is not None:
        future.add_done_callback(lambda f: report(logger, f))
    return future


class _BaseVisDrawer:
    """One Visdom window per logged name; ``windows[name] = {"win": id or None, "opts": {...}}``."""

    def __init__(self, show_legend: bool = False) -> None:
        self.windows: dict[str, dict[str, Any]] = {}
        self.show_legend = show_legend

    def add_scalar(self, logger: VisdomLogger, k: str, v: float, event_name: Any, global_step: int) -> None:
        window = self.windows.get(k)
        if window is None:
            opts = {"title": k, "xlabel": str(event_name), "ylabel": k, "showlegend": self.show_legend}
            window = self.windows[k] = {"win": None, "opts": opts}
        first = window["win"] is None
        future = _submit(
            logger,
            logger.vis.line,
            X=[global_step],
            Y=[v],
            env=logger.vis.env,
            win=window["win"],
            update=None if first else "append",
            opts=window["opts"],
            name=k,
        )
        if first:
            window["win"] = future.result()


class OutputHandler(BaseOutputHandler, _BaseVisDrawer):
    """Plot metrics, transformed outputs and state attributes, one window per ``"{tag}/{name}"``."""

    def __init__(
        self,
        tag: str,
        metric_names: str | list[str] | None = None,
        output_transform: Callable | None = None,
        global_step_transform: Callable[[Engine, Any], int] | None = None,
        show_legend: bool = False,
        state_attributes: list[str] | None = None,
    ) -> None:
        BaseOutputHandler.__init__(
            self, tag, metric_names, output_transform, global_step_transform, state_attributes=state_attributes
        )
        _BaseVisDrawer.__init__(self, show_legend=show_legend)

    def __call__(self, engine: Engine, logger: VisdomLogger, event_name: Any) -> None:
        _check_logger(logger, VisdomLogger, "Handler 'OutputHandler' works only with VisdomLogger")
        values = self._setup_output_metrics_state_attrs(engine, key_tuple=False)
        step = self._global_step(engine, event_name)
        for key, value in values.items():
            self.add_scalar(logger, key, value, event_name, step)
        logger._save()


class OptimizerParamsHandler(BaseOptimizerParamsHandler, _BaseVisDrawer):
    """Plot an optimizer hyper-parameter per group, windows ``"{tag}/{param_name}/group_{i}"``."""

    def __init__(
        self, optimizer: Optimizer, param_name: str = "lr", tag: str | None = None, show_legend: bool = False
    ) -> None:
        BaseOptimizerParamsHandler.__init__(self, optimizer, param_name, tag)
        _BaseVisDrawer.__init__(self, show_legend=show_legend)

    def __call__(self, engine: Engine, logger: VisdomLogger, event_name: Any) -> None:
        _check_logger(logger, VisdomLogger, "Handler OptimizerParamsHandler works only with VisdomLogger")
        step = engine.state.get_event_attrib_value(event_name)
        for i, value in self._param_values():
            self.add_scalar(logger, self._param_key(i), value, event_name, step)
        logger._save()


class WeightsScalarHandler(BaseWeightsScalarHandler, _BaseVisDrawer):
    """Plot ``reduction(parameter)`` of every parameter, windows ``"{tag}/weights_{reduction}/{name}"``.

    As upstream, there is no ``whitelist``: every parameter is plotted.
    """

    _grads = False
    _name = "WeightsScalarHandler"

    def __init__(
        self,
        model: nn.Module,
        reduction: Callable[[torch.Tensor], float | torch.Tensor] = torch.norm,
        tag: str | None = None,
        show_legend: bool = False,
    ) -> None:
        BaseWeightsScalarHandler.__init__(self, model, reduction, tag=tag)
        _BaseVisDrawer.__init__(self, show_legend=show_legend)

    def __call__(self, engine: Engine, logger: VisdomLogger, event_name: Any) -> None:
        _check_logger(logger, VisdomLogger, f"Handler '{self._name}' works only with VisdomLogger")
        step = engine.state.get_event_attrib_value(event_name)
        for key, value in self._reduced(self._grads):
            self.add_scalar(logger, key, value, event_name, step)
        logger._save()


class GradsScalarHandler(WeightsScalarHandler):
    """Plot ``reduction(parameter.grad)``, windows ``"{tag}/grads_{reduction}/{name}"``."""

    _grads = True
    _name = "GradsScalarHandler"
