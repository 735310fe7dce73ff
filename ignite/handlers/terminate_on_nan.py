"""Stop training when the output contains NaN or infinity."""

from __future__ import annotations

import cmath
import logging
import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from ignite.utils import apply_to_type, setup_logger

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = ["TerminateOnNan"]


class _MarkedStreamHandler(logging.StreamHandler):
    """The stream handler TerminateOnNan adds to its logger (added once, however many instances exist)."""


class TerminateOnNan:
    """Terminate the engine when ``output_transform(engine.state.output)`` has a NaN or infinite value.

    The output may be a number, a tensor, or a mapping/sequence/namedtuple nesting them (strings are skipped).

    ```python
    from ignite.engine import Events
    from ignite.handlers import TerminateOnNan

    trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
    ```

    Args:
        output_transform: maps the engine's output to the value(s) to check; default identity.
    """

    def __init__(self, output_transform: Callable = lambda x: x) -> None:
        self.logger = setup_logger(__name__ + "." + self.__class__.__name__)
        if not any(isinstance(h, _MarkedStreamHandler) for h in self.logger.handlers):
            self.logger.addHandler(_MarkedStreamHandler())
        self._output_transform = output_transform

    def __call__(self, engine: Engine) -> None:
        output = self._output_transform(engine.state.output)
        found = False

        def check(x: numbers.Number | torch.Tensor) -> None:
            nonlocal found
            if found:
                return
            if isinstance(x, torch.Tensor):
                finite = bool(torch.isfinite(x).all())
            elif isinstance(x, numbers.Real):
                finite = math.isfinite(x)
            elif isinstance(x, numbers.Complex):
                finite = cmath.isfinite(x)
            else:
                finite = bool(torch.isfinite(torch.tensor(x)).all())
            if not finite:
                found = True

        apply_to_type(output, (numbers.Number, torch.Tensor), check)
        if found:
            self.logger.warning(f"{self.__class__.__name__}: Output '{output}' contains NaN or Inf. Stop training")
            engine.terminate()
