"""State parameter schedulers: write a scheduled value into ``engine.state.<param_name>`` at each event.

Any handler can then read it (``EMAHandler`` reads its momentum this way). The value of the ``k``-th call
(``k`` counted from 1) is computed from ``event_index == k``.

```python
scheduler = ExpStateScheduler(initial_value=1.0, gamma=0.9, param_name="loss_weight", create_new=True)
scheduler.attach(trainer, Events.EPOCH_COMPLETED)
```
"""

from __future__ import annotations

import warnings
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from ignite.engine import Engine, Events
from ignite.handlers.param_scheduler import BaseParamScheduler, _check_milestones, _PiecewiseLinearMixin

__all__ = [
    "StateParamScheduler",
    "LambdaStateScheduler",
    "PiecewiseLinearStateScheduler",
    "ExpStateScheduler",
    "StepStateScheduler",
    "MultiStepStateScheduler",
]


class StateParamScheduler(BaseParamScheduler):
    """Base of the state schedulers: ``attach`` prepares ``engine.state``, each call sets the next value.

    ``create_new=True`` states that the attribute is new (an existing one is then an error); otherwise a missing
    attribute is created with a warning. With ``save_history`` the values go to
    ``engine.state.param_history[param_name]``.
    """

    def __init__(self, param_name: str, save_history: bool = False, create_new: bool = False) -> None:
        super().__init__(param_name, save_history)
        self.create_new = create_new

    def attach(self, engine: Engine, event: Any = Events.ITERATION_COMPLETED) -> None:
        """Call the scheduler on ``event`` of ``engine``."""
        if hasattr(engine.state, self.param_name):
            if self.create_new:
                raise ValueError(
                    f"Attribute '{self.param_name}' already exists in the engine.state. "
                    f"This may be a conflict between multiple handlers. Please choose another name."
                )
        else:
            if not self.create_new:
                warnings.warn(
                    f"Attribute '{self.param_name}' is not defined in the engine.state. "
                    f"{type(self).__name__} will create it. Remove this warning by setting create_new=True."
                )
            setattr(engine.state, self.param_name, None)

        if self.save_history:
            if getattr(engine.state, "param_history", None) is None:
                engine.state.param_history = {}
            engine.state.param_history.setdefault(self.param_name, [])
        engine.add_event_handler(event, self)

    def __call__(self, engine: Engine) -> None:
        self.event_index += 1
        value = self.get_param()
        setattr(engine.state, self.param_name, value)
        if self.save_history:
            if getattr(engine.state, "param_history", None) is None:
                engine.state.param_history = {}
            engine.state.param_history.setdefault(self.param_name, []).append(value)

    @classmethod
    def simulate_values(cls, num_events: int, **scheduler_kwargs: Any) -> list[list]:
        """Rows ``[event, value]``; ``param_name`` must be given as a keyword."""
        kwargs = {k: v for k, v in scheduler_kwargs.items() if k != "save_history"}
        scheduler = cls(save_history=False, **kwargs)
        engine = Engine(lambda e, b: None)
        values = []
        for i in range(num_events):
            scheduler(engine=engine)
            values.append([i, getattr(engine.state, scheduler_kwargs["param_name"])])
        return values


class LambdaStateScheduler(StateParamScheduler):
    """Value ``lambda_obj(event_index)``. A picklable callable object survives a checkpoint round trip.

    ```python
    class Warmup:
        def __call__(self, k):
            return min(1.0, k / 100)

    LambdaStateScheduler(Warmup(), param_name="alpha", create_new=True).attach(trainer)
    ```
    """

    def __init__(
        self, lambda_obj: Callable[[int], Any], param_name: str, save_history: bool = False, create_new: bool = False
    ) -> None:
        super().__init__(param_name, save_history, create_new)
        if not callable(lambda_obj):
            raise ValueError("Expected lambda_obj to be callable.")
        self.lambda_obj = lambda_obj
        self._state_attrs += ["lambda_obj"]

    def get_param(self) -> Any:
        return self.lambda_obj(self.event_index)


class PiecewiseLinearStateScheduler(_PiecewiseLinearMixin, StateParamScheduler):
    """Piecewise-linear value through ``milestones_values = [(event, value), ...]`` (rules of ``PiecewiseLinear``)."""

    def __init__(
        self,
        milestones_values: list[tuple[int, float]],
        param_name: str,
        save_history: bool = False,
        create_new: bool = False,
    ) -> None:
        super().__init__(param_name, save_history, create_new)
        self.milestones, self.values = _check_milestones(milestones_values)
        self._index = 0
        self._state_attrs += ["values", "milestones", "_index"]


class ExpStateScheduler(StateParamScheduler):
    """Value ``initial_value * gamma ** event_index``."""

    def __init__(
        self,
        initial_value: float,
        gamma: float,
        param_name: str,
        save_history: bool = False,
        create_new: bool = False,
    ) -> None:
        super().__init__(param_name, save_history, create_new)
        self.initial_value = initial_value
        self.gamma = gamma
        self._state_attrs += ["initial_value", "gamma"]

    def get_param(self) -> float:
        return self.initial_value * self.gamma**self.event_index


class StepStateScheduler(StateParamScheduler):
    """Value ``initial_value * gamma ** (event_index // step_size)``."""

    def __init__(
        self,
        initial_value: float,
        gamma: float,
        step_size: int,
        param_name: str,
        save_history: bool = False,
        create_new: bool = False,
    ) -> None:
        super().__init__(param_name, save_history, create_new)
        self.initial_value = initial_value
        self.gamma = gamma
        self.step_size = step_size
        self._state_attrs += ["initial_value", "gamma", "step_size"]

    def get_param(self) -> float:
        return self.initial_value * self.gamma ** (self.event_index // self.step_size)


class MultiStepStateScheduler(StateParamScheduler):
    """Value ``initial_value * gamma ** (number of milestones <= event_index)``."""

    def __init__(
        self,
        initial_value: float,
        gamma: float,
        milestones: list[int],
        param_name: str,
        save_history: bool = False,
        create_new: bool = False,
    ) -> None:
        super().__init__(param_name, save_history, create_new)
        self.initial_value = initial_value
        self.gamma = gamma
        self.milestones = milestones
        self._state_attrs += ["initial_value", "gamma", "milestones"]

    def get_param(self) -> float:
        return self.initial_value * self.gamma ** bisect_right(self.milestones, self.event_index)
