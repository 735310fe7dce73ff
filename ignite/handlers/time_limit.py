"""Stop a run once a wall-clock budget is spent."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = ["TimeLimit"]


class TimeLimit:
    """Terminate the engine once ``limit_sec`` seconds have passed since this handler was created.

    ```python
    from ignite.engine import Events
    from ignite.handlers import TimeLimit

    trainer.add_event_handler(Events.ITERATION_COMPLETED, TimeLimit(limit_sec=3600))
    ```

    The clock starts at construction (as upstream), so create the handler right before ``run``.

    Args:
        limit_sec: the budget in seconds (a positive integer; default 8 hours).
    """

    def __init__(self, limit_sec: int | None = 28800) -> None:
        if not isinstance(limit_sec, int) or isinstance(limit_sec, bool):
            raise TypeError("Argument limit_sec should be an integer.")
        if limit_sec <= 0:
            raise ValueError("Argument limit_sec should be a positive integer.")
        self.limit_sec = limit_sec
        self.start_time = time.time()
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)

    def __call__(self, engine: Engine) -> None:
        elapsed = time.time() - self.start_time
        if elapsed > self.limit_sec:
            self.logger.info(f"Reached the time limit: {self.limit_sec} sec. Stop training")
            engine.terminate()
