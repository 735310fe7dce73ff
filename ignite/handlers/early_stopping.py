"""Stop training when a score stops improving."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Literal

from torch import nn

from ignite.base import ResettableHandler, Serializable
from ignite.engine import Engine, Events
from ignite.utils import setup_logger

__all__ = ["EarlyStopping"]

_DEPRECATED = {"min_delta": "threshold", "min_delta_mode": "threshold_mode", "cumulative_delta": "cumulative"}


def _deprecation(old: str) -> None:
    warnings.warn(
        f"'{old}' is deprecated and will be removed in a future version. Please use '{_DEPRECATED[old]}' instead.",
        DeprecationWarning,
        stacklevel=3,
    )


class EarlyStopping(Serializable, ResettableHandler):
    """Terminate ``trainer`` when ``score_function(engine)`` has not improved for ``patience`` calls.

    An improvement is a score above ``best + threshold`` (``mode="max"``, ``threshold_mode="abs"``), above
    ``best * (1 + threshold)`` (``"rel"``), or below the mirrored bounds in ``mode="min"``. Without
    ``cumulative`` the reference moves to every better score, even one that is not an improvement.

    ```python
    handler = EarlyStopping(patience=5, score_function=lambda e: e.state.metrics["accuracy"], trainer=trainer,
                            restore_best_weights=model)
    evaluator.add_event_handler(Events.COMPLETED, handler)
    ```

    ``restore_best_weights`` (beyond upstream, off by default): a module whose weights are copied at every new
    best score and loaded back when this handler stops the training.
    ``min_delta``, ``min_delta_mode`` and ``cumulative_delta`` are deprecated names of ``threshold``,
    ``threshold_mode`` and ``cumulative``.
    """

    _state_dict_all_req_keys = ("counter", "best_score")

    def __init__(
        self,
        patience: int,
        score_function: Callable,
        trainer: Engine,
        threshold: float = 0.0,
        cumulative: bool = False,
        threshold_mode: Literal["abs", "rel"] = "abs",
        mode: Literal["min", "max"] = "max",
        min_delta: float | None = None,
        min_delta_mode: Literal["abs", "rel"] | None = None,
        cumulative_delta: bool | None = None,
        restore_best_weights: nn.Module | None = None,
    ) -> None:
        if not callable(score_function):
            raise TypeError("Argument score_function should be a function.")
        if patience < 1:
            raise ValueError("Argument patience should be positive integer.")
        if not isinstance(trainer, Engine):
            raise TypeError("Argument trainer should be an instance of Engine.")
        if min_delta is not None:
            _deprecation("min_delta")
            threshold = min_delta
        if min_delta_mode is not None:
            _deprecation("min_delta_mode")
            threshold_mode = min_delta_mode
        if cumulative_delta is not None:
            _deprecation("cumulative_delta")
            cumulative = cumulative_delta
        if threshold < 0.0:
            raise ValueError("Argument threshold should not be a negative number.")
        if threshold_mode not in ("abs", "rel"):
            raise ValueError("Argument threshold_mode should be either 'abs' or 'rel'.")
        if mode not in ("min", "max"):
            raise ValueError("Argument mode should be either 'min' or 'max'.")
        if restore_best_weights is not None and not isinstance(restore_best_weights, nn.Module):
            raise TypeError(
                "Argument restore_best_weights should be a torch.nn.Module or None, "
                f"but given {type(restore_best_weights)}"
            )

        self.score_function = score_function
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cumulative = cumulative
        self.trainer = trainer
        self.mode = mode
        self.counter = 0
        self.best_score: float | None = None
        self.restore_best_weights = restore_best_weights
        self._best_weights: dict[str, Any] | None = None
        self._best_weights_score: float | None = None
        self.logger = setup_logger(__name__ + "." + self.__class__.__name__)

    # deprecated aliases -------------------------------------------------------------------------------
    @property
    def min_delta(self) -> float:
        _deprecation("min_delta")
        return self.threshold

    @min_delta.setter
    def min_delta(self, value: float) -> None:
        _deprecation("min_delta")
        self.threshold = value

    @property
    def min_delta_mode(self) -> str:
        _deprecation("min_delta_mode")
        return self.threshold_mode

    @min_delta_mode.setter
    def min_delta_mode(self, value: Literal["abs", "rel"]) -> None:
        _deprecation("min_delta_mode")
        self.threshold_mode = value

    @property
    def cumulative_delta(self) -> bool:
        _deprecation("cumulative_delta")
        return self.cumulative

    @cumulative_delta.setter
    def cumulative_delta(self, value: bool) -> None:
        _deprecation("cumulative_delta")
        self.cumulative = value

    # ---------------------------------------------------------------------------------------------------
    def _is_better(self, score: float, reference: float) -> bool:
        return score > reference if self.mode == "max" else score < reference

    def __call__(self, engine: Engine) -> None:
        score = self.score_function(engine)
        if self.restore_best_weights is not None and (
            self._best_weights_score is None or self._is_better(score, self._best_weights_score)
        ):
            self._best_weights_score = score
            self._best_weights = {k: v.detach().clone() for k, v in self.restore_best_weights.state_dict().items()}

        if self.best_score is None:
            self.best_score = score
            return

        t = -self.threshold if self.mode == "min" else self.threshold
        bound = self.best_score + t if self.threshold_mode == "abs" else self.best_score * (1 + t)
        no_improvement = score <= bound if self.mode == "max" else score >= bound
        if no_improvement:
            if not self.cumulative and self._is_better(score, self.best_score):
                self.best_score = score
            self.counter += 1
            self.logger.debug("EarlyStopping: %i / %i", self.counter, self.patience)
            if self.counter >= self.patience:
                self.logger.info("EarlyStopping: Stop training")
                self.trainer.terminate()
                if self.restore_best_weights is not None and self._best_weights is not None:
                    self.restore_best_weights.load_state_dict(self._best_weights)
        else:
            self.best_score = score
            self.counter = 0

    def reset(self) -> None:
        """Forget the best score and the patience count (and the best weights)."""
        self.counter = 0
        self.best_score = None
        self._best_weights = None
        self._best_weights_score = None

    def _reset_unless_resuming(self, engine: Engine) -> None:
        # a run resumed from a checkpoint (iteration > 0 at STARTED) keeps the state that was loaded
        if engine.state.iteration == 0:
            self.reset()

    def attach(
        self,
        engine: Engine,
        event: Any = Events.COMPLETED,
        reset_engine: Engine | None = None,
        reset_event: Any = Events.STARTED,
        *args: Any,
        reset_with_trainer: bool = False,
        **kwargs: Any,
    ) -> None:
        """Call the handler on ``event`` of ``engine`` and :meth:`reset` it on ``reset_event`` of ``reset_engine``.

        ``reset_engine`` defaults to ``engine``, as upstream: attached to an evaluator, the handler is reset at
        every evaluation run, so its patience never accumulates across epochs. ``reset_with_trainer=True``
        (beyond upstream) makes the default reset engine the ``trainer``: the handler is reset when a training
        run starts, and not when that run resumes a loaded state (iteration > 0 at ``STARTED``).

        ```python
        handler = EarlyStopping(patience=3, score_function=score, trainer=trainer)
        handler.attach(evaluator, reset_with_trainer=True)
        ```
        """
        if not isinstance(reset_with_trainer, bool):
            raise TypeError(f"Argument reset_with_trainer should be a bool, but given {type(reset_with_trainer)}")
        engine.add_event_handler(event, self, *args, **kwargs)
        if reset_with_trainer and reset_engine is None:
            reset_handler = self._reset_unless_resuming if reset_event == Events.STARTED else self.reset
            self.trainer.add_event_handler(reset_event, reset_handler)
        else:
            (reset_engine or engine).add_event_handler(reset_event, self.reset)

    def state_dict(self) -> OrderedDict:
        """``counter``, ``best_score``, ``threshold_mode`` (and the best weights when they are kept)."""
        state = OrderedDict(
            [("counter", self.counter), ("best_score", self.best_score), ("threshold_mode", self.threshold_mode)]
        )
        if self.restore_best_weights is not None:
            state["best_weights"] = self._best_weights
            state["best_weights_score"] = self._best_weights_score
        return state

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore a state; ``threshold_mode`` may be absent (state dicts of earlier releases)."""
        super().load_state_dict(state_dict)
        self.counter = state_dict["counter"]
        self.best_score = state_dict["best_score"]
        self.threshold_mode = state_dict.get("threshold_mode", self.threshold_mode)
        if "best_weights" in state_dict:
            self._best_weights = state_dict["best_weights"]
            self._best_weights_score = state_dict.get("best_weights_score")
