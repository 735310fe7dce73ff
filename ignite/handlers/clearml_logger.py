"""ClearML experiment logger and checkpoint saver."""

from __future__ import annotations

import os
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import torch
import torch.nn as nn

import ignite.distributed as idist
from ignite.handlers.base_logger import (
    _NULL_BACKEND,
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    BaseWeightsHandler,
    BaseWeightsScalarHandler,
    _check_logger,
)
from ignite.handlers.checkpoint import DiskSaver
from ignite.handlers.utils import global_step_from_engine

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = [
    "ClearMLLogger",
    "ClearMLSaver",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsScalarHandler",
    "WeightsHistHandler",
    "GradsScalarHandler",
    "GradsHistHandler",
    "global_step_from_engine",
]

_MISSING = (
    "This contrib module requires clearml to be installed. You may install clearml using: \n pip install clearml \n"
)


def _import_task() -> Any:
    try:
        from clearml import Task
    except ImportError:
        try:  # the package's former name
            from trains import Task
        except ImportError as exc:
            raise ModuleNotFoundError(_MISSING) from exc
    return Task


class ClearMLLogger(BaseLogger):
    """Log to a ClearML task: the current one, or one made by ``Task.init(project_name=..., task_name=...,
    task_type=..., **kwargs)``.

    In *bypass mode* (``ClearMLLogger.set_bypass_mode(True)``, on by default when the ``CI`` environment variable
    is set) the task runs offline and nothing is sent to a server. Other attributes are forwarded to the task's
    ClearML logger (``logger.report_text(...)``). On a process of rank other than 0 the logger is inactive.

    ```python
    clearml_logger = ClearMLLogger(project_name="digits", task_name="mlp")
    clearml_logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="training",
                                         output_transform=lambda loss: {"loss": loss})
    ```
    """

    _bypass: bool | None = None

    def __init__(self, **kwargs: Any) -> None:
        if self._inactive_on_this_rank():
            self._task = self.clearml_logger = self.grad_helper = _NULL_BACKEND
            return
        Task = _import_task()
        try:
            from clearml.binding.frameworks.tensorflow_bind import WeightsGradientHistHelper
        except ImportError as exc:
            raise ModuleNotFoundError(_MISSING) from exc

        if self.bypass_mode():
            warnings.warn("ClearMLSaver: running in bypass mode")
            Task.set_offline(offline_mode=True)

        self._task = Task.current_task()
        if self._task is None:
            self._task = Task.init(
                project_name=kwargs.pop("project_name", None),
                task_name=kwargs.pop("task_name", None),
                task_type=kwargs.pop("task_type", Task.TaskTypes.training),
                **kwargs,
            )
        self.clearml_logger = self._task.get_logger()
        self.grad_helper = WeightsGradientHistHelper(logger=self.clearml_logger, report_freq=1)

    @classmethod
    def set_bypass_mode(cls, bypass: bool) -> None:
        """Run every ClearML task of this process offline (``True``) or connected (``False``)."""
        cls._bypass = bypass
        _import_task().set_offline(offline_mode=bypass)

    @classmethod
    def bypass_mode(cls) -> bool:
        """Whether bypass (offline) mode is on: as set by :meth:`set_bypass_mode`, else when ``CI`` is set."""
        bypass = getattr(cls, "_bypass", None)
        return bool(os.environ.get("CI")) if bypass is None else bypass

    def __getattr__(self, attr: str) -> Any:
        clearml_logger = self.__dict__.get("clearml_logger")
        if clearml_logger is None:
            raise AttributeError(attr)
        return getattr(clearml_logger, attr)

    def get_task(self) -> Any:
        """The ClearML task this logger reports to."""
        return self._task

    def close(self) -> None:
        """Flush the reports and close the task."""
        self.clearml_logger.flush()
        self._task.close()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


def _check_clearml(message: str, logger: Any) -> None:
    _check_logger(logger, ClearMLLogger, message)


def _title_prefix(tag: str | None) -> str:
    return f"{tag}/" if tag else ""


class OutputHandler(BaseOutputHandler):
    """Report metrics, transformed outputs and state attributes as scalars: ``("tag", "loss")`` becomes
    title ``tag``, series ``loss``; deeper keys ``("tag", "b", "c", "1")`` become title ``tag/b``, series ``c/1``.

    Args: see :class:`~ignite.handlers.base_logger.BaseOutputHandler`.
    """

    def __call__(self, engine: Engine, logger: ClearMLLogger, event_name: Any) -> None:
        _check_clearml("Handler OutputHandler works only with ClearMLLogger", logger)
        metrics = self._setup_output_metrics_state_attrs(engine, key_tuple=True)
        step = self._global_step(engine, event_name)
        for key, value in metrics.items():
            if len(key) == 2:
                title, series = key
            else:
                title, series = f"{key[0]}/{key[1]}", "/".join(key[2:])
            logger.clearml_logger.report_scalar(title=title, series=series, iteration=step, value=value)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Report ``param_name`` of every parameter group: title ``"{tag}/{param_name}"``, series the group index.

    Args: see :class:`~ignite.handlers.base_logger.BaseOptimizerParamsHandler`.
    """

    def __call__(self, engine: Engine, logger: ClearMLLogger, event_name: Any) -> None:
        _check_clearml("Handler OptimizerParamsHandler works only with ClearMLLogger", logger)
        step = engine.state.get_event_attrib_value(event_name)
        title = f"{_title_prefix(self.tag)}{self.param_name}"
        for i, value in self._param_values():
            logger.clearml_logger.report_scalar(title=title, series=str(i), value=value, iteration=step)


def _head_rest(name: str) -> tuple[str, str]:
    head, _, rest = name.partition(".")
    return head, rest


class _ScalarsHandler(BaseWeightsScalarHandler):
    _kind = "weights"
    _handler = "WeightsScalarHandler"

    def _tensor(self, p: nn.Parameter) -> torch.Tensor | None:
        return p.data

    def __call__(self, engine: Engine, logger: ClearMLLogger, event_name: Any) -> None:
        _check_clearml(f"Handler {self._handler} works only with ClearMLLogger", logger)
        step = engine.state.get_event_attrib_value(event_name)
        prefix = f"{_title_prefix(self.tag)}{self._kind}_{self.reduction.__name__}"
        with torch.no_grad():
            for name, p in self.weights:
                tensor = self._tensor(p)
                if tensor is None:
                    continue
                value = self.reduction(tensor)
                value = value.item() if isinstance(value, torch.Tensor) else value
                head, rest = _head_rest(name)
                logger.clearml_logger.report_scalar(title=f"{prefix}/{head}", series=rest, value=value, iteration=step)


class WeightsScalarHandler(_ScalarsHandler):
    """Report ``reduction(parameter)`` (``torch.norm`` by default): title ``"{tag}/weights_{reduction}/{first
    part of the name}"``, series the rest of the name. Args: see
    :class:`~ignite.handlers.base_logger.BaseWeightsScalarHandler`.
    """


class GradsScalarHandler(_ScalarsHandler):
    """Report ``reduction(parameter.grad)`` like :class:`WeightsScalarHandler` (title ``.../grads_{reduction}/...``);
    parameters without a gradient are skipped."""

    _kind = "grads"
    _handler = "GradsScalarHandler"

    def _tensor(self, p: nn.Parameter) -> torch.Tensor | None:
        return p.grad


class _HistHandler(BaseWeightsHandler):
    _kind = "weights"
    _handler = "'WeightsHistHandler'"

    def _tensor(self, p: nn.Parameter) -> torch.Tensor | None:
        return p.data

    def __call__(self, engine: Engine, logger: ClearMLLogger, event_name: Any) -> None:
        _check_clearml(f"Handler {self._handler} works only with ClearMLLogger", logger)
        step = engine.state.get_event_attrib_value(event_name)
        prefix = f"{_title_prefix(self.tag)}{self._kind}"
        for name, p in self.weights:
            tensor = self._tensor(p)
            if tensor is None:
                continue
            head, rest = _head_rest(name)
            logger.grad_helper.add_histogram(
                title=f"{prefix}_{head}", series=rest, step=step, hist_data=tensor.detach().cpu().numpy()
            )


class WeightsHistHandler(_HistHandler):
    """Report a histogram of each selected parameter: title ``"{tag}/weights_{first part of the name}"``,
    series the rest. Args: see :class:`~ignite.handlers.base_logger.BaseWeightsHandler`."""


class GradsHistHandler(_HistHandler):
    """Report a histogram of each selected parameter's gradient (title ``"{tag}/grads_{...}"``); parameters
    without a gradient are skipped."""

    _kind = "grads"
    _handler = "'GradsHistHandler'"

    def _tensor(self, p: nn.Parameter) -> torch.Tensor | None:
        return p.grad


class ClearMLSaver(DiskSaver):
    """Save checkpoints to a local directory and register them with the ClearML task as output models.

    Args:
        logger: the :class:`ClearMLLogger` whose task receives the models; default: the current task.
        output_uri: where ClearML uploads the models (``task.output_uri``).
        dirname: the local directory; default: a new temporary directory (shared by all ranks).
        *args: passed to :class:`~ignite.handlers.checkpoint.DiskSaver`.
        **kwargs: passed to :class:`~ignite.handlers.checkpoint.DiskSaver` (``atomic`` defaults to False).
    """

    def __init__(
        self,
        logger: ClearMLLogger | None = None,
        output_uri: str | None = None,
        dirname: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self._setup_check_clearml(logger, output_uri)

        if not dirname:
            dirname = ""
            if idist.get_rank() == 0:
                dirname = tempfile.mkdtemp(prefix=f"ignite_checkpoints_{datetime.now():%Y_%m_%d_%H_%M_%S_}")
            if idist.get_world_size() > 1:
                dirname = idist.all_gather(dirname)[0]  # type: ignore[index,assignment]
            warnings.warn(f"ClearMLSaver created a temporary checkpoints directory: {dirname}")
            idist.barrier()

        if "atomic" not in kwargs:
            kwargs["atomic"] = False
        self._checkpoint_slots: defaultdict[tuple[str, str], list[str | None]] = defaultdict(list)
        super().__init__(dirname, *args, **kwargs)

    @idist.one_rank_only()
    def _setup_check_clearml(self, logger: ClearMLLogger | None, output_uri: str | None) -> None:
        Task = _import_task()
        if logger and not isinstance(logger, ClearMLLogger):
            raise TypeError("logger must be an instance of ClearMLLogger")
        self._task = Task.current_task()
        if not self._task:
            raise RuntimeError(
                "ClearMLSaver requires a ClearML Task to be initialized. "
                "Please use the `logger` argument or call `clearml.Task.init()`."
            )
        if output_uri:
            self._task.output_uri = output_uri

    class _CallbacksContext:
        """Pre/post upload callbacks of one save: a stable slot name for the upload, model name and comment."""

        def __init__(
            self,
            callback_type: Any,
            slots: list[str | None],
            checkpoint_key: str,
            filename: str,
            basename: str,
            metadata: Mapping | None = None,
        ) -> None:
            self._callback_type = callback_type
            self._slots = slots
            self._checkpoint_key = str(checkpoint_key)
            self._filename = filename
            self._basename = basename
            self._metadata = metadata

        def pre_callback(self, action: str, model_info: Any) -> Any:
            if action != self._callback_type.save:
                return model_info
            try:
                slot = self._slots.index(None)
                self._slots[slot] = model_info.upload_filename
            except ValueError:
                self._slots.append(model_info.upload_filename)
                slot = len(self._slots) - 1
            model_info.upload_filename = f"{self._basename}_{slot}{os.path.splitext(self._filename)[1]}"
            model_info.local_model_id = f"{self._checkpoint_key}:{model_info.upload_filename}"
            return model_info

        def post_callback(self, action: str, model_info: Any) -> Any:
            if action != self._callback_type.save:
                return model_info
            model_info.model.name = f"{model_info.task.name}: {self._filename}"
            prefix = "Checkpoint Metadata: "
            metadata_items = ", ".join(f"{k}={v}" for k, v in self._metadata.items()) if self._metadata else "none"
            metadata_line = f"{prefix}{metadata_items}"
            comment = "\n".join(
                metadata_line if line.startswith(prefix) else line
                for line in (model_info.model.comment or "").split("\n")
            )
            if prefix not in comment:
                comment += "\n" + metadata_line
            model_info.model.comment = comment
            return model_info

    def __call__(self, checkpoint: Mapping, filename: str, metadata: Mapping | None = None) -> None:
        try:
            from clearml.binding.frameworks import WeightsFileHandler
        except ImportError:
            try:
                from trains.binding.frameworks import WeightsFileHandler
            except ImportError as exc:
                raise ModuleNotFoundError(_MISSING) from exc

        try:
            basename = metadata["basename"]  # type: ignore[index]
        except (TypeError, KeyError):
            warnings.warn("Checkpoint metadata missing or basename cannot be found")
            basename = "checkpoint"

        checkpoint_key = (str(self.dirname), basename)
        cb_context = self._CallbacksContext(
            callback_type=WeightsFileHandler.CallbackType,
            slots=self._checkpoint_slots[checkpoint_key],
            checkpoint_key=str(checkpoint_key),
            filename=filename,
            basename=basename,
            metadata=metadata,
        )
        pre_cb_id = WeightsFileHandler.add_pre_callback(cb_context.pre_callback)
        post_cb_id = WeightsFileHandler.add_post_callback(cb_context.post_callback)
        try:
            super().__call__(checkpoint, filename, metadata)
        finally:
            WeightsFileHandler.remove_pre_callback(pre_cb_id)
            WeightsFileHandler.remove_post_callback(post_cb_id)

    @idist.one_rank_only()
    def get_local_copy(self, filename: str) -> str | None:
        """A local copy of the artifact ``filename`` of the task, or None (reported as text) if there is none."""
        artifact = self._task.artifacts.get(filename)
        if artifact:
            return artifact.get_local_copy()
        self._task.get_logger().report_text(f"Can not find artifact {filename}")
        return None

    @idist.one_rank_only()
    def remove(self, filename: str) -> None:
        super().remove(filename)
        for slots in self._checkpoint_slots.values():
            try:
                slots[slots.index(filename)] = None
            except ValueError:
                continue
            break
