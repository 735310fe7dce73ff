"""Shared machinery of the experiment loggers and the progress bar.

A *logger* (:class:`BaseLogger`) owns a connection to some backend; a *handler* (:class:`BaseHandler`) is a
callable ``handler(engine, logger, event_name)`` that the logger attaches to an engine event and that sends
values to the logger. The output, optimizer-parameter and weight handlers below hold the argument checks
and the collection of values that every concrete logger shares.
"""

from __future__ import annotations

import numbers
import warnings
from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn as nn

from ignite.engine.events import CallableEventWithFilter, EventsList, RemovableEventHandle, State

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from ignite.engine import Engine


class BaseHandler(metaclass=ABCMeta):
    """A logging handler: called as ``handler(engine, logger, event_name)`` by :meth:`BaseLogger.attach`."""

    @abstractmethod
    def __call__(self, engine: Engine, logger: Any, event_name: str | CallableEventWithFilter) -> None:
        pass


class BaseWeightsHandler(BaseHandler):
    """Base of handlers logging something per model parameter.

    Args:
        model: the model whose parameters are logged.
        tag: optional prefix of the logged names.
        whitelist: which parameters to log: all (``None``), those whose name starts with one of the given
            prefixes (a list of names), or those for which ``whitelist(name, parameter)`` is true.
    """

    def __init__(
        self,
        model: nn.Module,
        tag: str | None = None,
        whitelist: list[str] | Callable[[str, nn.Parameter], bool] | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"Argument model should be of type torch.nn.Module, but given {type(model)}")
        self.model = model
        self.tag = tag
        named = list(model.named_parameters())
        if whitelist is None:
            self.weights = named
        elif callable(whitelist):
            self.weights = [(n, p) for n, p in named if whitelist(n, p)]
        else:
            prefixes = tuple(whitelist)
            self.weights = [(n, p) for n, p in named if n.startswith(prefixes)]

    def _named_tensors(self, grads: bool = False) -> list[tuple[str, torch.Tensor]]:
        """``(name, tensor)`` of the selected parameters: their data (no copy), or their gradients (parameters
        without a gradient skipped)."""
        if not grads:
            return [(n, p.detach()) for n, p in self.weights]
        return [(n, p.grad.detach()) for n, p in self.weights if p.grad is not None]

    def _key(self, kind: str, name: str) -> str:
        """``"{tag}/{kind}/{name with '.' -> '/'}"`` (no tag: ``"{kind}/..."``)."""
        prefix = f"{self.tag}/" if self.tag else ""
        return f"{prefix}{kind}/{name.replace('.', '/')}"


class BaseOptimizerParamsHandler(BaseHandler):
    """Base of handlers logging one optimizer hyper-parameter (``lr`` by default) per parameter group.

    Args:
        optimizer: a ``torch.optim.Optimizer`` or any object with a ``param_groups`` list.
        param_name: the parameter group key to log.
        tag: optional prefix of the logged names.
    """

    def __init__(self, optimizer: Optimizer, param_name: str = "lr", tag: str | None = None) -> None:
        if not (
            isinstance(optimizer, torch.optim.Optimizer)
            or (hasattr(optimizer, "param_groups") and isinstance(optimizer.param_groups, Sequence))
        ):
            raise TypeError(
                "Argument optimizer should be torch.optim.Optimizer or has attribute 'param_groups' as list/tuple, "
                f"but given {type(optimizer)}"
            )
        self.optimizer = optimizer
        self.param_name = param_name
        self.tag = tag

    def _param_values(self) -> list[tuple[int, float]]:
        """``(group index, float value)`` of ``param_name`` for every parameter group."""
        return [(i, float(group[self.param_name])) for i, group in enumerate(self.optimizer.param_groups)]

    def _param_key(self, index: int, sep: str = "/") -> str:
        """The conventional name ``"{tag}/{param_name}/group_{i}"`` (``sep`` joins the parts)."""
        parts = ([self.tag] if self.tag else []) + [self.param_name, f"group_{index}"]
        return sep.join(parts)


_STATE_OUTPUT: Any = object()  # marker: read the output from the engine's state


def _default_global_step(engine: Engine, event_name: Any) -> int:
    return engine.state.get_event_attrib_value(event_name)


class BaseOutputHandler(BaseHandler):
    """Base of handlers logging metrics, transformed engine outputs and state attributes.

    Args:
        tag: prefix of the logged names (``"{tag}/{name}"``).
        metric_names: names of ``engine.state.metrics`` to log, or ``"all"``.
        output_transform: maps ``engine.state.output`` to a number, tensor or (nested) dict to log.
        global_step_transform: ``fn(engine, event_name) -> int`` giving the step of the logged values;
            default: the engine's counter of ``event_name``.
        state_attributes: names of ``engine.state`` attributes to log.
    """

    def __init__(
        self,
        tag: str,
        metric_names: str | list[str] | None = None,
        output_transform: Callable | None = None,
        global_step_transform: Callable[[Engine, str | CallableEventWithFilter], int] | None = None,
        state_attributes: list[str] | None = None,
    ) -> None:
        if metric_names is not None:
            if not (isinstance(metric_names, list) or (isinstance(metric_names, str) and metric_names == "all")):
                raise TypeError(
                    f"metric_names should be either a list or equal 'all', got {type(metric_names)} instead."
                )
        if output_transform is not None and not callable(output_transform):
            raise TypeError(f"output_transform should be a function, got {type(output_transform)} instead.")
        if output_transform is None and metric_names is None and state_attributes is None:
            raise ValueError("Either metric_names, output_transform or state_attributes should be defined")
        if global_step_transform is not None and not callable(global_step_transform):
            raise TypeError(f"global_step_transform should be a function, got {type(global_step_transform)} instead.")
        if global_step_transform is None:
            global_step_transform = _default_global_step

        self.tag = tag
        self.metric_names = metric_names
        self.output_transform = output_transform
        self.global_step_transform = global_step_transform
        self.state_attributes = state_attributes

    def _global_step(self, engine: Engine, event_name: Any) -> int:
        """``global_step_transform(engine, event_name)``, checked to be an ``int``."""
        global_step = self.global_step_transform(engine, event_name)
        if not isinstance(global_step, int):
            raise TypeError(
                f"global_step must be int, got {type(global_step)}. Please check the output of global_step_transform."
            )
        return global_step

    def _collect(self, engine: Engine, output: Any = _STATE_OUTPUT) -> dict[str, Any]:
        """Metrics, then the transformed output, then state attributes, by name (before flattening).

        ``output`` replaces ``engine.state.output`` when given.
        """
        collected: dict[str, Any] = OrderedDict()
        metric_names = self.metric_names
        if metric_names is not None:
            metrics = engine.state.metrics
            if isinstance(metric_names, str):  # "all"
                collected.update(metrics)
            else:
                for name in metric_names:
                    if name not in metrics:
                        warnings.warn(
                            f"Provided metric name '{name}' is missing "
                            f"in engine's state metrics: {list(metrics.keys())}"
                        )
                        continue
                    collected[name] = metrics[name]
        if self.output_transform is not None:
            output = self.output_transform(engine.state.output if output is _STATE_OUTPUT else output)
            if not isinstance(output, dict):
                output = {"output": output}
            collected.update(output)
        if self.state_attributes is not None:
            state = engine.state
            collected.update({name: getattr(state, name, None) for name in self.state_attributes})
        return collected

    def _setup_output_metrics_state_attrs(
        self, engine: Engine, log_text: bool | None = False, key_tuple: bool | None = True
    ) -> dict[Any, Any]:
        """Collect and flatten the values to log.

        Keys are ``(tag, name, sub, ...)`` tuples (``key_tuple=True``) or ``"tag/name/sub"`` strings; nested
        mappings and sequences are flattened (sequence items keyed ``"0"``, ``"1"``, ...), 1-D tensors give one
        entry per element, 0-d tensors become Python numbers, strings are kept only when ``log_text``; any other
        value is dropped with a warning.
        """
        flat: dict[Any, Any] = OrderedDict()
        for name, value in self._collect(engine).items():
            _flatten(flat, (self.tag, str(name)), value, bool(log_text))
        if key_tuple:
            return flat
        return OrderedDict(("/".join(k), v) for k, v in flat.items())


def _flatten(out: dict[Any, Any], key: tuple[str, ...], value: Any, log_text: bool) -> None:
    if isinstance(value, numbers.Number):
        out[key] = value
    elif isinstance(value, torch.Tensor):
        if value.ndim == 0:
            out[key] = value.item()
        elif value.ndim == 1:
            for i, v in enumerate(value.tolist()):
                out[key + (str(i),)] = v
        else:
            warnings.warn(f"Logger output_handler can not log metrics value type {type(value)}")
    elif isinstance(value, str):
        if log_text:
            out[key] = value
        else:
            warnings.warn(f"Logger output_handler can not log metrics value type {type(value)}")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(out, key + (str(k),), v, log_text)
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        # namedtuples and lists alike: items keyed by position
        for i, v in enumerate(value):
            _flatten(out, key + (str(i),), v, log_text)
    else:
        warnings.warn(f"Logger output_handler can not log metrics value type {type(value)}")


class BaseWeightsScalarHandler(BaseWeightsHandler):
    """Base of handlers logging a scalar reduction (``torch.norm`` by default) of each selected parameter.

    Args:
        model: the model whose parameters are logged.
        reduction: ``fn(tensor) -> scalar`` (a number or 0-d tensor).
        tag: optional prefix of the logged names.
        whitelist: see :class:`BaseWeightsHandler`.
    """

    def __init__(
        self,
        model: nn.Module,
        reduction: Callable[[torch.Tensor], float | torch.Tensor] = torch.norm,
        tag: str | None = None,
        whitelist: list[str] | Callable[[str, nn.Parameter], bool] | None = None,
    ) -> None:
        super().__init__(model, tag=tag, whitelist=whitelist)
        if not callable(reduction):
            raise TypeError(f"Argument reduction should be callable, but given {type(reduction)}")

        output = reduction(torch.ones(4, 2))
        if not (isinstance(output, numbers.Number) or (isinstance(output, torch.Tensor) and output.ndim == 0)):
            raise TypeError(f"Output of the reduction function should be a scalar, but got {type(output)}")
        self.reduction = reduction

    def _reduced(self, grads: bool = False) -> list[tuple[str, float]]:
        """``(key, float)`` per selected parameter: ``reduction`` of its data (or gradient), computed without
        autograd and without copying the tensor; keys ``"{tag}/weights_{reduction}/{name}"`` (``grads_``)."""
        kind = f"{'grads' if grads else 'weights'}_{getattr(self.reduction, '__name__', 'reduction')}"
        with torch.no_grad():
            return [(self._key(kind, n), float(self.reduction(t))) for n, t in self._named_tensors(grads)]


def _check_logger(logger: Any, logger_cls: type, message: str, error: type[Exception] = RuntimeError) -> None:
    """Raise ``error(message)`` unless ``logger`` is a ``logger_cls`` (the per-logger wrong-logger check)."""
    if not isinstance(logger, logger_cls):
        raise error(message)


def _check_event_known(event: Any) -> None:
    if event not in State.event_to_attr:
        raise RuntimeError(f"Unknown event name '{event}'")


class _NullBackend:
    """Stands in for a backend client on a rank that does not log: every attribute is a no-op callable."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _NULL_BACKEND

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return None

    def __bool__(self) -> bool:
        return False


_NULL_BACKEND = _NullBackend()


class BaseLogger(metaclass=ABCMeta):
    """Base of the experiment loggers: attaches :class:`BaseHandler` objects to engine events.

    Distributed runs: an experiment logger created on a process whose rank is not 0 is *inactive*: it creates
    no files and opens no connections, and ``attach`` registers nothing, so one script runs unchanged under
    ``idist.Parallel``. Set ``all_ranks = True`` on the logger class (or a subclass) to log from every rank.

    ```python
    with TensorboardLogger(log_dir="runs") as tb_logger:  # close() on exit
        tb_logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED(every=100), tag="training",
                                        output_transform=lambda loss: {"loss": loss})
        trainer.run(data, max_epochs=10)
    ```
    """

    def attach(
        self,
        engine: Engine,
        log_handler: Callable,
        event_name: str | CallableEventWithFilter | EventsList,
        *args: Any,
        **kwargs: Any,
    ) -> RemovableEventHandle:
        """Call ``log_handler(engine, self, event_name, *args, **kwargs)`` whenever ``event_name`` fires.

        ``event_name`` may be filtered (``Events.ITERATION_COMPLETED(every=10)``) or a list of events
        (``Events.STARTED | Events.COMPLETED``); every event must have a counter (``State.event_to_attr``).
        Returns a handle whose ``remove()`` detaches the handler.
        """
        if getattr(self, "_inactive", False):
            return RemovableEventHandle(event_name, log_handler, engine)
        if isinstance(event_name, EventsList):
            for name in event_name:
                _check_event_known(name)
            for name in event_name:
                engine.add_event_handler(name, log_handler, self, name, *args, **kwargs)
            return RemovableEventHandle(event_name, log_handler, engine)

        _check_event_known(event_name)
        return engine.add_event_handler(event_name, log_handler, self, event_name, *args, **kwargs)

    all_ranks: bool = False
    """Log from every process of a distributed run, not only from rank 0."""

    def _inactive_on_this_rank(self) -> bool:
        """Called first by a concrete logger's ``__init__``: true (and the logger marked inactive) when this
        process must not log. The caller then sets its backend attributes to :data:`_NULL_BACKEND` and returns
        before creating any client, file or connection."""
        if self.all_ranks:
            self._inactive = False
            return False
        from ignite import distributed as idist

        self._inactive = idist.get_rank() != 0
        return self._inactive

    def attach_output_handler(self, engine: Engine, event_name: Any, *args: Any, **kwargs: Any) -> RemovableEventHandle:
        """Attach the logger's output handler built with ``*args, **kwargs`` (see its ``OutputHandler``)."""
        return self.attach(engine, self._create_output_handler(*args, **kwargs), event_name=event_name)

    def attach_opt_params_handler(
        self, engine: Engine, event_name: Any, *args: Any, **kwargs: Any
    ) -> RemovableEventHandle | None:
        """Attach the logger's optimizer-parameter handler built with ``*args, **kwargs``."""
        return self.attach(engine, self._create_opt_params_handler(*args, **kwargs), event_name=event_name)

    @abstractmethod
    def _create_output_handler(self, *args: Any, **kwargs: Any) -> Callable:
        pass

    @abstractmethod
    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> Callable:
        pass

    def __enter__(self) -> BaseLogger:
        return self

    def __exit__(self, type: Any, value: Any, traceback: Any) -> None:
        self.close()

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release the backend (flush, close files or connections); the base does nothing."""
