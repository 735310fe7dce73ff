"""Parameter schedulers: set an optimizer's parameter (lr, momentum, ...) or a data loader's batch size per event.

Every scheduler computes the value of event ``k`` from its ``event_index == k`` and then advances, so a scheduler
attached to ``Events.ITERATION_STARTED`` gives iteration 1 the value of ``k = 0``. All of them have
``state_dict``/``load_state_dict``: a run resumed from a checkpoint continues the schedule where it stopped.

```python
scheduler = CosineAnnealingScheduler(optimizer, "lr", start_value=0.1, end_value=0.001, cycle_size=1000)
trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
```
"""

from __future__ import annotations

import copy
import itertools
import math
import numbers
import warnings
from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts, ReduceLROnPlateau
from torch.optim.lr_scheduler import LRScheduler as PyTorchLRScheduler
from torch.utils.data import DataLoader
from torch.utils.data.sampler import BatchSampler

from ignite.engine import Engine, Events

__all__ = [
    "BaseParamScheduler",
    "ParamScheduler",
    "CyclicalScheduler",
    "LinearCyclicalScheduler",
    "CosineAnnealingScheduler",
    "ConcatScheduler",
    "LRScheduler",
    "PiecewiseLinear",
    "ParamGroupScheduler",
    "ReduceLROnPlateauScheduler",
    "BatchSizeScheduler",
    "create_lr_scheduler_with_warmup",
]

_MATPLOTLIB_MISSING = (
    "This method requires matplotlib to be installed. Please install it with command: \n pip install matplotlib"
)


def _import_pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ModuleNotFoundError(_MATPLOTLIB_MISSING) from None
    return plt


def _get_fake_optimizer(optimizer_cls: type[Optimizer] | None = None, **kwargs: Any) -> Optimizer:
    """An optimizer over one zero tensor (SGD with lr 0.01 when no class is given), for simulations."""
    t = torch.zeros([1], requires_grad=True)
    if optimizer_cls is None:
        optimizer_cls = torch.optim.SGD
        kwargs["lr"] = 0.01
    return optimizer_cls([t], **kwargs)


def _snapshot_param_groups(optimizer: Any) -> list[dict]:
    """Shallow copies of the optimizer's param groups (what a simulation may change: lr, momentum, ...)."""
    return [dict(group) for group in optimizer.param_groups]


def _restore_param_groups(optimizer: Any, snapshot: list[dict]) -> None:
    for group, saved in zip(optimizer.param_groups, snapshot):
        group.clear()
        group.update(saved)


def _append_history(engine: Engine, name: str, value: Any) -> None:
    history = getattr(engine.state, "param_history", None)
    if history is None:
        history = engine.state.param_history = {}
    history.setdefault(name, []).append(value)


def _unique_optimizers(schedulers: Sequence[Any]) -> list[Any]:
    """The distinct optimizers (by identity) of schedulers; a ParamGroupScheduler contributes its list."""
    seen: dict[int, Any] = {}
    for s in schedulers:
        for opt in s.optimizer if isinstance(s.optimizer, list) else [s.optimizer]:
            seen.setdefault(id(opt), opt)
    return list(seen.values())


class BaseParamScheduler(metaclass=ABCMeta):
    """Base of every scheduler: ``param_name``, an event counter and state (de)serialisation.

    ``state_dict()`` holds the attributes listed in ``_state_attrs``; a subclass that keeps more state extends it.
    """

    def __init__(self, param_name: str, save_history: bool = False) -> None:
        self.param_name = param_name
        self.event_index = 0
        self._save_history = save_history
        self._state_attrs = ["event_index", "param_name", "save_history"]

    @property
    def save_history(self) -> bool:
        return self._save_history

    @save_history.setter
    def save_history(self, value: bool) -> None:
        self._save_history = value

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: every name of ``_state_attrs`` (objects with ``state_dict`` give theirs)."""
        destination = OrderedDict()
        for name in self._state_attrs:
            if hasattr(self, name):
                value = getattr(self, name)
                if hasattr(value, "state_dict"):
                    value = value.state_dict()
                destination[name] = copy.copy(value)
        return destination

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore a state saved by :meth:`state_dict`; the schedule continues from the saved event."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Argument state_dict should be a dictionary, but given {type(state_dict)}")
        for name in self._state_attrs:
            if name not in state_dict:
                raise ValueError(
                    f"Required state attribute '{name}' is absent in provided state_dict '{state_dict.keys()}'"
                )
            value = state_dict[name]
            current = getattr(self, name, None)
            if isinstance(value, Mapping) and hasattr(current, "load_state_dict"):
                current.load_state_dict(value)
            else:
                setattr(self, name, copy.copy(value))

    @abstractmethod
    def get_param(self) -> float | list[float]:
        """The value of the current event (``event_index``)."""

    @classmethod
    @abstractmethod
    def simulate_values(cls, num_events: int, **scheduler_kwargs: Any) -> list[list]:
        """Rows ``[event, value, ...]`` the scheduler would produce over ``num_events`` events."""

    @classmethod
    def plot_values(cls, num_events: int, **scheduler_kwargs: Any) -> Any:
        """Plot :meth:`simulate_values` with matplotlib; one line per value column. Returns the lines."""
        plt = _import_pyplot()
        values = cls.simulate_values(num_events=num_events, **scheduler_kwargs)
        label = scheduler_kwargs.get("param_name", "learning rate")
        xs = [row[0] for row in values]
        n_columns = max((len(row) for row in values), default=2) - 1
        lines: list = []
        for j in range(n_columns):
            ys = [row[j + 1] for row in values]
            lines += plt.plot(xs, ys, label=label if n_columns == 1 else f"{label} [{j}]")
        plt.legend()
        plt.grid(which="both")
        return lines


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, torch.Tensor) else value  # a tensor lr is updated in place


def _assign(group: dict, name: str, value: Any) -> None:
    """``group[name] = value``, in place when the group holds a tensor (a compiled optimizer's tensor ``lr``,
    which a new object would make torch recompile)."""
    current = group.get(name)
    if isinstance(current, torch.Tensor) and not isinstance(value, torch.Tensor):
        current.fill_(value)
    else:
        group[name] = value


class ParamScheduler(BaseParamScheduler):
    """A scheduler of an optimizer parameter, written into the (selected) param groups at each call.

    ``param_group_index`` restricts it to one param group. With ``save_history=True`` the values set are
    appended to ``engine.state.param_history[param_name]``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        param_name: str,
        save_history: bool = False,
        param_group_index: int | None = None,
    ) -> None:
        super().__init__(param_name, save_history)
        if not (
            isinstance(optimizer, Optimizer)
            or (hasattr(optimizer, "param_groups") and isinstance(optimizer.param_groups, Sequence))
        ):
            raise TypeError(
                "Argument optimizer should be torch.optim.Optimizer or has attribute 'param_groups' as list/tuple, "
                f"but given {type(optimizer)}"
            )
        self.optimizer = optimizer
        self.param_group_index = param_group_index
        self._state_attrs += ["param_group_index"]

    @property
    def optimizer_param_groups(self) -> list[dict[str, Any]]:
        if self.param_group_index is None:
            return self.optimizer.param_groups
        return [self.optimizer.param_groups[self.param_group_index]]

    def attach(self, engine: Engine, event: Any = Events.ITERATION_STARTED) -> None:
        """Call the scheduler on ``event`` of ``engine``."""
        engine.add_event_handler(event, self)

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        value = self._get_param()
        groups = self.optimizer_param_groups
        if isinstance(value, list):
            if len(value) != len(groups):
                raise ValueError(
                    f"size of value is different than optimizer_param_groups {len(value)} != {len(groups)}"
                )
            for group, v in zip(groups, value):
                _assign(group, self.param_name, v)
        else:
            for group in groups:
                _assign(group, self.param_name, value)
        if self._save_history and engine:
            _append_history(engine, name or self.param_name, [_plain(group[self.param_name]) for group in groups])
        self.event_index += 1

    def _get_param(self) -> float | list[float]:
        """Hook for subclasses whose value depends on more than ``get_param`` (cyclical warm-up)."""
        return self.get_param()

    @classmethod
    def simulate_values(cls, num_events: int, **scheduler_kwargs: Any) -> list[list]:
        """Rows ``[event, value]`` of the scheduler built with ``scheduler_kwargs`` over a throw-away optimizer."""
        kwargs = {k: v for k, v in scheduler_kwargs.items() if k not in ("optimizer", "save_history")}
        scheduler = cls(optimizer=_get_fake_optimizer(), save_history=False, **kwargs)
        values = []
        for i in range(num_events):
            scheduler(engine=None)
            values.append([i, scheduler.optimizer_param_groups[0][scheduler.param_name]])
        return values


class CyclicalScheduler(ParamScheduler):
    """Base of schedulers that cycle between ``start_value`` and ``end_value`` every ``cycle_size`` events.

    After each cycle the cycle length is multiplied by ``cycle_mult``, the start value by ``start_value_mult``
    and the end value by ``end_value_mult``. ``warmup_duration`` events at the end of a cycle go linearly from
    the end value back to the (new) start value.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        param_name: str,
        start_value: float,
        end_value: float,
        cycle_size: int,
        cycle_mult: float = 1.0,
        start_value_mult: float = 1.0,
        end_value_mult: float = 1.0,
        warmup_duration: int = 0,
        save_history: bool = False,
        param_group_index: int | None = None,
    ) -> None:
        super().__init__(optimizer, param_name, save_history=save_history, param_group_index=param_group_index)
        self.start_value = start_value
        self.end_value = end_value
        self.cycle_size = int(cycle_size)
        self.cycle_mult = cycle_mult
        self.cycle = 0
        self.start_value_mult = start_value_mult
        self.end_value_mult = end_value_mult
        self.warmup_duration = warmup_duration
        self.total_cycle_size = self.warmup_duration + self.cycle_size
        if self.cycle_size < 2:
            raise ValueError(f"Argument cycle_size should be positive and larger than 1, but given {cycle_size}")
        self._state_attrs += [
            "start_value",
            "end_value",
            "cycle_size",
            "cycle_mult",
            "cycle",
            "start_value_mult",
            "end_value_mult",
            "warmup_duration",
            "total_cycle_size",
        ]

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        if self.event_index != 0 and self.event_index == self.cycle_size:
            self.start_value *= self.start_value_mult
        if self.event_index != 0 and self.event_index == self.total_cycle_size:
            self.event_index = 0
            self.cycle_size = int(self.cycle_size * self.cycle_mult)
            self.warmup_duration = int(self.warmup_duration * self.cycle_mult)
            self.total_cycle_size = self.warmup_duration + self.cycle_size
            self.cycle += 1
            self.end_value *= self.end_value_mult
        return super().__call__(engine, name)

    def _get_param(self) -> float | list[float]:
        if self.event_index > self.cycle_size:  # warm-up back to the start value
            progress = (self.event_index - self.cycle_size) / self.warmup_duration
            return self.end_value + (self.start_value - self.end_value) * progress
        return self.get_param()


class LinearCyclicalScheduler(CyclicalScheduler):
    """Linear cycle: ``start -> end -> start`` over ``cycle_size`` events (``start -> end`` when ``monotonic``).

    ```python
    scheduler = LinearCyclicalScheduler(optimizer, "lr", start_value=1.0, end_value=0.0, cycle_size=10)
    # lr: 1.0, 0.8, 0.6, 0.4, 0.2, 0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 0.8, ...
    ```
    """

    def __init__(self, *args: Any, monotonic: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.monotonic = monotonic
        if self.warmup_duration > 0 and not self.monotonic:
            raise ValueError(
                "Invalid combination when warmup_duration > 0 and monotonic=False, "
                "please use either set warmup_duration=0 or monotonic=True"
            )

    def get_param(self) -> float:
        cycle_progress = self.event_index / self.cycle_size
        if self.monotonic:
            return self.start_value + (self.end_value - self.start_value) * cycle_progress
        return self.end_value + (self.start_value - self.end_value) * abs(cycle_progress - 0.5) * 2


class CosineAnnealingScheduler(CyclicalScheduler):
    """Half a cosine from ``start_value`` to ``end_value`` per cycle (SGDR-style annealing with restarts).

    ```python
    scheduler = CosineAnnealingScheduler(optimizer, "lr", start_value=0.1, end_value=0.0, cycle_size=len(loader))
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    ```
    """

    def get_param(self) -> float:
        cycle_progress = self.event_index / self.cycle_size
        return self.start_value + ((self.end_value - self.start_value) / 2) * (1 - math.cos(math.pi * cycle_progress))


def _sub_scheduler_states(state_dict: Mapping, expected: int, kind: str) -> Any:
    """``state_dict["schedulers"]`` of a scheduler made of ``expected`` sub-schedulers, validated."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Argument state_dict should be a dictionary, but given {type(state_dict)}")
    if "schedulers" not in state_dict:
        raise ValueError(
            f"Required state attribute 'schedulers' is absent in provided state_dict '{state_dict.keys()}'"
        )
    sds = state_dict["schedulers"]
    if len(sds) != expected:
        raise ValueError(
            f"Input state_dict contains {len(sds)} state_dicts of {kind} schedulers, but {expected} needed"
        )
    return sds


class ConcatScheduler(ParamScheduler):
    """Run ``schedulers`` one after the other: ``durations[i]`` events for scheduler ``i``, the last one forever.

    ```python
    warmup = LinearCyclicalScheduler(optimizer, "lr", 0.0, 0.1, cycle_size=20, monotonic=True)
    anneal = CosineAnnealingScheduler(optimizer, "lr", 0.1, 0.0, cycle_size=1000)
    trainer.add_event_handler(Events.ITERATION_STARTED, ConcatScheduler([warmup, anneal], durations=[10]))
    ```
    """

    def __init__(self, schedulers: list[ParamScheduler], durations: list[int], save_history: bool = False) -> None:
        if not isinstance(schedulers, Sequence):
            raise TypeError(f"Argument schedulers should be a sequence, but given {schedulers}")
        if len(schedulers) < 2:
            raise ValueError(
                f"Argument schedulers should be of more than one parameter schedulers, but given {schedulers}"
            )
        if not isinstance(durations, (list, tuple)):
            raise TypeError(f"Argument durations should be list/tuple, but given {durations}")
        if not all(isinstance(t, numbers.Integral) for t in durations):
            raise ValueError(f"Argument durations should be list/tuple of integers, but given {durations}")
        if len(schedulers) != len(durations) + 1:
            raise ValueError(
                f"Incorrect number schedulers or duration values, given {len(schedulers)} and {len(durations)}"
            )
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, (ParamScheduler, ParamGroupScheduler)):
                raise TypeError(
                    f"Value at index {i} of schedulers should be a parameter scheduler, but given {type(scheduler)}"
                )
        optimizers = _unique_optimizers(schedulers)
        if len(optimizers) != 1:
            raise ValueError("schedulers should be related to same optimizer")
        param_names = {
            n for s in schedulers for n in (s.param_name if isinstance(s.param_name, list) else [s.param_name])
        }
        if len(param_names) != 1:
            raise ValueError("schedulers should be related to same param_name")

        self.schedulers = schedulers
        self.durations = durations
        for s in schedulers:
            s.save_history = save_history
        super().__init__(optimizer=optimizers[0], param_name=param_names.pop(), save_history=save_history)
        self._scheduler_index = 0
        self._setup_scheduler()
        self._state_attrs += ["_current_duration", "durations", "_scheduler_index"]

    def _setup_scheduler(self) -> None:
        self._current_scheduler = self.schedulers[self._scheduler_index]
        self._current_duration = (
            self.durations[self._scheduler_index] if self._scheduler_index < len(self.durations) else -1
        )

    def state_dict(self) -> dict[str, Any]:
        state_dict = super().state_dict()
        state_dict["schedulers"] = [s.state_dict() for s in self.schedulers]
        return state_dict

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore the sub-schedulers and the position in the concatenation (mid-scheduler resume is exact)."""
        sds = _sub_scheduler_states(state_dict, len(self.schedulers), "concatenated")
        for s, sd in zip(self.schedulers, sds):
            s.load_state_dict(sd)
        super().load_state_dict(state_dict)
        # keep the loaded remaining duration: only re-point the current scheduler
        self._current_scheduler = self.schedulers[self._scheduler_index]

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        if self._current_duration == 0:
            self._scheduler_index += 1
            self._setup_scheduler()
        self._current_scheduler(engine, name)
        self._current_duration -= 1

    @property
    def optimizer_param_groups(self) -> list[dict[str, Any]]:
        return self._current_scheduler.optimizer_param_groups

    @property
    def save_history(self) -> bool:
        return self._current_scheduler.save_history

    @save_history.setter
    def save_history(self, value: bool) -> None:
        for s in self.schedulers:
            s.save_history = value

    def get_param(self) -> float | list[float]:
        return self._current_scheduler.get_param()

    @classmethod
    def simulate_values(  # type: ignore[override]
        cls,
        num_events: int,
        schedulers: list[ParamScheduler],
        durations: list[int],
        param_names: list[str] | tuple[str, ...] | None = None,
    ) -> list[list]:
        """Rows ``[event, values...]``: for each of ``param_names`` (default: the scheduled one), every group's value.

        The schedulers and their optimizer are left exactly as they were.
        """
        if param_names is not None:
            if not isinstance(param_names, (list, tuple)):
                raise TypeError(f"Argument param_names should be list or tuple, but given {type(param_names)}")
            if not all(isinstance(item, str) for item in param_names):
                raise ValueError(f"Argument param_names should be list or tuple of strings, but given {param_names}")
        optimizers = _unique_optimizers(schedulers)
        if len(optimizers) != 1:
            raise ValueError("schedulers should be related to same optimizer")
        optimizer = optimizers[0]

        saved = [copy.deepcopy(s.state_dict()) for s in schedulers]
        saved_groups = _snapshot_param_groups(optimizer)
        try:
            scheduler = cls(schedulers=schedulers, durations=durations, save_history=False)
            names = list(param_names) if param_names is not None else [scheduler.param_name]
            output = []
            for i in range(num_events):
                scheduler(engine=None)
                row: list = [i]
                for name in names:
                    row += [group[name] for group in scheduler.optimizer_param_groups]
                output.append(row)
        finally:
            for s, sd in zip(schedulers, saved):
                s.load_state_dict(sd)
            _restore_param_groups(optimizer, saved_groups)
        return output


class LRScheduler(ParamScheduler):
    """Drive a torch LR scheduler from events: attached to ``ITERATION_STARTED`` it sets, at iteration ``k + 1``,
    the lr torch would give after ``k`` calls of ``lr_scheduler.step()`` (iteration 1 uses the initial lr).

    ```python
    torch_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    trainer.add_event_handler(Events.ITERATION_STARTED, LRScheduler(torch_scheduler))
    ```

    ``CosineAnnealingWarmRestarts`` is supported directly (its cycle position is derived from ``last_epoch``).
    """

    def __init__(self, lr_scheduler: PyTorchLRScheduler, save_history: bool = False, use_legacy: bool = False) -> None:
        _check_torch_lr_scheduler(lr_scheduler)
        self.lr_scheduler = lr_scheduler
        super().__init__(optimizer=lr_scheduler.optimizer, param_name="lr", save_history=save_history)
        if use_legacy:
            warnings.warn(
                "Please make sure to attach scheduler to Events.ITERATION_COMPLETED "
                "instead of Events.ITERATION_STARTED to make sure to use "
                "the first lr value from the optimizer, otherwise it will be skipped",
                UserWarning,
            )
            self.lr_scheduler.last_epoch += 1
        self._state_attrs += ["lr_scheduler"]

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        super().__call__(engine, name)
        scheduler = self.lr_scheduler
        scheduler._last_lr = [group["lr"] for group in scheduler.optimizer.param_groups]
        scheduler.last_epoch += 1
        scheduler._step_count = getattr(scheduler, "_step_count", 0) + 1

    def get_param(self) -> float | list[float]:
        """The lr(s) for the scheduler's ``last_epoch``: the initial lr at 0, then torch's own ``get_lr()``."""
        scheduler = self.lr_scheduler
        if scheduler.last_epoch == 0 and getattr(scheduler, "_last_lr", None) is not None:
            lr_list = list(scheduler._last_lr)  # what torch's constructor set: the first value
        else:
            if isinstance(scheduler, CosineAnnealingWarmRestarts):
                _sync_warm_restarts(scheduler)
            scheduler._get_lr_called_within_step = True
            try:
                lr_list = scheduler.get_lr()
            finally:
                scheduler._get_lr_called_within_step = False
        if len(lr_list) == 1:
            return lr_list[0]
        return list(lr_list)

    @classmethod
    def simulate_values(  # type: ignore[override]
        cls, num_events: int, lr_scheduler: PyTorchLRScheduler, **kwargs: Any
    ) -> list[list]:
        """Rows ``[event, lr of every group]``; ``lr_scheduler`` and its optimizer are left as they were."""
        _check_torch_lr_scheduler(lr_scheduler)
        saved = copy.deepcopy(lr_scheduler.state_dict())
        saved_groups = _snapshot_param_groups(lr_scheduler.optimizer)
        try:
            kwargs = {k: v for k, v in kwargs.items() if k != "save_history"}
            scheduler = cls(lr_scheduler, save_history=False, **kwargs)
            values = []
            for i in range(num_events):
                scheduler(engine=None)
                values.append([i] + [group[scheduler.param_name] for group in scheduler.optimizer_param_groups])
        finally:
            lr_scheduler.load_state_dict(saved)
            _restore_param_groups(lr_scheduler.optimizer, saved_groups)
        return values


def _check_torch_lr_scheduler(lr_scheduler: Any) -> None:
    if not isinstance(lr_scheduler, PyTorchLRScheduler) or isinstance(lr_scheduler, ReduceLROnPlateau):
        raise TypeError(
            "Argument lr_scheduler should be a subclass of "
            f"torch.optim.lr_scheduler.{PyTorchLRScheduler.__name__}, but given {type(lr_scheduler)}"
        )


def _sync_warm_restarts(scheduler: CosineAnnealingWarmRestarts) -> None:
    """Set ``T_cur``/``T_i`` to where ``last_epoch`` integer steps of torch's own stepping would have left them."""
    t_i, t_cur = scheduler.T_0, scheduler.last_epoch
    while t_cur >= t_i:
        t_cur -= t_i
        t_i *= scheduler.T_mult
    scheduler.T_i, scheduler.T_cur = t_i, t_cur


def _check_milestones(milestones_values: Any) -> tuple[list[int], list[float]]:
    """Validate ``[(milestone, value), ...]`` (increasing integer milestones) and split it in two lists."""
    if not isinstance(milestones_values, Sequence):
        raise TypeError(f"Argument milestones_values should be a list or tuple, but given {type(milestones_values)}")
    if len(milestones_values) < 1:
        raise ValueError(f"Argument milestones_values should be with at least one value, but given {milestones_values}")
    milestones: list[int] = []
    values: list[float] = []
    for pair in milestones_values:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ValueError("Argument milestones_values should be a list of pairs (milestone, param_value)")
        if not isinstance(pair[0], numbers.Integral):
            raise TypeError(f"Value of a milestone should be integer, but given {type(pair[0])}")
        if milestones and pair[0] < milestones[-1]:
            raise ValueError(
                f"Milestones should be increasing integers, but given {pair[0]} is smaller "
                f"than the previous milestone {milestones[-1]}"
            )
        milestones.append(pair[0])
        values.append(pair[1])
    return milestones, values


class _PiecewiseLinearMixin:
    """Linear interpolation between ``(milestone, value)`` pairs at ``event_index``; constant outside them.

    ``_index`` is the current segment; it only moves forward, so each call costs O(1) amortised.
    """

    milestones: list[int]
    values: list[float]
    event_index: int
    _index: int

    def _get_start_end(self) -> tuple[int, int, float, float]:
        k = self.event_index
        if self.milestones[0] > k:
            return k - 1, k, self.values[0], self.values[0]
        if self.milestones[-1] <= k:
            return k, k + 1, self.values[-1], self.values[-1]
        while not self.milestones[self._index] <= k < self.milestones[self._index + 1]:
            self._index += 1
        i = self._index
        return self.milestones[i], self.milestones[i + 1], self.values[i], self.values[i + 1]

    def get_param(self) -> float:
        start_index, end_index, start_value, end_value = self._get_start_end()
        return start_value + (end_value - start_value) * (self.event_index - start_index) / (end_index - start_index)


class PiecewiseLinear(_PiecewiseLinearMixin, ParamScheduler):
    """Piecewise-linear schedule through ``milestones_values = [(event, value), ...]``.

    Before the first milestone the first value is used, after the last one the last value. Equal consecutive
    milestones make a jump.

    ```python
    scheduler = PiecewiseLinear(optimizer, "lr", milestones_values=[(0, 0.0), (100, 0.1), (1000, 0.001)])
    ```
    """

    def __init__(
        self,
        optimizer: Optimizer,
        param_name: str,
        milestones_values: list[tuple[int, float]],
        save_history: bool = False,
        param_group_index: int | None = None,
    ) -> None:
        super().__init__(optimizer, param_name, save_history, param_group_index=param_group_index)
        self.milestones, self.values = _check_milestones(milestones_values)
        self._index = 0
        self._state_attrs += ["values", "milestones", "_index"]


class ParamGroupScheduler:
    """Several schedulers called together, typically one per param group of an optimizer.

    ```python
    lr_group0 = LinearCyclicalScheduler(optimizer, "lr", 0.0, 0.1, 10, param_group_index=0)
    lr_group1 = LinearCyclicalScheduler(optimizer, "lr", 0.0, 0.01, 10, param_group_index=1)
    scheduler = ParamGroupScheduler([lr_group0, lr_group1], names=["lr (base)", "lr (head)"])
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    ```
    """

    def __init__(
        self, schedulers: list[ParamScheduler], names: list[str] | None = None, save_history: bool = False
    ) -> None:
        if not isinstance(schedulers, Sequence):
            raise TypeError(f"Argument schedulers should be a list/tuple, but given {schedulers}")
        if not all(isinstance(s, ParamScheduler) for s in schedulers):
            raise ValueError(
                f"Argument schedulers should be a list/tuple of parameter schedulers, but given {schedulers}"
            )
        if names is None:
            names = [s.param_name for s in schedulers]
        if not isinstance(names, (list, tuple)):
            raise TypeError(f"Argument names should be a list/tuple, but given {names}")
        if not all(isinstance(n, str) for n in names):
            raise ValueError(f"Argument names should be a list/tuple of parameter scheduler's names, but given {names}")
        if len(names) != len(schedulers):
            raise ValueError(f"{len(schedulers)} should be equal {len(names)}")

        self.schedulers = schedulers
        self.names = names
        for s in schedulers:
            s.save_history = save_history
        self.optimizer = [s.optimizer for s in schedulers]
        self.param_name = [s.param_name for s in schedulers]

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        for scheduler, scheduler_name in zip(self.schedulers, self.names):
            scheduler(engine, scheduler_name)

    @property
    def optimizer_param_groups(self) -> list[dict[str, Any]]:
        return list(itertools.chain.from_iterable(s.optimizer_param_groups for s in self.schedulers))

    @property
    def save_history(self) -> bool:
        return self.schedulers[0].save_history

    @save_history.setter
    def save_history(self, value: bool) -> None:
        for s in self.schedulers:
            s.save_history = value

    def get_param(self) -> list[float | list[float]]:
        return [s.get_param() for s in self.schedulers]

    def state_dict(self) -> dict[str, Any]:
        return OrderedDict(schedulers=[(n, s.state_dict()) for n, s in zip(self.names, self.schedulers)])

    def load_state_dict(self, state_dict: Mapping) -> None:
        sds = _sub_scheduler_states(state_dict, len(self.schedulers), "param group")
        for required_name, s, (n, sd) in zip(self.names, self.schedulers, sds):
            if required_name != n:
                raise ValueError(
                    "Name of scheduler from input state dict does not correspond to required one, "
                    f"{n} vs {required_name}"
                )
            s.load_state_dict(sd)

    @classmethod
    def simulate_values(cls, num_events: int, schedulers: list[ParamScheduler], **kwargs: Any) -> list[list]:
        """Rows ``[event, value of each scheduler]`` (read before each call); the schedulers are left unchanged."""
        saved = [copy.deepcopy(s.state_dict()) for s in schedulers]
        optimizers = _unique_optimizers(schedulers)
        saved_groups = [_snapshot_param_groups(opt) for opt in optimizers]
        try:
            scheduler = cls(schedulers=schedulers, **kwargs)
            values = []
            for i in range(num_events):
                values.append([i] + [s.get_param() for s in schedulers])
                scheduler(engine=None)
        finally:
            for s, sd in zip(schedulers, saved):
                s.load_state_dict(sd)
            for opt, groups in zip(optimizers, saved_groups):
                _restore_param_groups(opt, groups)
        return values


class _ReduceLROnPlateau(ReduceLROnPlateau):
    """torch's ReduceLROnPlateau that reduces only the param groups at ``group_indices``.

    Everything it keeps is plain data, so its ``state_dict`` stays loadable with ``weights_only=True``.
    """

    def __init__(self, optimizer: Optimizer, group_indices: list[int], **kwargs: Any) -> None:
        super().__init__(optimizer, **kwargs)
        self.group_indices = group_indices

    def _reduce_lr(self, epoch: Any) -> None:
        for i in self.group_indices:
            group = self.optimizer.param_groups[i]
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr


class ReduceLROnPlateauScheduler(ParamScheduler):
    """Reduce the lr when ``engine.state.metrics[metric_name]`` stops improving (torch's ``ReduceLROnPlateau``).

    Attach it to the evaluator; with ``trainer`` given and ``save_history=True`` the lrs are recorded in the
    trainer's ``state.param_history``.

    ```python
    scheduler = ReduceLROnPlateauScheduler(optimizer, metric_name="accuracy", mode="max", factor=0.5, patience=1,
                                           trainer=trainer, save_history=True)
    evaluator.add_event_handler(Events.COMPLETED, scheduler)
    ```
    """

    def __init__(
        self,
        optimizer: Optimizer,
        metric_name: str,
        trainer: Engine | None = None,
        save_history: bool = False,
        param_group_index: int | None = None,
        **scheduler_kwargs: Any,
    ) -> None:
        super().__init__(optimizer, "lr", save_history=save_history, param_group_index=param_group_index)
        self.metric_name = metric_name
        self.trainer = trainer
        self.optimizer = optimizer

        kwargs = dict(scheduler_kwargs)
        n_groups = len(optimizer.param_groups)
        if param_group_index is not None:
            min_lr = kwargs.get("min_lr", 0)
            if "min_lr" in kwargs and not isinstance(min_lr, float):
                raise TypeError(f"When param_group_index is given, min_lr should be a float, but given {type(min_lr)}")
            min_lrs = [0.0] * n_groups
            min_lrs[param_group_index] = min_lr
            kwargs["min_lr"] = min_lrs
        if kwargs.pop("verbose", False):
            warnings.warn(
                "Found verbose=True in provided scheduler_kwargs. It would be set to False. "
                "Please use save_history instead.",
                UserWarning,
            )
        group_indices = [param_group_index] if param_group_index is not None else list(range(n_groups))
        self.scheduler = _ReduceLROnPlateau(optimizer, group_indices, **kwargs)
        self._state_attrs += ["metric_name", "scheduler"]

    def __call__(self, engine: Engine, name: str | None = None) -> None:  # type: ignore[override]
        metrics = getattr(getattr(engine, "state", None), "metrics", None)
        if metrics is None or self.metric_name not in metrics:
            raise ValueError(
                "Argument engine should have in its 'state', attribute 'metrics' "
                f"which itself has the metric {self.metric_name}."
            )
        self.scheduler.step(metrics[self.metric_name])
        super().__call__(self.trainer, name)

    def get_param(self) -> float | list[float]:
        lrs = [group["lr"] for group in self.optimizer_param_groups]
        return lrs[0] if len(lrs) == 1 else lrs

    @classmethod
    def simulate_values(  # type: ignore[override]
        cls, num_events: int, metric_values: list[float], init_lr: float, **scheduler_kwargs: Any
    ) -> list[list]:
        """Rows ``[event, lr]`` after each of ``metric_values`` is seen, starting from ``init_lr``."""
        if len(metric_values) != num_events:
            raise ValueError(
                f"Length of argument metric_values should be equal to num_events. {len(metric_values)} != {num_events}"
            )
        kwargs = {k: v for k, v in scheduler_kwargs.items() if k not in ("optimizer", "metric_name", "save_history")}
        scheduler = cls(
            optimizer=_get_fake_optimizer(torch.optim.SGD, lr=init_lr),
            metric_name="metric",
            save_history=False,
            **kwargs,
        )
        engine = Engine(lambda _, __: None)
        values = []
        for i in range(num_events):
            engine.state.metrics["metric"] = metric_values[i]
            scheduler(engine=engine)
            values.append([i, scheduler.optimizer_param_groups[0][scheduler.param_name]])
        return values


class BatchSizeScheduler(BaseParamScheduler):
    """Change the batch size of ``dataloader`` to ``scheduler_fn(event_index)`` (default: at every epoch start).

    The new size applies from the next time the loader is iterated (single-process loading: the next batch).

    ```python
    scheduler = BatchSizeScheduler(loader, lambda epoch: 32 * 2 ** min(epoch, 3))
    scheduler.attach(trainer)
    ```
    """

    def __init__(self, dataloader: DataLoader, scheduler_fn: Callable[[int], int], save_history: bool = False) -> None:
        super().__init__("batch_size", save_history)
        if not isinstance(dataloader, DataLoader):
            raise TypeError(f"Argument dataloader should be torch.utils.data.DataLoader, but given {type(dataloader)}")
        if not isinstance(dataloader.batch_sampler, BatchSampler):
            raise ValueError(
                "Argument dataloader should have a BatchSampler, i.e. dataloader.batch_sampler should be "
                "an instance of torch.utils.data.sampler.BatchSampler"
            )
        if not callable(scheduler_fn):
            raise TypeError(f"Argument scheduler_fn should be callable, but given {type(scheduler_fn)}")
        self.dataloader = dataloader
        self.scheduler_fn = scheduler_fn

    def get_param(self) -> int:
        return self.scheduler_fn(self.event_index)

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        value = self.get_param()
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"Batch size returned by scheduler_fn should be a positive integer, but given {value}")
        self.dataloader.batch_sampler.batch_size = value  # type: ignore[union-attr]
        if self._save_history and engine:
            _append_history(engine, name or self.param_name, value)
        self.event_index += 1

    def attach(self, engine: Engine, event: Any = Events.EPOCH_STARTED) -> None:
        engine.add_event_handler(event, self)

    @classmethod
    def simulate_values(cls, num_events: int, **scheduler_kwargs: Any) -> list[list]:
        if "scheduler_fn" not in scheduler_kwargs:
            raise ValueError("Argument scheduler_kwargs must contain 'scheduler_fn'")
        fn = scheduler_kwargs["scheduler_fn"]
        return [[i, fn(i)] for i in range(num_events)]


def create_lr_scheduler_with_warmup(
    lr_scheduler: ParamScheduler | PyTorchLRScheduler,
    warmup_start_value: float,
    warmup_duration: int,
    warmup_end_value: float | None = None,
    save_history: bool = False,
    output_simulated_values: list | None = None,
) -> ConcatScheduler:
    """Prepend a linear warm-up from ``warmup_start_value`` to ``warmup_end_value`` (default: each group's lr).

    The warm-up lasts ``warmup_duration`` events and the scheduler then continues without repeating a value.
    ``output_simulated_values``, a list, is filled in place with ``[event, lr...]`` rows.

    ```python
    torch_scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.98)
    scheduler = create_lr_scheduler_with_warmup(torch_scheduler, warmup_start_value=0.0, warmup_duration=10)
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    ```
    """
    if not isinstance(lr_scheduler, (ParamScheduler, PyTorchLRScheduler)) or isinstance(
        lr_scheduler, ReduceLROnPlateau
    ):
        raise TypeError(
            "Argument lr_scheduler should be a subclass of "
            f"torch.optim.lr_scheduler.{PyTorchLRScheduler.__name__} or ParamScheduler, "
            f"but given {type(lr_scheduler)}"
        )
    if not isinstance(warmup_duration, numbers.Integral):
        raise TypeError(f"Argument warmup_duration should be integer, but given {warmup_duration}")
    if not (warmup_duration > 1):
        raise ValueError(f"Argument warmup_duration should be at least 2 events, but given {warmup_duration}")
    if output_simulated_values is not None and not isinstance(output_simulated_values, list):
        raise TypeError(
            "Argument output_simulated_values should be a list of None, e.g. `[None] * 100`, "
            f"but given {type(output_simulated_values)}."
        )

    d = int(warmup_duration)
    is_torch = isinstance(lr_scheduler, PyTorchLRScheduler)
    if is_torch:
        optimizer = lr_scheduler.optimizer
        group_indices = list(range(len(optimizer.param_groups)))
        init_lrs = [optimizer.param_groups[i]["lr"] for i in group_indices]
    else:
        optimizer = lr_scheduler.optimizer
        pgi = lr_scheduler.param_group_index
        group_indices = [pgi] if pgi is not None else list(range(len(optimizer.param_groups)))
        init = lr_scheduler.get_param()
        init_lrs = list(init) if isinstance(init, list) else [init] * len(group_indices)
    end_values = [
        warmup_end_value if warmup_end_value is not None else optimizer.param_groups[i]["lr"] for i in group_indices
    ]

    milestones_per_group: list[list[tuple[int, float]]] = []
    if is_torch:
        # The wrapped scheduler starts at its second value (last_epoch is advanced below): a group whose lr
        # differs from the warm-up end gets one extra event landing on its initial lr; when any group needs it,
        # the others stretch their warm-up by one event so that every group switches at the same event.
        needs_extra = [init != end for init, end in zip(init_lrs, end_values)]
        for init, end, extra in zip(init_lrs, end_values, needs_extra):
            if extra:
                milestones_per_group.append([(0, warmup_start_value), (d - 1, end), (d, init)])
            elif any(needs_extra):
                milestones_per_group.append([(0, warmup_start_value), (d, end)])
            else:
                milestones_per_group.append([(0, warmup_start_value), (d - 1, end)])
        lr_scheduler.last_epoch += 1
        wrapped: ParamScheduler = LRScheduler(lr_scheduler, save_history=save_history)
    else:
        # The wrapped scheduler starts at its own first value: when that equals the warm-up end, the warm-up
        # stops one step short of it so that the value is not repeated.
        for init, end in zip(init_lrs, end_values):
            milestones: list[tuple[int, float]] = [(0, warmup_start_value), (d - 1, end)]
            if init == end:
                if d > 2:
                    milestones[-1] = (d - 2, end - (end - warmup_start_value) / (d - 1))
                else:
                    milestones.pop(-1)
            milestones_per_group.append(milestones)
        wrapped = lr_scheduler

    warmup_schedulers = [
        PiecewiseLinear(optimizer, "lr", milestones, save_history=save_history, param_group_index=i)
        for i, milestones in zip(group_indices, milestones_per_group)
    ]
    warmup_scheduler = ParamGroupScheduler(warmup_schedulers, save_history=save_history)
    schedulers: list = [warmup_scheduler, wrapped]
    durations = [max(m[-1][0] for m in milestones_per_group) + 1]
    combined_scheduler = ConcatScheduler(schedulers, durations=durations, save_history=save_history)

    if output_simulated_values is not None:
        simulated = ConcatScheduler.simulate_values(
            num_events=len(output_simulated_values), schedulers=schedulers, durations=durations
        )
        output_simulated_values[:] = simulated
    return combined_scheduler
