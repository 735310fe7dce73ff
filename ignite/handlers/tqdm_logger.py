"""A tqdm progress bar driven by engine events."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ignite.engine.events import CallableEventWithFilter, Events
from ignite.handlers.base_logger import BaseLogger, BaseOutputHandler

if TYPE_CHECKING:
    from ignite.engine import Engine


_DEFAULT_BAR_FORMAT = "{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%|{bar}{postfix} [{elapsed}<{remaining}]"

# How an event's counter and maximum are read: per iteration (epoch_length), per epoch (max_epochs), other.
_ITERATION, _EPOCH, _OTHER = 0, 1, 2


def _event_kind(event: Any) -> int:
    if event in (Events.ITERATION_STARTED, Events.ITERATION_COMPLETED):
        return _ITERATION
    if event in (Events.EPOCH_STARTED, Events.EPOCH_COMPLETED):
        return _EPOCH
    return _OTHER


def _max_number_events(kind: int, engine: Engine) -> int | None:
    state = engine.state
    if kind == _ITERATION:
        return state.epoch_length
    if kind == _EPOCH:
        if state.max_epochs is None and state.max_iters is not None and state.epoch_length:
            return math.ceil(state.max_iters / state.epoch_length)  # a run bounded by max_iters
        return state.max_epochs
    return 1


class ProgressBar(BaseLogger):
    """A `tqdm <https://github.com/tqdm/tqdm>`_ progress bar for an engine.

    ```python
    from ignite.handlers import ProgressBar

    pbar = ProgressBar()
    pbar.attach(trainer, output_transform=lambda loss: {"loss": loss})
    # Epoch [2/10]: [64/128]  50%|█████     , loss=0.0123 [00:01<00:01]

    ProgressBar(desc="Validation", persist=True).attach(evaluator, metric_names="all")
    pbar.log_message("printed above the bars")
    ```

    The bar redraws at most every ``mininterval`` seconds (tqdm's throttle, 0.1 s by default): per
    iteration it only counts, so it costs about a microsecond; the metrics and output shown beside it are
    collected only when a redraw is due and on the last step of each bar. A bar closes at the closing event
    and also when the run ends early (terminate or ``COMPLETED``), so a later bar is never pushed down by a
    stale one.

    Args:
        persist: keep the finished bar on screen (tqdm's ``leave``).
        bar_format: tqdm's format of the bar; ``None`` or ``""`` gives tqdm's default.
        tqdm_kwargs: any other argument of ``tqdm`` (``desc``, ``file``, ``ncols``, ``mininterval``, ...).
            ``desc`` replaces the default ``"Epoch"``/``"Iteration"`` description; ``file`` is any text
            stream, ``sys.stderr`` by default.
    """

    _events_order: list[Events] = [
        Events.STARTED,
        Events.EPOCH_STARTED,
        Events.ITERATION_STARTED,
        Events.ITERATION_COMPLETED,
        Events.EPOCH_COMPLETED,
        Events.COMPLETED,
    ]

    def __init__(
        self,
        persist: bool = False,
        bar_format: str | None = _DEFAULT_BAR_FORMAT,
        **tqdm_kwargs: Any,
    ) -> None:
        try:
            from tqdm.autonotebook import tqdm
        except ImportError:
            raise ModuleNotFoundError(
                "This submodule requires tqdm to be installed. Please install it with the command: \n pip install tqdm"
            ) from None

        self.pbar_cls = tqdm
        self.pbar: Any = None
        self.persist = persist
        self.bar_format = bar_format
        self.tqdm_kwargs = tqdm_kwargs
        self._owner: _OutputHandler | None = None  # the handler that opened the current bar

    def _reset(self, pbar_total: int | None, desc: str | None = None) -> None:
        if self.pbar is not None:  # left open by a run that raised: clear it so that it does not stack up
            self.pbar.close()
        kwargs = self.tqdm_kwargs
        if desc is not None:
            kwargs = {**kwargs, "desc": desc}
        self.pbar = self.pbar_cls(total=pbar_total, leave=self.persist, bar_format=self.bar_format, initial=1, **kwargs)

    def _close(self, engine: Engine) -> None:
        pbar = self.pbar
        if pbar is not None:
            if self._owner is not None:
                self._owner._finish(engine, self)
            if pbar.total is not None:
                pbar.n = pbar.total
            self._close_bar(pbar)
        self.pbar = None
        self._owner = None

    def _close_run_ended(self, engine: Engine) -> None:
        """Close a bar still open when the run ends before its closing event (showing where it stopped)."""
        pbar = self.pbar
        if pbar is not None:
            if self._owner is not None:
                self._owner._finish(engine, self)
            self._close_bar(pbar)
        self.pbar = None
        self._owner = None

    def _close_bar(self, pbar: Any) -> None:
        """Draw ``pbar``'s final frame (position, values, elapsed time), then close it.

        The last step's redraw may have been throttled, so the final frame is always drawn here: tqdm draws it
        for a kept bar; a transient bar is drawn once before tqdm clears its row, so logs end with it too. A
        kept bar that sits below another one becomes a line printed above the bars: tqdm would write its final
        frame over the outer bar's row, leaving the end of the longer line behind it on screen; printing it as
        a message clears and redraws the other bars instead.
        """
        drawable = not pbar.disable and getattr(pbar, "fp", None) is not None
        if drawable and not pbar.leave:
            pbar.refresh()
        pos = getattr(pbar, "pos", 0)
        if not (pbar.leave and pos and drawable):
            pbar.close()
            return
        final = str(pbar)
        pbar.leave = False
        pbar.close()  # clears its own row
        self.pbar_cls.write(final, file=pbar.fp)

    @staticmethod
    def _compare_lt(event1: Any, event2: Any) -> bool:
        order = ProgressBar._events_order
        if event1 not in order or event2 not in order:
            return True  # custom events: no order to check
        return order.index(event1) < order.index(event2)

    def log_message(self, message: str) -> None:
        """Print ``message`` above the bars (to the bar's ``file``, ``sys.stdout`` when none was given)."""
        self.pbar_cls.write(message, file=self.tqdm_kwargs.get("file", None))

    def attach(  # type: ignore[override]
        self,
        engine: Engine,
        metric_names: str | list[str] | None = None,
        output_transform: Callable | None = None,
        event_name: Any = Events.ITERATION_COMPLETED,
        closing_event_name: Any = Events.EPOCH_COMPLETED,
        state_attributes: list[str] | None = None,
    ) -> None:
        """Show a bar advancing at ``event_name`` and closed at ``closing_event_name``.

        Args:
            engine: the engine to follow.
            metric_names: ``engine.state.metrics`` names shown beside the bar, or ``"all"``.
            output_transform: maps ``engine.state.output`` to a number, tensor or dict shown beside the bar.
            event_name: the event that advances the bar (may be filtered, e.g. ``ITERATION_COMPLETED(every=10)``).
            closing_event_name: the event closing the bar (unfiltered, after ``event_name``).
            state_attributes: ``engine.state`` attribute names shown beside the bar.
        """
        desc = self.tqdm_kwargs.get("desc", None)

        if event_name not in engine._allowed_events:
            name = getattr(event_name, "name", event_name)
            raise ValueError(f"Logging event {name} is not in allowed events for this engine")

        if isinstance(closing_event_name, CallableEventWithFilter) and closing_event_name.filter is not None:
            raise ValueError("Closing Event should not be a filtered event")

        if not self._compare_lt(event_name, closing_event_name):
            raise ValueError(f"Logging event {event_name} should be called before closing event {closing_event_name}")

        log_handler = _OutputHandler(
            desc,
            metric_names,
            output_transform,
            closing_event_name=closing_event_name,
            state_attributes=state_attributes,
        )
        log_handler._bind(event_name)
        # HandlersTimeProfiler shows the bar as one row, its drawing and closing hooks together
        self._profiler_entry = log_handler._profiler_entry = ("ProgressBar", event_name)
        super().attach(engine, log_handler, event_name)
        engine.add_event_handler(closing_event_name, self._close)
        for end_event in (Events.TERMINATE, Events.COMPLETED):
            if end_event != closing_event_name:
                engine.add_event_handler(end_event, self._close_run_ended)

    def attach_output_handler(  # type: ignore[override]
        self,
        engine: Engine,
        event_name: Any = Events.ITERATION_COMPLETED,
        metric_names: str | list[str] | None = None,
        output_transform: Callable | None = None,
        closing_event_name: Any = Events.EPOCH_COMPLETED,
        state_attributes: list[str] | None = None,
    ) -> None:
        """Same as :meth:`attach`, with the event first as for the other loggers."""
        self.attach(
            engine,
            metric_names=metric_names,
            output_transform=output_transform,
            event_name=event_name,
            closing_event_name=closing_event_name,
            state_attributes=state_attributes,
        )

    def attach_opt_params_handler(  # type: ignore[override]
        self, engine: Engine, event_name: Any, *args: Any, **kwargs: Any
    ) -> None:
        """Does nothing: a progress bar shows no optimizer parameters."""

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> _OutputHandler:
        return _OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> Callable:  # type: ignore[empty-body]
        """Does nothing: a progress bar shows no optimizer parameters."""


class _OutputHandler(BaseOutputHandler):
    """Advances the bar; collects the description and shown values only when tqdm is about to redraw.

    Args:
        description: the bar's description (the ``desc`` given to :class:`ProgressBar`), or None.
        metric_names, output_transform, state_attributes: the values shown beside the bar.
        closing_event_name: the event closing the bar; its counter is shown in the description.
    """

    def __init__(
        self,
        description: str | None,
        metric_names: str | list[str] | None = None,
        output_transform: Callable | None = None,
        closing_event_name: Any = Events.EPOCH_COMPLETED,
        state_attributes: list[str] | None = None,
    ) -> None:
        if metric_names is None and output_transform is None:
            metric_names = []  # a bar without values beside it is fine
        super().__init__(
            description,  # type: ignore[arg-type]
            metric_names,
            output_transform,
            global_step_transform=None,
            state_attributes=state_attributes,
        )
        self.closing_event_name = closing_event_name
        self._closing_kind = _event_kind(closing_event_name)
        self._event_kind: int | None = None
        self._has_values = bool(metric_names) or output_transform is not None or bool(state_attributes)
        self._synced_n: int | None = None  # the bar position whose description and values are shown
        self._last_output: Any = None  # engine output of the last step, for a final frame drawn later
        self._finishing = False

    def _bind(self, event_name: Any) -> None:
        self._event_kind = _event_kind(event_name)

    @staticmethod
    def get_max_number_events(event_name: Any, engine: Engine) -> int | None:
        """Bar length for ``event_name``: epoch length, number of epochs, or 1 for other events."""
        return _max_number_events(_event_kind(event_name), engine)

    def _description(self, engine: Engine) -> str:
        desc = self.tag or ("Iteration" if engine.state.max_epochs == 1 else "Epoch")
        max_closing = _max_number_events(self._closing_kind, engine)
        if max_closing is not None and max_closing > 1:
            global_step = engine.state.get_event_attrib_value(self.closing_event_name)
            desc += f" [{global_step}/{max_closing}]"
        return desc

    def _postfix(self, engine: Engine, pbar: Any) -> None:
        if not self._has_values:
            return
        metrics = self._setup_output_metrics_state_attrs(engine, log_text=True, key_tuple=True)
        rendered = OrderedDict(("_".join(k[1:]), v) for k, v in metrics.items())
        if rendered:
            pbar.set_postfix(rendered, refresh=False)

    def _collect(self, engine: Engine, output: Any = None) -> dict[str, Any]:
        if self._finishing:  # the final frame shows the output of the last step, as it would have been drawn
            return super()._collect(engine, self._last_output)
        return super()._collect(engine)

    def _finish(self, engine: Engine, logger: ProgressBar) -> None:
        """Before the final draw: bring the description and values up to date if the last steps skipped them."""
        pbar = logger.pbar
        if pbar is not None and not pbar.disable and self._synced_n != pbar.n:
            pbar.set_description(self._description(engine), refresh=False)
            self._finishing = True
            try:
                self._postfix(engine, pbar)
            finally:
                self._finishing = False
            self._synced_n = pbar.n
        self._last_output = None

    def __call__(self, engine: Engine, logger: ProgressBar, event_name: Any) -> None:  # type: ignore[override]
        state = engine.state
        kind = self._event_kind
        if kind == _ITERATION:
            total = state.epoch_length
            step = state.iteration
        elif kind == _EPOCH:
            total = _max_number_events(_EPOCH, engine)
            step = state.epoch
        else:
            if kind is None:  # called without attach(): classify the event once
                self._event_kind = _event_kind(event_name)
                return self(engine, logger, event_name)
            total = 1
            step = state.get_event_attrib_value(event_name)
        if total:
            step = (step - 1) % total + 1

        pbar = logger.pbar
        if pbar is None:
            logger._reset(pbar_total=total, desc=self._description(engine) + ": ")
            logger._owner = self
            pbar = logger.pbar
            if not pbar.disable and self._has_values:
                self._postfix(engine, pbar)
                if pbar.postfix:
                    pbar.refresh()
            pbar.update(step - pbar.n)
            self._synced_n = step
            return

        if pbar.disable:
            return
        # tqdm redraws (inside update) only once both its iteration and time thresholds are met. Test them
        # here first: the description and values are built only for frames actually drawn (and for the last
        # step, which the closing frame shows), and a step that draws nothing just moves the counter.
        if step == total or (
            step - pbar.last_print_n >= pbar.miniters and time.time() - pbar.last_print_t >= pbar.mininterval
        ):
            pbar.set_description(self._description(engine), refresh=False)
            self._postfix(engine, pbar)
            self._synced_n = step
            pbar.update(step - pbar.n)
        elif step >= pbar.n:
            pbar.n = step
            self._last_output = state.output
        else:  # the counter wrapped around (a bar spanning several epochs): let tqdm do its bookkeeping
            pbar.update(step - pbar.n)
            self._synced_n = None
            self._last_output = state.output
