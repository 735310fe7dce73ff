"""The :class:`Metric` base class, metric usages and the distributed decorators.

A metric is driven by three methods: ``reset`` (start of an accumulation), ``update`` (one batch) and
``compute`` (the value). ``attach`` wires them to an engine's events; a :class:`MetricUsage` says which
events (once per epoch, once per batch, running, filtered).

Accumulation rules shared by the metrics of this package:

* ``update`` never synchronises with the host: a batch is reduced on its own device and added to the
  accumulator there. Accumulators created on the CPU (the default device) follow the data onto an
  accelerator on the first update, so a CUDA evaluator pays no device-to-host copy per batch;
  ``compute()`` reads the value back once. A metric created on an accelerator keeps its accumulators there.
* a metric may defer part of its accumulation (the sum metrics keep per-batch sums in a list and add them
  to the float64 accumulator in one reduction): :meth:`Metric._fold_pending` brings the state attributes up
  to date and runs before the state is read as a whole (``sync_all_reduce``, ``state_dict``,
  ``load_state_dict``).
* distributed reduction happens once, in ``compute()`` (:func:`sync_all_reduce`), and leaves the local
  state untouched so that ``compute()`` can be called again.
* ``state_dict()`` copies tensors and ``load_state_dict()`` copies what it loads, since accumulators are
  updated in place.
"""

from __future__ import annotations

import functools
import linecache
import numbers
import sys
from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

import torch

from ignite.base.mixins import Serializable
from ignite.engine import _resumable
from ignite.engine.events import CallableEventWithFilter, Events
from ignite.utils import _CollectionItem, _rank, _tree_apply2, _tree_map

if TYPE_CHECKING:
    from ignite.engine.engine import Engine
    from ignite.metrics.metrics_lambda import MetricsLambda

__all__ = [
    "Metric",
    "MetricUsage",
    "EpochWise",
    "BatchWise",
    "BatchFiltered",
    "RunningEpochWise",
    "RunningBatchWise",
    "SingleEpochRunningBatchWise",
]

_Tensor = torch.Tensor
# output types that ``iteration_completed`` hands to ``update`` without the mapping/unrolling checks
_PASS_THROUGH = frozenset((_Tensor, float, int))
_set_grad_enabled = torch._C._set_grad_enabled
_is_grad_enabled = torch.is_grad_enabled


def _identity(x: Any) -> Any:
    return x


# --------------------------------------------------------------------------- distributed helpers


def _idist() -> Any:
    """``ignite.distributed``, imported on first use (keeps ``import ignite.metrics`` light)."""
    import ignite.distributed as idist

    return idist


def _world_size() -> int:
    return _idist().get_world_size()


# --------------------------------------------------------------------------- accumulation helpers


def _follow(acc: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``acc`` moved to ``device`` (float64 becomes float32 on MPS, which has no float64)."""
    if device.type == "mps" and acc.dtype == torch.float64:
        return acc.to(device=device, dtype=torch.float32)
    return acc.to(device)


# --------------------------------------------------------------------------- usages


class MetricUsage:
    """When a metric is reset (``STARTED``), updated (``ITERATION_COMPLETED``) and computed (``COMPLETED``)."""

    usage_name: str

    def __init__(self, started: Events, completed: Events, iteration_completed: CallableEventWithFilter) -> None:
        self.__started = started
        self.__completed = completed
        self.__iteration_completed = iteration_completed

    @property
    def STARTED(self) -> Events:
        return self.__started

    @property
    def COMPLETED(self) -> Events:
        return self.__completed

    @property
    def ITERATION_COMPLETED(self) -> CallableEventWithFilter:
        return self.__iteration_completed

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class EpochWise(MetricUsage):
    """Reset at each epoch start, update every iteration, compute at each epoch end (the default)."""

    usage_name: str = "epoch_wise"

    def __init__(self) -> None:
        super().__init__(
            started=Events.EPOCH_STARTED,
            completed=Events.EPOCH_COMPLETED,
            iteration_completed=Events.ITERATION_COMPLETED,
        )


class RunningEpochWise(EpochWise):
    """Reset once when the run starts, update and compute at each epoch end."""

    usage_name: str = "running_epoch_wise"

    def __init__(self) -> None:
        MetricUsage.__init__(
            self,
            started=Events.STARTED,
            completed=Events.EPOCH_COMPLETED,
            iteration_completed=Events.EPOCH_COMPLETED,
        )


class BatchWise(MetricUsage):
    """Reset, update and compute at every iteration (the value of each batch)."""

    usage_name: str = "batch_wise"

    def __init__(self) -> None:
        super().__init__(
            started=Events.ITERATION_STARTED,
            completed=Events.ITERATION_COMPLETED,
            iteration_completed=Events.ITERATION_COMPLETED,
        )


class RunningBatchWise(BatchWise):
    """Reset once when the run starts, update and compute at every iteration."""

    usage_name: str = "running_batch_wise"

    def __init__(self) -> None:
        MetricUsage.__init__(
            self,
            started=Events.STARTED,
            completed=Events.ITERATION_COMPLETED,
            iteration_completed=Events.ITERATION_COMPLETED,
        )


class SingleEpochRunningBatchWise(BatchWise):
    """Reset at each epoch start, update and compute at every iteration."""

    usage_name: str = "single_epoch_running_batch_wise"

    def __init__(self) -> None:
        MetricUsage.__init__(
            self,
            started=Events.EPOCH_STARTED,
            completed=Events.ITERATION_COMPLETED,
            iteration_completed=Events.ITERATION_COMPLETED,
        )


class BatchFiltered(MetricUsage):
    """Epoch-wise, but updated only on the iterations selected by ``Events.ITERATION_COMPLETED(*args, **kwargs)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            started=Events.EPOCH_STARTED,
            completed=Events.EPOCH_COMPLETED,
            iteration_completed=Events.ITERATION_COMPLETED(*args, **kwargs),
        )


_NAMED_USAGES: tuple[type[MetricUsage], ...] = (
    EpochWise,
    RunningEpochWise,
    BatchWise,
    RunningBatchWise,
    SingleEpochRunningBatchWise,
)


# --------------------------------------------------------------------------- attribute forwarding


def _capture_stack(skip: int) -> list[tuple[str, int, str]]:
    """Call sites (file, line, function) of the caller's stack, outermost first; formatting is deferred."""
    frames = []
    frame: FrameType | None = sys._getframe(skip)
    while frame is not None:
        frames.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    frames.reverse()
    return frames


def _make_lambda(fn: Callable, *args: Any, **kwargs: Any) -> MetricsLambda:
    from ignite.metrics.metrics_lambda import MetricsLambda

    return MetricsLambda(fn, *args, **kwargs)


def _format_stack(frames: list[tuple[str, int, str]]) -> str:
    lines = []
    for filename, lineno, name in frames:
        lines.append(f'  File "{filename}", line {lineno}, in {name}\n')
        text = linecache.getline(filename, lineno).strip()
        if text:
            lines.append(f"    {text}\n")
    return "".join(lines)


class _ForwardedCall:
    """``fn(x, *a, **kw) = getattr(x, attr)(*a, **kw)`` on a computed metric value (picklable, lazy stack)."""

    def __init__(self, attr: str, frames: list[tuple[str, int, str]]) -> None:
        self.attr = attr
        self.frames = frames

    def __call__(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            method = getattr(x, self.attr)
        except AttributeError:
            raise AttributeError(
                f"Metric result of type '{type(x)}' has no attribute '{self.attr}'. "
                f"Note: '{self.attr}' was accessed on the metric at:\n{_format_stack(self.frames)}"
            ) from None
        return method(*args, **kwargs)


# --------------------------------------------------------------------------- Metric


class Metric(Serializable, metaclass=ABCMeta):
    """Base class of all metrics.

    Args:
        output_transform: applied to ``engine.state.output`` before ``update`` when attached to an engine.
        device: device of the accumulators and of tensor results (default CPU; see the module docstring).
        skip_unrolling: pass list outputs to ``update`` as they are instead of one ``update`` per element.
        metrics_result_mode: for mapping results, store their items (``"flatten"``), the mapping under the
            metric's name (``"named"``) or both (``"both"``) in ``engine.state.metrics``.

    Subclasses implement :meth:`reset`, :meth:`update` and :meth:`compute` and list the attributes that make
    up their state in ``_state_dict_all_req_keys``. They must set every attribute used by ``reset`` before
    calling ``Metric.__init__`` (which calls ``reset``).
    """

    # the state-dict envelope key; name-mangled to ``_Metric__state_dict_key_per_rank``
    __state_dict_key_per_rank: str = "__metric_state_per_rank"
    _state_dict_all_req_keys: tuple[str, ...] = ()
    # keys added by ignite-ng beyond the upstream layout: tolerated as absent when loading older checkpoints
    _state_dict_added_keys: tuple[str, ...] = ()
    required_output_keys: tuple[str, ...] | None = ("y_pred", "y")
    # backward-compatible alias, bound once (not kept in sync with subclass overrides)
    _required_output_keys = required_output_keys
    # required keys that a mapping output may leave out (``update`` then receives a shorter tuple)
    _optional_output_keys: tuple[str, ...] = ()

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
        metrics_result_mode: str = "both",
    ) -> None:
        if not callable(output_transform):
            raise TypeError(f"Argument output_transform should be callable, got {type(output_transform)}")
        if torch.device(device).type == "xla":
            raise ValueError("Cannot create metric on an XLA device. Use device='cpu' instead.")
        self._output_transform = output_transform
        self._device = torch.device(device)
        self._skip_unrolling = skip_unrolling
        if not (isinstance(metrics_result_mode, str) and metrics_result_mode in ("flatten", "named", "both")):
            raise ValueError(
                f"Argument metrics_result_mode should be one of ('flatten', 'named', 'both'), got {metrics_result_mode}"
            )
        self._metrics_result_mode = metrics_result_mode
        self._double_dtype = torch.float32 if self._device.type == "mps" else torch.float64
        self.reset()

    @abstractmethod
    def reset(self) -> None:
        """Reset the metric to its initial state (called at the start of each accumulation)."""
        pass

    @abstractmethod
    def update(self, output: Any) -> None:
        """Accumulate one batch of (transformed) engine output."""
        pass

    @abstractmethod
    def compute(self) -> Any:
        """Compute the metric from the accumulated state."""
        pass

    # ------------------------------------------------------------------ engine handlers

    def started(self, engine: Engine) -> None:
        """Handler of ``usage.STARTED``: reset the metric."""
        self.reset()

    def _output_tuple(self, output: Mapping) -> tuple:
        keys = self.required_output_keys
        if keys is None:
            raise TypeError(
                f"Transformed engine output for {self.__class__.__name__} metric should be a tuple/list, "
                f"but given {type(output)}"
            )
        missing = [k for k in keys if k not in output]
        if missing and not all(k in self._optional_output_keys for k in missing):
            raise ValueError(
                f"When transformed engine's output is a mapping, it should contain {keys} keys, "
                f"but given {list(output.keys())}"
            )
        return tuple(output[k] for k in keys if k in output)

    def iteration_completed(self, engine: Engine) -> None:
        """Handler of ``usage.ITERATION_COMPLETED``: transform the engine output and ``update`` with it.

        Runs without gradient tracking. A mapping output is turned into a tuple of ``required_output_keys``;
        a pair of equally long lists of tensors/numbers is unrolled into one ``update`` per element unless
        ``skip_unrolling`` is set.
        """
        grad = _is_grad_enabled()
        if grad:
            _set_grad_enabled(False)
        try:
            output = self._output_transform(engine.state.output)
            # fast path: the usual ``(y_pred_tensor, y_tensor)`` pair, a tensor or a number goes straight to update
            kind = type(output)
            if (kind is tuple and output and type(output[0]) is _Tensor) or kind in _PASS_THROUGH:
                self.update(output)
                return
            if isinstance(output, Mapping):
                output = self._output_tuple(output)
            if not self._skip_unrolling and _is_unrollable(output):
                if not (len(output) == 2 and len(output[0]) == len(output[1])):
                    raise ValueError(
                        f"Output should have 2 items of the same length, "
                        f"got {len(output)} and {len(output[0])}, {len(output[1])}"
                    )
                for o1, o2 in zip(output[0], output[1]):
                    t1 = o1.unsqueeze(0) if isinstance(o1, torch.Tensor) else torch.tensor([o1])
                    t2 = o2.unsqueeze(0) if isinstance(o2, torch.Tensor) else torch.tensor([o2], device=t1.device)
                    self.update((t1, t2))
            else:
                self.update(output)
        finally:
            if grad:
                _set_grad_enabled(True)

    def completed(self, engine: Engine, name: str) -> None:
        """Handler of ``usage.COMPLETED``: ``compute`` and store the result in ``engine.state.metrics``.

        0-d tensors become Python numbers, other tensors move to the CPU; mapping results are stored per
        ``metrics_result_mode``.
        """
        result = self.compute()
        metrics = engine.state.metrics
        if isinstance(result, Mapping):
            mode = self._metrics_result_mode
            if mode != "flatten" and name in result.keys():
                raise ValueError(f"Argument name '{name}' is conflicting with mapping keys: {list(result.keys())}")
            if mode != "named":
                for key, value in result.items():
                    metrics[key] = value
            if mode != "flatten":
                metrics[name] = result
            return
        if isinstance(result, torch.Tensor):
            if result.ndim == 0:
                result = result.item()
            elif result.device.type != "cpu":
                result = result.cpu()
        metrics[name] = result

    # ------------------------------------------------------------------ attach / detach

    @staticmethod
    def _check_usage(usage: str | MetricUsage) -> MetricUsage:
        if isinstance(usage, str):
            for usage_cls in _NAMED_USAGES:
                if usage == usage_cls.usage_name:
                    return usage_cls()
            raise ValueError(
                "Argument usage should be '(Running)EpochWise.usage_name' or "
                f"'((SingleEpoch)Running)BatchWise.usage_name', got {usage}"
            )
        if not isinstance(usage, MetricUsage):
            raise TypeError(f"Unhandled usage type {type(usage)}")
        return usage

    def attach(self, engine: Engine, name: str, usage: str | MetricUsage = EpochWise()) -> None:
        """Compute the metric on ``engine`` and store it as ``engine.state.metrics[name]``.

        ``usage`` (a :class:`MetricUsage` or its ``usage_name``) selects the events; attaching one metric under
        several names updates it once per iteration.
        """
        usage = self._check_usage(usage)
        _resumable.register(engine, self, f"metric/{name}")  # resumable state under a stable key (ExactResume)
        if not engine.has_event_handler(self.started, usage.STARTED):
            engine.add_event_handler(usage.STARTED, self.started)
        if not engine.has_event_handler(self.iteration_completed, usage.ITERATION_COMPLETED):
            engine.add_event_handler(usage.ITERATION_COMPLETED, self.iteration_completed)
        engine.add_event_handler(usage.COMPLETED, self.completed, name)

    def detach(self, engine: Engine, usage: str | MetricUsage = EpochWise()) -> None:
        """Remove the handlers added by :meth:`attach` for ``usage``."""
        usage = self._check_usage(usage)
        for handler, event in (
            (self.completed, usage.COMPLETED),
            (self.started, usage.STARTED),
            (self.iteration_completed, usage.ITERATION_COMPLETED),
        ):
            if engine.has_event_handler(handler, event):
                engine.remove_event_handler(handler, event)

    def is_attached(self, engine: Engine, usage: str | MetricUsage = EpochWise()) -> bool:
        """Whether the metric's ``completed`` handler is registered for ``usage``."""
        usage = self._check_usage(usage)
        return engine.has_event_handler(self.completed, usage.COMPLETED)

    # ------------------------------------------------------------------ state dict

    def _fold_pending(self) -> None:
        """Fold work that ``update`` deferred into the state attributes (nothing by default).

        Called before the state is read as a whole: by :func:`sync_all_reduce` and by the state-dict methods.
        """

    def _state_dict_per_rank(self) -> OrderedDict:
        self._fold_pending()

        def save(x: Any, **kwargs: Any) -> Any:
            if isinstance(x, Metric):
                return x._state_dict_per_rank()
            if isinstance(x, torch.Tensor):
                # a copy: accumulators are updated in place, the saved state must not follow them
                return x.detach().clone()
            if x is None or isinstance(x, (int, float)):
                return x
            raise TypeError(
                "Found attribute of unsupported type. Currently, supported types include numeric types, tensor, "
                "Metric or sequence/mapping of metrics."
            )

        state: OrderedDict = OrderedDict()
        for attr_name in self._state_dict_all_req_keys:
            if attr_name not in self.__dict__:
                raise ValueError(
                    f"Found a value in _state_dict_all_req_keys that is not among metric attributes: {attr_name}"
                )
            state[attr_name] = _tree_map(save, self.__dict__[attr_name])
        return state

    def state_dict(self) -> OrderedDict:
        """``{"__metric_state_per_rank": [state of rank 0, state of rank 1, ...]}`` (gathered across ranks)."""
        state = self._state_dict_per_rank()
        if _world_size() > 1:
            return OrderedDict([(self.__state_dict_key_per_rank, _idist().all_gather(state))])
        return OrderedDict([(self.__state_dict_key_per_rank, [state])])

    def _load_state_dict_per_rank(self, state_dict: Mapping) -> None:
        self._fold_pending()
        missing_added = [k for k in self._state_dict_added_keys if k not in state_dict]
        keys = tuple(k for k in self._state_dict_all_req_keys if k not in missing_added)
        if missing_added:  # an older checkpoint: keys added by ignite-ng keep their reset values
            _check_required_keys(state_dict, keys)
        else:
            Serializable.load_state_dict(self, state_dict)

        def load(x: Any, y: Any) -> None:
            if isinstance(x, Metric):
                x._load_state_dict_per_rank(y)
            elif isinstance(x, _CollectionItem):
                value = x.value()
                if y is None or isinstance(y, _CollectionItem.types_as_collection_item):
                    x.load_value(_own(y))
                elif isinstance(value, Metric):
                    value._load_state_dict_per_rank(y)
                else:
                    raise ValueError(f"Unsupported type for provided state_dict data: {type(y)}")

        for attr_name in keys:
            current, saved = self.__dict__[attr_name], state_dict[attr_name]
            if isinstance(current, (list, dict)) and not _contains_metric(current):
                # a container of plain values (e.g. stored batches): the saved one replaces it, whatever its size
                self.__dict__[attr_name] = _tree_map(_check_saved_leaf, saved)
                continue
            _tree_apply2(load, _CollectionItem.wrap(self.__dict__, attr_name, current), saved)

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Load the state saved by :meth:`state_dict` (this rank's entry)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Argument state_dict should be a dictionary, but given {type(state_dict)}")
        key = self.__state_dict_key_per_rank
        prefix = (
            "Incorrect state_dict object. Argument state_dict should be a dictionary provided by Metric.state_dict(). "
        )
        if not (len(state_dict) == 1 and key in state_dict):
            raise ValueError(prefix + f"Expected single key: {key}, but given {state_dict.keys()}")
        per_rank = state_dict[key]
        world_size = _world_size()
        if len(per_rank) != world_size:
            raise ValueError(
                prefix
                + f"Expected a list of state_dicts of size equal world_size: {world_size}, but got {len(per_rank)}"
            )
        self._load_state_dict_per_rank(per_rank[_rank()])

    # ------------------------------------------------------------------ operators -> MetricsLambda

    def __add__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x + y, self, other)

    def __radd__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x + y, other, self)

    def __sub__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x - y, self, other)

    def __rsub__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x - y, other, self)

    def __mul__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x * y, self, other)

    def __rmul__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x * y, other, self)

    def __pow__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x**y, self, other)

    def __rpow__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x**y, other, self)

    def __mod__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x % y, self, other)

    def __truediv__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x / y, self, other)

    def __rtruediv__(self, other: Any) -> MetricsLambda:
        # upstream evaluated ``other.__truediv__(result)``, which is NotImplemented for ``1 / tensor``
        return _make_lambda(lambda x, y: x / y, other, self)

    def __floordiv__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x // y, self, other)

    def __getitem__(self, index: Any) -> MetricsLambda:
        return _make_lambda(lambda x: x[index], self)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            return object.__getattribute__(self, attr)
        fn = _ForwardedCall(attr, _capture_stack(2))

        def wrapper(*args: Any, **kwargs: Any) -> MetricsLambda:
            return _make_lambda(fn, self, *args, **kwargs)

        return wrapper

    def __getstate__(self) -> dict:
        return self.__dict__

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)


def _contains_metric(x: Any) -> bool:
    if isinstance(x, Metric):
        return True
    if isinstance(x, Mapping):
        return any(_contains_metric(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return any(_contains_metric(v) for v in x)
    return False


def _own(y: Any) -> Any:
    """A loaded value that the metric may update in place without touching the caller's state dict."""
    return y.detach().clone() if isinstance(y, torch.Tensor) else y


def _check_saved_leaf(y: Any, **kwargs: Any) -> Any:
    if y is None or isinstance(y, _CollectionItem.types_as_collection_item):
        return _own(y)
    raise ValueError(f"Unsupported type for provided state_dict data: {type(y)}")


def _check_required_keys(state_dict: Mapping, keys: tuple[str, ...]) -> None:
    for k in keys:
        if k not in state_dict:
            raise ValueError(f"Required state attribute '{k}' is absent in provided state_dict '{state_dict.keys()}'")


def _is_unrollable(output: Any) -> bool:
    """Whether ``output`` is a sequence of sequences of tensors/numbers (per-sample lists to unroll)."""
    if not isinstance(output, Sequence):
        return False
    for item in output:
        if isinstance(item, torch.Tensor) or not isinstance(item, Sequence):
            return False
        for x in item:
            if not isinstance(x, (torch.Tensor, numbers.Number)):
                return False
    return True


# --------------------------------------------------------------------------- decorators


def reinit__is_reduced(func: Callable) -> Callable:
    """Decorator for ``reset``/``update``: invalidate a cached ``_result`` after the call."""

    @functools.wraps(func)
    def wrapper(self: Metric, *args: Any, **kwargs: Any) -> None:
        func(self, *args, **kwargs)
        if "_result" in self.__dict__:
            self._result = None  # type: ignore[attr-defined]

    wrapper._decorated = True  # type: ignore[attr-defined]
    return wrapper


_REDUCE_OPS = ["MIN", "MAX", "SUM", "PRODUCT"]


def _all_reduce_attrs(metric: Metric, attrs: tuple[str, ...]) -> dict[str, Any]:
    """All-reduce the named attributes in place; returns their local values.

    Attributes sharing an op, dtype and device travel in one collective (numbers as int64/float64).
    """
    idist = _idist()
    local: dict[str, Any] = {}
    groups: dict[tuple, list[tuple[str, Any]]] = {}
    for spec in attrs:
        name, _, op = spec.partition(":")
        op = op or "SUM"
        if op not in _REDUCE_OPS:
            raise ValueError(f"Reduction operation is not valid (expected : {_REDUCE_OPS}, got: {op}")
        if name not in metric.__dict__:
            raise ValueError(f"Metric {type(metric)} has no attribute named `{name}`.")
        value = metric.__dict__[name]
        if not isinstance(value, (numbers.Number, torch.Tensor)):
            raise TypeError(
                f"Attribute provided to sync_all_reduce should be a number or tensor but `{name}` "
                f"has type {type(value)}"
            )
        local[name] = value
        if isinstance(value, torch.Tensor):
            key: tuple = (op, value.dtype, value.device)
        else:
            key = (op, torch.int64 if isinstance(value, numbers.Integral) else torch.float64, None)
        groups.setdefault(key, []).append((name, value))

    for (op, dtype, device), members in groups.items():
        device = device or next((v.device for _, v in members if isinstance(v, torch.Tensor)), torch.device("cpu"))
        flat = [
            v.reshape(-1) if isinstance(v, torch.Tensor) else torch.tensor([v], dtype=dtype, device=device)
            for _, v in members
        ]
        packed = idist.all_reduce(torch.cat(flat) if len(flat) > 1 else flat[0].clone(), op=op)
        offset = 0
        for name, value in members:
            if isinstance(value, torch.Tensor):
                reduced: Any = packed[offset : offset + value.numel()].reshape(value.shape)
                offset += value.numel()
            else:
                reduced = packed[offset].item()
                offset += 1
                if isinstance(value, bool):
                    reduced = bool(reduced)
            setattr(metric, name, reduced)
    return local


def sync_all_reduce(*attrs: str) -> Callable:
    """Decorator factory for ``compute``: all-reduce ``attrs`` (``"name"`` or ``"name:OP"``) while it runs.

    ``OP`` is one of ``MIN``, ``MAX``, ``SUM`` (default), ``PRODUCT``. Only with world size > 1; the local
    values are restored afterwards, so calling ``compute`` twice never double-counts.
    """

    def wrapper(func: Callable) -> Callable:
        @functools.wraps(func)
        def another_wrapper(self: Metric, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(self, Metric):
                raise RuntimeError(
                    "Decorator sync_all_reduce should be used on ignite.metric.Metric class methods only"
                )
            self._fold_pending()
            if len(attrs) == 0 or _world_size() <= 1:
                return func(self, *args, **kwargs)
            local = _all_reduce_attrs(self, attrs)
            try:
                return func(self, *args, **kwargs)
            finally:
                for name, value in local.items():
                    setattr(self, name, value)

        return another_wrapper

    wrapper._decorated = True  # type: ignore[attr-defined]
    return wrapper
