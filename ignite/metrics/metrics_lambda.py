"""``MetricsLambda``: a metric computed by a function of other metrics' results."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import torch

from ignite.metrics.metric import EpochWise, Metric, MetricUsage, _check_required_keys, reinit__is_reduced

if TYPE_CHECKING:
    from ignite.engine.engine import Engine

__all__ = ["MetricsLambda"]


class MetricsLambda(Metric):
    """Apply ``f`` to the computed values of the metrics among ``args``/``kwargs`` (other values pass as is).

    Arithmetic and method calls on metrics build these: ``(2 * p * r / (p + r)).mean()`` is a metric. When
    attached, the underlying metrics are driven through the lambda (reset and updated, but their values are
    not stored in ``engine.state.metrics`` unless they are attached themselves). Creating a lambda resets its
    operand metrics.

    ```python
    precision = Precision(average=False)
    recall = Recall(average=False)
    f1 = (precision * recall * 2 / (precision + recall + 1e-20)).mean()
    f1.attach(evaluator, "f1")
    ```
    """

    _state_dict_all_req_keys = ("_updated", "args", "kwargs")

    def __init__(
        self,
        f: Callable,
        *args: Any,
        skip_unrolling: bool = False,
        metrics_result_mode: str = "both",
        **kwargs: Any,
    ) -> None:
        self.function = f
        self.args = list(args)
        self.kwargs = kwargs
        self.engine: Engine | None = None
        self._updated = False
        # handlers this lambda added to its dependencies, per engine: {id(engine): [(handler, event), ...]}
        self._added_handlers: dict[int, list[tuple[Callable, Any]]] = {}
        super().__init__(device="cpu", skip_unrolling=skip_unrolling, metrics_result_mode=metrics_result_mode)

    def _dependencies(self) -> Iterator[Metric]:
        for arg in itertools.chain(self.args, self.kwargs.values()):
            if isinstance(arg, Metric):
                yield arg

    def _leaves(self) -> dict[int, Metric]:
        """Distinct non-lambda metrics of the dependency tree, by identity."""
        leaves: dict[int, Metric] = {}
        for dep in self._dependencies():
            if isinstance(dep, MetricsLambda):
                leaves.update(dep._leaves())
            else:
                leaves.setdefault(id(dep), dep)
        return leaves

    @reinit__is_reduced
    def reset(self) -> None:
        for dep in self._dependencies():
            dep.reset()
        self._updated = False

    @reinit__is_reduced
    def update(self, output: Any) -> None:
        if self.engine:
            raise ValueError(
                "MetricsLambda is already attached to an engine, "
                "and MetricsLambda can't use update API while it's attached."
            )
        # each distinct metric once, even when it appears several times in the expression
        for dep in self._leaves().values():
            dep.update(output)
        self._mark_updated()

    def _mark_updated(self) -> None:
        self._updated = True
        for dep in self._dependencies():
            if isinstance(dep, MetricsLambda):
                dep._mark_updated()

    def compute(self) -> Any:
        materialized = [_value_on_cpu(arg) for arg in self.args]
        materialized_kwargs = {k: _value_on_cpu(v) for k, v in self.kwargs.items()}
        return self.function(*materialized, **materialized_kwargs)

    # ------------------------------------------------------------------ engine

    def _internal_attach(self, engine: Engine, usage: MetricUsage) -> None:
        added = self._added_handlers.setdefault(id(engine), [])
        for dep in self._dependencies():
            if isinstance(dep, MetricsLambda):
                dep._internal_attach(engine, usage)
                continue
            for handler, event in ((dep.started, usage.STARTED), (dep.iteration_completed, usage.ITERATION_COMPLETED)):
                if not engine.has_event_handler(handler, event):
                    engine.add_event_handler(event, handler)
                    added.append((handler, event))

    def attach(self, engine: Engine, name: str, usage: str | MetricUsage = EpochWise()) -> None:
        if self._updated:
            raise ValueError(
                "The underlying metrics are already updated, can't attach while using reset/update/compute API."
            )
        usage = self._check_usage(usage)
        self.engine = engine
        self._internal_attach(engine, usage)
        engine.add_event_handler(usage.COMPLETED, self.completed, name)

    def _internal_detach(self, engine: Engine, keep: set[int]) -> None:
        for dep in self._dependencies():
            if isinstance(dep, MetricsLambda):
                dep._internal_detach(engine, keep)
        for handler, event in self._added_handlers.pop(id(engine), []):
            if id(handler.__self__) not in keep and engine.has_event_handler(handler, event):
                engine.remove_event_handler(handler, event)

    def detach(self, engine: Engine, usage: str | MetricUsage = EpochWise()) -> None:
        """Detach the lambda and undo the handlers it added to its dependencies.

        A dependency keeps its handlers while it is attached itself or used by another attached lambda.
        """
        usage = self._check_usage(usage)
        super().detach(engine, usage)
        self._internal_detach(engine, _metrics_still_needed(engine, exclude=self))
        self.engine = None

    def is_attached(self, engine: Engine, usage: str | MetricUsage = EpochWise()) -> bool:
        usage = self._check_usage(usage)
        return super().is_attached(engine, usage) and self._internal_is_attached(engine, usage)

    def _internal_is_attached(self, engine: Engine, usage: MetricUsage) -> bool:
        if engine is None:
            return False
        for dep in self._dependencies():
            if isinstance(dep, MetricsLambda):
                if not dep._internal_is_attached(engine, usage):
                    return False
            elif not (
                engine.has_event_handler(dep.started, usage.STARTED)
                and engine.has_event_handler(dep.iteration_completed, usage.ITERATION_COMPLETED)
            ):
                return False
        return True

    # ------------------------------------------------------------------ state

    def _state_dict_per_rank(self) -> OrderedDict:
        # constants that are not numbers/tensors (e.g. ``torch.double`` in ``cm.to(torch.double)``) belong to
        # the expression, not to the state: saved as None (upstream raised TypeError)
        return OrderedDict(
            [
                ("_updated", self._updated),
                ("args", [_saved(a) for a in self.args]),
                ("kwargs", {k: _saved(v) for k, v in self.kwargs.items()}),
            ]
        )

    def _load_state_dict_per_rank(self, state_dict: Any) -> None:
        # only the metrics are restored; constants stay those of the expression
        _check_required_keys(state_dict, self._state_dict_all_req_keys)
        args, kwargs = state_dict["args"], state_dict["kwargs"]
        if len(args) != len(self.args):
            raise ValueError(f"Size of y: {len(args)} does not match the size of x: '{len(self.args)}'")
        for arg, saved in zip(self.args, args):
            if isinstance(arg, Metric):
                arg._load_state_dict_per_rank(saved)
        for key, arg in self.kwargs.items():
            if key not in kwargs:
                raise ValueError(f"Key '{key}' from x is not found in y: {kwargs.keys()}")
            if isinstance(arg, Metric):
                arg._load_state_dict_per_rank(kwargs[key])
        self._updated = bool(state_dict["_updated"])


def _value_on_cpu(v: Any) -> Any:
    if isinstance(v, Metric):
        v = v.compute()
    if isinstance(v, torch.Tensor):
        v = v.cpu()
    return v


def _saved(v: Any) -> Any:
    if isinstance(v, Metric):
        return v._state_dict_per_rank()
    if isinstance(v, torch.Tensor):
        return v.detach().clone()
    return v if v is None or isinstance(v, (int, float)) else None


def _metrics_still_needed(engine: Engine, exclude: MetricsLambda) -> set[int]:
    """Ids of metrics that other attached metrics rely on: attached metrics and the trees of attached lambdas."""
    needed: set[int] = set()
    for handlers in list(engine._event_handlers.values()):
        for handler, _, _ in handlers:
            handler = getattr(handler, "_parent", None) and handler._parent() or handler
            owner = getattr(handler, "__self__", None)
            if not isinstance(owner, Metric) or owner is exclude or getattr(handler, "__func__", None) is None:
                continue
            if handler.__func__.__name__ != "completed":
                continue
            needed.add(id(owner))
            if isinstance(owner, MetricsLambda):
                needed.update(owner._leaves())
    return needed
