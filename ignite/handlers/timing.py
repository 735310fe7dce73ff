"""A wall-clock timer that can be driven by engine events."""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = ["Timer"]


class Timer:
    """Measure elapsed time (``time.perf_counter``), optionally averaged over steps.

    The timer runs from construction. :meth:`attach` drives it from engine events: ``reset`` on ``start``,
    ``pause`` on ``pause``, and optionally ``resume`` and ``step``.

    ```python
    from ignite.engine import Events
    from ignite.handlers import Timer

    # average time per iteration, excluding data loading
    timer = Timer(average=True)
    timer.attach(
        trainer,
        start=Events.EPOCH_STARTED,
        resume=Events.ITERATION_STARTED,
        pause=Events.ITERATION_COMPLETED,
        step=Events.ITERATION_COMPLETED,
    )
    ```

    Args:
        average: if True, :meth:`value` is the total divided by the number of steps.
    """

    def __init__(self, average: bool = False) -> None:
        self._average = average
        self.total = 0.0
        self.step_count = 0.0
        self.running = False
        self._t0 = 0.0
        self.reset()

    def attach(
        self,
        engine: Engine,
        start: Any = None,
        pause: Any = None,
        resume: Any = None,
        step: Any = None,
    ) -> Timer:
        """Register ``reset``/``pause``/``resume``/``step`` on engine events; returns ``self``.

        Args:
            engine: the engine to time.
            start: event resetting (and starting) the timer, default ``Events.STARTED``.
            pause: event pausing the timer, default ``Events.COMPLETED``.
            resume: event resuming the timer, optional.
            step: event counting a step (for ``average=True``), optional.
        """
        from ignite.engine.events import Events

        if start is None:
            start = Events.STARTED
        if pause is None:
            pause = Events.COMPLETED
        engine.add_event_handler(start, self.reset)
        engine.add_event_handler(pause, self.pause)
        if resume is not None:
            engine.add_event_handler(resume, self.resume)
        if step is not None:
            engine.add_event_handler(step, self.step)
        return self

    def reset(self, *args: Any) -> Timer:
        """Zero the total and step count and start timing now; returns ``self``."""
        self._t0 = perf_counter()
        self.total = 0.0
        self.step_count = 0.0
        self.running = True
        return self

    def pause(self, *args: Any) -> None:
        """Stop the clock, adding the running segment to the total (no-op if paused)."""
        if self.running:
            self.total += perf_counter() - self._t0
            self.running = False

    def resume(self, *args: Any) -> None:
        """Restart the clock (no-op if running)."""
        if not self.running:
            self.running = True
            self._t0 = perf_counter()

    def step(self, *args: Any) -> None:
        """Count one step (the divisor of :meth:`value` when ``average=True``)."""
        self.step_count += 1.0

    def value(self) -> float:
        """Elapsed seconds (total plus the running segment), per step when ``average=True``."""
        total = self.total
        if self.running:
            total += perf_counter() - self._t0
        if self._average:
            return total / max(self.step_count, 1.0)
        return total

    def __repr__(self) -> str:
        return f"Timer(average={self._average}, value={self.value():.6f}, running={self.running})"
