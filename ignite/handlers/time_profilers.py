"""Time profilers: where does a run spend its time (data loading, processing, event handlers)?"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from time import perf_counter
from typing import TYPE_CHECKING, Any, cast

import torch

from ignite.engine.events import Events
from ignite.handlers.timing import Timer

if TYPE_CHECKING:
    from ignite.engine import Engine


def _check_engine(engine: Any) -> None:
    from ignite.engine.engine import Engine

    if not isinstance(engine, Engine):
        raise TypeError(f"Argument engine should be ignite.engine.Engine, but given {type(engine)}")


def _import_pandas() -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ModuleNotFoundError("Need pandas to write results as files") from None
    return pd


def _handler_name(handler: Any) -> str:
    return getattr(handler, "__qualname__", handler.__class__.__name__)


def _declared_entry(handler: Any) -> tuple[str, Any] | None:
    """The ``(name, event)`` row declared by a handler, or by the object of a bound method, if any.

    A tool made of several hooks (a progress bar draws on one event, closes on others) declares
    ``_profiler_entry = (name, event)`` so that its hooks add up in one row, under its own name.
    """
    entry = getattr(getattr(handler, "__self__", handler), "_profiler_entry", None)
    if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str):
        return entry
    return None


def _unwrapped(handler: Callable) -> Callable:
    original = getattr(handler, "_profiler_original", None)
    return handler if original is None else original


def _remove_if_present(engine: Engine, handler: Callable, event: Any) -> None:
    if engine.has_event_handler(handler, event):
        engine.remove_event_handler(handler, event)


class BasicTimeProfiler:
    """Times the data loading, the processing function and the handlers of each event of a run.

    ```python
    from ignite.handlers import BasicTimeProfiler

    profiler = BasicTimeProfiler()
    profiler.attach(trainer)
    trainer.run(data, max_epochs=3)
    BasicTimeProfiler.print_results(profiler.get_results())
    ```

    At ``STARTED`` the profiler allocates one slot per iteration (per epoch for epoch events), then wraps
    every event with a first and a last hook: an event's handler time runs from its first hook to its last,
    processing time from the last ``ITERATION_STARTED`` hook to the first ``ITERATION_COMPLETED`` hook,
    dataflow time from the first ``GET_BATCH_STARTED`` hook to the last ``GET_BATCH_COMPLETED`` hook. The
    hooks are removed when the run completes. Data-loading slots are indexed by the iteration the batch is
    for (upstream shifts them by one).
    """

    events_to_ignore = [
        Events.EXCEPTION_RAISED,
        Events.TERMINATE,
        Events.TERMINATE_SINGLE_EPOCH,
        Events.DATALOADER_STOP_ITERATION,
        Events.INTERRUPT,
    ]

    def __init__(self) -> None:
        self._dataflow_timer = Timer()
        self._processing_timer = Timer()
        self._event_handlers_timer = Timer()

        self.dataflow_times = torch.zeros(1, dtype=torch.float64)
        self.processing_times = torch.zeros(1, dtype=torch.float64)
        self.event_handlers_times: dict[Any, torch.Tensor] = {
            e: torch.zeros(1, dtype=torch.float64) for e in self._timed_events()
        }
        self.event_handlers_names: dict[Any, list[str]] = {}
        self.max_epochs = 0
        self.total_num_iters = 0
        self._epoch_length = 1
        self._started_recorded = False

        self._events = [
            Events.EPOCH_STARTED,
            Events.EPOCH_COMPLETED,
            Events.ITERATION_STARTED,
            Events.ITERATION_COMPLETED,
            Events.GET_BATCH_STARTED,
            Events.GET_BATCH_COMPLETED,
            Events.COMPLETED,
        ]
        self._fmethods = [
            self._as_first_epoch_started,
            self._as_first_epoch_completed,
            self._as_first_iter_started,
            self._as_first_iter_completed,
            self._as_first_get_batch_started,
            self._as_first_get_batch_completed,
            self._as_first_completed,
        ]
        self._lmethods = [
            self._as_last_epoch_started,
            self._as_last_epoch_completed,
            self._as_last_iter_started,
            self._as_last_iter_completed,
            self._as_last_get_batch_started,
            self._as_last_get_batch_completed,
            self._as_last_completed,
        ]

    def _timed_events(self) -> list[Events]:
        return [e for e in Events if e not in self.events_to_ignore]

    def _reset(self, num_epochs: int, total_num_iters: int) -> None:
        def zeros(n: int) -> torch.Tensor:
            return torch.zeros(max(n, 1), dtype=torch.float64)

        self.dataflow_times = zeros(total_num_iters)
        self.processing_times = zeros(total_num_iters)
        self.event_handlers_times = {
            Events.STARTED: zeros(1),
            Events.COMPLETED: zeros(1),
            Events.EPOCH_STARTED: zeros(num_epochs),
            Events.EPOCH_COMPLETED: zeros(num_epochs),
            Events.ITERATION_STARTED: zeros(total_num_iters),
            Events.ITERATION_COMPLETED: zeros(total_num_iters),
            Events.GET_BATCH_STARTED: zeros(total_num_iters),
            Events.GET_BATCH_COMPLETED: zeros(total_num_iters),
        }

    @staticmethod
    def _store(buffer: torch.Tensor, index: int, value: float) -> torch.Tensor:
        """``buffer[index] = value``, growing the buffer when a run goes past its planned length."""
        if index >= buffer.numel():
            grown = torch.zeros(max(index + 1, 2 * buffer.numel()), dtype=buffer.dtype)
            grown[: buffer.numel()] = buffer
            buffer = grown
        buffer[index] = value
        return buffer

    def _record(self, event: Events, index: int, value: float) -> None:
        self.event_handlers_times[event] = self._store(self.event_handlers_times[event], index, value)

    def _as_first_started(self, engine: Engine) -> None:
        state = engine.state
        epoch_length = state.epoch_length
        if epoch_length is None:
            if hasattr(state.dataloader, "__len__"):
                epoch_length = len(state.dataloader)
            else:
                raise ValueError(
                    "As epoch_length is not set, we can not use BasicTimeProfiler in this case."
                    "Please, set trainer.run(..., epoch_length=epoch_length) in order to fix this."
                )
        self._epoch_length = epoch_length
        if state.max_iters is not None:
            self.total_num_iters = state.max_iters
            self.max_epochs = math.ceil(state.max_iters / epoch_length)
        else:
            self.max_epochs = cast(int, state.max_epochs)
            self.total_num_iters = self.max_epochs * epoch_length
        self._reset(self.max_epochs, self.total_num_iters)

        own = self._own_hooks()
        self.event_handlers_names = {
            e: [_handler_name(h) for h in engine._handlers_of(e) if h not in own] for e in self._timed_events()
        }

        self._started_recorded = False
        # handlers appended while STARTED fires run in this same firing: this hook ends the STARTED timing
        engine._append_handler(Events.STARTED, self._as_last_started)
        for e, m in zip(self._events, self._fmethods):
            engine._prepend_handler(e, m)
        for e, m in zip(self._events, self._lmethods):
            engine._append_handler(e, m)

        self._event_handlers_timer.reset()

    def _own_hooks(self) -> list[Callable]:
        return [self._as_first_started, self._as_last_started, *self._fmethods, *self._lmethods]

    def _as_last_started(self, engine: Engine) -> None:
        if not self._started_recorded:
            self._record(Events.STARTED, 0, self._event_handlers_timer.value())
            self._started_recorded = True

    def _as_first_epoch_started(self, engine: Engine) -> None:
        if not self._started_recorded:
            # an engine that does not run handlers appended during a firing never ran _as_last_started:
            # STARTED's handlers ended right before this first EPOCH_STARTED hook
            self._as_last_started(engine)
        self._event_handlers_timer.reset()

    def _as_last_epoch_started(self, engine: Engine) -> None:
        t = self._event_handlers_timer.value()
        self._record(Events.EPOCH_STARTED, engine.state.epoch - 1, t)

    def _as_first_get_batch_started(self, engine: Engine) -> None:
        self._event_handlers_timer.reset()
        self._dataflow_timer.reset()

    def _as_last_get_batch_started(self, engine: Engine) -> None:
        t = self._event_handlers_timer.value()
        # the engine fires GET_BATCH_* before counting the new iteration: its 0-based index is the counter
        self._record(Events.GET_BATCH_STARTED, engine.state.iteration, t)

    def _as_first_get_batch_completed(self, engine: Engine) -> None:
        self._event_handlers_timer.reset()

    def _as_last_get_batch_completed(self, engine: Engine) -> None:
        t = self._event_handlers_timer.value()
        i = engine.state.iteration
        self._record(Events.GET_BATCH_COMPLETED, i, t)
        self.dataflow_times = self._store(self.dataflow_times, i, self._dataflow_timer.value())
        self._dataflow_timer.reset()

    def _as_first_iter_started(self, engine: Engine) -> None:
        self._event_handlers_timer.reset()

    def _as_last_iter_started(self, engine: Engine) -> None:
        t = self._event_handlers_timer.value()
        self._record(Events.ITERATION_STARTED, engine.state.iteration - 1, t)
        self._processing_timer.reset()

    def _as_first_iter_completed(self, engine: Engine) -> None:
        t = self._processing_timer.value()
        self.processing_times = self._store(self.processing_times, engine.state.iteration - 1, t)
        self._event_handlers_timer.reset()

    def _as_last_iter_completed(self, engine: Engine) -> None:
        t = self._event_handlers_timer.value()
        self._record(Events.ITERATION_COMPLETED, engine.state.iteration - 1, t)

    def _as_first_epoch_completed(self, engine: Engine) -> None:
        self._event_handlers_timer.reset()

    def _as_last_epoch_completed(self, engine: Engine) -> None:
        t = self._event_handlers_timer.value()
        self._record(Events.EPOCH_COMPLETED, engine.state.epoch - 1, t)

    def _as_first_completed(self, engine: Engine) -> None:
        self._event_handlers_timer.reset()

    def _as_last_completed(self, engine: Engine) -> None:
        self._record(Events.COMPLETED, 0, self._event_handlers_timer.value())
        _remove_if_present(engine, self._as_last_started, Events.STARTED)
        for e, m in zip(self._events, self._fmethods):
            _remove_if_present(engine, m, e)
        for e, m in zip(self._events, self._lmethods):
            _remove_if_present(engine, m, e)

    def attach(self, engine: Engine) -> None:
        """Profile every run of ``engine`` (the start hook goes first among ``STARTED``'s handlers)."""
        _check_engine(engine)
        if not engine.has_event_handler(self._as_first_started):
            engine._prepend_handler(Events.STARTED, self._as_first_started)

    @staticmethod
    def _compute_basic_stats(data: torch.Tensor) -> dict[str, Any]:
        # only the slots that were filled (> 0) count
        data = data[data > 0]
        out: list[tuple[str, Any]] = [("total", torch.sum(data).item() if len(data) > 0 else "not yet triggered")]
        if len(data) > 1:
            out.extend(
                [
                    ("min/index", (torch.min(data).item(), torch.argmin(data).item())),
                    ("max/index", (torch.max(data).item(), torch.argmax(data).item())),
                    ("mean", torch.mean(data).item()),
                    ("std", torch.std(data).item()),
                ]
            )
        return OrderedDict(out)

    def get_results(self) -> dict[str, dict[str, Any]]:
        """Statistics (total, min/index, max/index, mean, std) of processing, dataflow and each event's handlers.

        ```python
        results = profiler.get_results()
        results["processing_stats"]["total"]
        results["event_handlers_stats"]["ITERATION_COMPLETED"]["mean"]
        results["event_handlers_names"]["ITERATION_COMPLETED_names"]
        ```
        """
        events = self._timed_events()
        total_eh_time: torch.Tensor = sum(  # type: ignore[assignment]
            (self.event_handlers_times[e]).sum() for e in events
        )
        event_handlers_stats: dict[str, Any] = OrderedDict(
            [(str(e.name).replace(".", "_"), self._compute_basic_stats(self.event_handlers_times[e])) for e in events]
        )
        event_handlers_stats["total_time"] = total_eh_time
        names = {str(e.name).replace(".", "_") + "_names": list(self.event_handlers_names.get(e, [])) for e in events}
        return OrderedDict(
            [
                ("processing_stats", self._compute_basic_stats(self.processing_times)),
                ("dataflow_stats", self._compute_basic_stats(self.dataflow_times)),
                ("event_handlers_stats", event_handlers_stats),
                ("event_handlers_names", names),
            ]
        )

    def write_results(self, output_path: str) -> None:
        """Write one CSV row per iteration (needs pandas).

        Columns: ``epoch, iteration, processing_stats, dataflow_stats, Event_STARTED, Event_COMPLETED,
        Event_EPOCH_STARTED, Event_EPOCH_COMPLETED, Event_ITERATION_STARTED, Event_ITERATION_COMPLETED,
        Event_GET_BATCH_STARTED, Event_GET_BATCH_COMPLETED``; per-run and per-epoch values are repeated on
        the rows of their iterations.
        """
        pd = _import_pandas()

        n = max(self.total_num_iters, 1)
        index = torch.arange(n)
        epoch_index = torch.div(index, max(self._epoch_length, 1), rounding_mode="floor")

        def per_iteration(t: torch.Tensor) -> torch.Tensor:
            out = torch.zeros(n, dtype=torch.float64)
            m = min(n, t.numel())
            out[:m] = t[:m]
            return out

        def per_epoch(t: torch.Tensor) -> torch.Tensor:
            padded = torch.zeros(int(epoch_index[-1].item()) + 1, dtype=torch.float64)
            m = min(padded.numel(), t.numel())
            padded[:m] = t[:m]
            return padded[epoch_index]

        times = self.event_handlers_times
        columns = {
            "epoch": (epoch_index + 1).to(torch.float64),
            "iteration": (index + 1).to(torch.float64),
            "processing_stats": per_iteration(self.processing_times),
            "dataflow_stats": per_iteration(self.dataflow_times),
            "Event_STARTED": times[Events.STARTED][0].expand(n).to(torch.float64),
            "Event_COMPLETED": times[Events.COMPLETED][0].expand(n).to(torch.float64),
            "Event_EPOCH_STARTED": per_epoch(times[Events.EPOCH_STARTED]),
            "Event_EPOCH_COMPLETED": per_epoch(times[Events.EPOCH_COMPLETED]),
            "Event_ITERATION_STARTED": per_iteration(times[Events.ITERATION_STARTED]),
            "Event_ITERATION_COMPLETED": per_iteration(times[Events.ITERATION_COMPLETED]),
            "Event_GET_BATCH_STARTED": per_iteration(times[Events.GET_BATCH_STARTED]),
            "Event_GET_BATCH_COMPLETED": per_iteration(times[Events.GET_BATCH_COMPLETED]),
        }
        data = torch.stack(list(columns.values()), dim=1).numpy()
        pd.DataFrame(data=data, columns=list(columns)).to_csv(output_path, index=False)

    @staticmethod
    def print_results(results: dict) -> str:
        """Print (and return) the results of :meth:`get_results` as a text table.

        ```text
         ----------------------------------------------------
        | Time profiling stats (in seconds):                 |
         ----------------------------------------------------
        total  |  min/index  |  max/index  |  mean  |  std

        Processing function:
        157.46292 | 0.01452/1501 | 0.26905/0 | 0.07730 | 0.01258
        ...
        ```
        """

        def to_str(v: Any) -> str:
            if isinstance(v, str):
                return v
            if isinstance(v, tuple):
                return f"{v[0]:.5f}/{v[1]}"
            return f"{v:.5f}"

        def odict_to_str(d: dict) -> str:
            return " | ".join(to_str(v) for v in d.values())

        stats = results["event_handlers_stats"]
        names = results["event_handlers_names"]
        dashes = " " + "-" * 52
        lines = [
            "",
            dashes,
            "|" + " Time profiling stats (in seconds):".ljust(52) + "|",
            dashes,
            "total  |  min/index  |  max/index  |  mean  |  std",
            "",
            "Processing function:",
            odict_to_str(results["processing_stats"]),
            "",
            "Dataflow:",
            odict_to_str(results["dataflow_stats"]),
            "",
            "Event handlers:",
            f"{stats['total_time']:.5f}",
            "",
        ]
        for event in ("STARTED", "EPOCH_STARTED", "ITERATION_STARTED", "ITERATION_COMPLETED", "EPOCH_COMPLETED"):
            lines += [f"- Events.{event}: {names[event + '_names']}", odict_to_str(stats[event]), ""]
        lines += [f"- Events.COMPLETED: {names['COMPLETED_names']}", odict_to_str(stats["COMPLETED"]), ""]
        output_message = "\n".join(lines)
        print(output_message)
        return output_message


class HandlersTimeProfiler:
    """Times every event handler of a run separately, plus data loading and the processing function.

    ```python
    from ignite.handlers import HandlersTimeProfiler

    profiler = HandlersTimeProfiler()
    profiler.attach(trainer)
    trainer.run(data, max_epochs=3)
    HandlersTimeProfiler.print_results(profiler.get_results())
    ```

    At ``STARTED`` every handler registered on the engine (custom events included) is swapped for a timing
    wrapper with the same name; the originals are put back when the run completes. Calls of a handler
    attached with an event filter are counted only when the filter let them through. A tool made of several
    hooks shows as one row: a :class:`~ignite.handlers.ProgressBar` is one ``ProgressBar`` row on its
    progress event, its closing hooks included.
    """

    EVENT_FILTER_THESHOLD_TIME = 0.0001

    def __init__(self) -> None:
        self._dataflow_timer = Timer()
        self._processing_timer = Timer()
        self._event_handlers_timer = Timer()

        self.dataflow_times: list[float] = []
        self.processing_times: list[float] = []
        self.event_handlers_times: dict[Any, dict[str, list[float]]] = {}
        self.event_handlers_names: dict[Any, list[str]] = {}

    @staticmethod
    def _get_callable_name(handler: Callable) -> str:
        return _handler_name(handler)

    def _create_wrapped_handler(self, handler: Callable, event: Any) -> Callable:
        name, event = _declared_entry(handler) or (self._get_callable_name(handler), event)
        times = self.event_handlers_times.setdefault(event, {}).setdefault(name, [])
        filtered = _filtered_parts(handler)
        threshold = self.EVENT_FILTER_THESHOLD_TIME

        if filtered is not None:
            inner, event_filter, filter_event, engine_ref = filtered

            @functools.wraps(handler)
            def _timeit_filtered(*args: Any, **kwargs: Any) -> Any:
                engine = engine_ref()
                if engine is None:
                    return handler(*args, **kwargs)  # the engine wrapper raises its usual error
                if not event_filter(engine, engine.state.get_event_attrib_value(filter_event)):
                    return None
                t0 = perf_counter()
                out = inner(*args, **kwargs)
                times.append(perf_counter() - t0)
                return out

            wrapper = _timeit_filtered
        else:
            is_filtered = hasattr(handler, "_parent")

            @functools.wraps(handler)
            def _timeit_handler(*args: Any, **kwargs: Any) -> Any:
                t0 = perf_counter()
                out = handler(*args, **kwargs)
                t = perf_counter() - t0
                # a wrapper of a filtered handler whose filter we cannot read: a fast call is a skipped call
                if not is_filtered or t >= threshold:
                    times.append(t)
                return out

            wrapper = _timeit_handler
        wrapper._profiler_original = handler  # type: ignore[attr-defined]
        return wrapper

    @staticmethod
    def _is_internal_handler(handler: Callable) -> bool:
        return any(n in repr(handler) for n in ("HandlersTimeProfiler.", "Timer."))

    def _own_hooks(self) -> list[tuple[Any, Callable]]:
        return [
            (Events.ITERATION_STARTED, self._processing_timer.reset),
            (Events.ITERATION_COMPLETED, self._record_processing),
            (Events.GET_BATCH_STARTED, self._dataflow_timer.reset),
            (Events.GET_BATCH_COMPLETED, self._record_dataflow),
            (Events.COMPLETED, self._detach_profiler_handlers),
        ]

    def _as_first_started(self, engine: Engine) -> None:
        # hooks of a previous run (kept when it raised, or the COMPLETED hook) go before new ones are added
        for event, hook in self._own_hooks():
            _remove_if_present(engine, hook, event)
        self._unwrap_all(engine)

        events = list(engine._allowed_events)
        self.event_handlers_names = {e: [] for e in events}
        declared: set[tuple[str, Any]] = set()  # rows declared by tools: listed once, wherever their hooks are
        for e in events:
            for h in engine._handlers_of(e):
                if self._is_internal_handler(h):
                    continue
                entry = _declared_entry(h)
                if entry is None:
                    self.event_handlers_names[e].append(self._get_callable_name(h))
                elif entry not in declared:
                    declared.add(entry)
                    self.event_handlers_names.setdefault(entry[1], []).append(entry[0])
        self.event_handlers_times = {e: {h: [] for h in names} for e, names in self.event_handlers_names.items()}
        self.dataflow_times = []
        self.processing_times = []

        for e in events:
            engine._replace_handlers(e, functools.partial(self._wrap_unless_internal, event=e))

        engine._append_handler(Events.ITERATION_STARTED, self._processing_timer.reset, pass_engine=False)
        engine._prepend_handler(Events.ITERATION_COMPLETED, self._record_processing)
        engine._append_handler(Events.GET_BATCH_STARTED, self._dataflow_timer.reset, pass_engine=False)
        engine._prepend_handler(Events.GET_BATCH_COMPLETED, self._record_dataflow)
        engine._append_handler(Events.COMPLETED, self._detach_profiler_handlers)

    def _wrap_unless_internal(self, handler: Callable, event: Any) -> Callable:
        return handler if self._is_internal_handler(handler) else self._create_wrapped_handler(handler, event)

    @staticmethod
    def _unwrap_all(engine: Engine) -> None:
        for e in engine._handler_events():
            engine._replace_handlers(e, _unwrapped)

    def _record_processing(self, engine: Engine) -> None:
        self.processing_times.append(self._processing_timer.value())

    def _record_dataflow(self, engine: Engine) -> None:
        self.dataflow_times.append(self._dataflow_timer.value())

    def _detach_profiler_handlers(self, engine: Engine) -> None:
        self._unwrap_all(engine)
        # timer hooks of the iteration and batch events go now; this COMPLETED hook goes at the next start
        for event, hook in self._own_hooks()[:-1]:
            _remove_if_present(engine, hook, event)

    def attach(self, engine: Engine) -> None:
        """Profile every run of ``engine`` (the start hook goes first among ``STARTED``'s handlers)."""
        _check_engine(engine)
        if not engine.has_event_handler(self._as_first_started):
            engine._prepend_handler(Events.STARTED, self._as_first_started)

    @staticmethod
    def _compute_basic_stats(times: Sequence[float] | torch.Tensor) -> list[Any]:
        data = torch.as_tensor(times, dtype=torch.float64)
        data = data[data > 0]
        total: Any = round(torch.sum(data).item(), 5) if len(data) > 0 else "not triggered"
        min_index: tuple[Any, Any] = ("None", "None")
        max_index: tuple[Any, Any] = ("None", "None")
        mean: Any = "None"
        std: Any = "None"
        if len(data) > 0:
            min_index = (round(torch.min(data).item(), 5), torch.argmin(data).item())
            max_index = (round(torch.max(data).item(), 5), torch.argmax(data).item())
            mean = round(torch.mean(data).item(), 5)
            if len(data) > 1:
                std = round(torch.std(data).item(), 5)
        return [total, min_index, max_index, mean, std]

    def get_results(self) -> list[list[Any]]:
        """One row per (event, handler): ``[handler, event, total, (min, idx), (max, idx), mean, std]``.

        Then a ``["Total", "", total, "", "", "", ""]`` row and the ``Processing`` and ``Dataflow`` rows.
        """
        total_eh_time = sum(
            sum(times) for handlers in self.event_handlers_times.values() for times in handlers.values()
        )
        rows: list[list[Any]] = [
            [h, getattr(e, "name", str(e)), *self._compute_basic_stats(times)]
            for e, handlers in self.event_handlers_times.items()
            for h, times in handlers.items()
        ]
        rows.append(["Total", "", round(float(total_eh_time), 5), "", "", "", ""])
        rows.append(["Processing", "None", *self._compute_basic_stats(self.processing_times)])
        rows.append(["Dataflow", "None", *self._compute_basic_stats(self.dataflow_times)])
        return rows

    def write_results(self, output_path: str) -> None:
        """Write the raw times as CSV (needs pandas): columns ``#``, ``processing_stats``, ``dataflow_stats``,
        then ``"{handler} ({event})"`` per handler; shorter columns are padded with zeros."""
        pd = _import_pandas()

        headers = ["processing_stats", "dataflow_stats"]
        cols = [self.processing_times, self.dataflow_times]
        for e, handlers in self.event_handlers_times.items():
            for h, times in handlers.items():
                headers.append(f"{h} ({getattr(e, 'name', str(e))})")
                cols.append(times)
        max_len = max(len(c) for c in cols)
        data = torch.zeros(max_len, len(cols) + 1, dtype=torch.float64)
        data[:, 0] = torch.arange(1, max_len + 1)
        for j, c in enumerate(cols, start=1):
            if len(c):
                data[: len(c), j] = torch.as_tensor(c, dtype=torch.float64)
        pd.DataFrame(data=data.numpy(), columns=["#", *headers]).to_csv(output_path, index=False)

    @staticmethod
    def print_results(results: list[list[Any]]) -> None:
        """Print the rows of :meth:`get_results` as a table (``results`` is left unchanged).

        ```text
        -----------------------------------------  -----------------------  -------------- ...
        Handler                                    Event Name                     Total(s)
        -----------------------------------------  -----------------------  --------------
        run.<locals>.log_training_results          EPOCH_COMPLETED                19.43245
        ...
        Processing took total 11.29543s [min/index: 0.00393s/1875, max/index: 0.00784s/0, mean: 0.00602s, ...]
        ```
        """
        handler_width = max(len(str(row[0])) for row in results) + 4
        event_width = max(len(str(row[1])) for row in results) + 4
        column_width = 14
        headers = ["Handler", "Event Name", "Total(s)", "Min(s)/IDX", "Max(s)/IDX", "Mean(s)", "Std(s)"]
        widths = [handler_width, event_width] + [column_width] * 5
        row_format = "".join("{: " + ("<" if j < 2 else ">") + str(w) + "}" + "  " for j, w in enumerate(widths))
        header_sep = "".join("-" * w + "  " for w in widths)

        lines = ["", header_sep, row_format.format(*headers), header_sep]
        for row in results[:-3]:
            row = list(row)
            row[3] = "{}/{}".format(*row[3])
            row[4] = "{}/{}".format(*row[4])
            lines.append(row_format.format(*row))
        lines += [header_sep, row_format.format(*results[-3]), header_sep]
        summary_format = "{} took total {}s [min/index: {}, max/index: {}, mean: {}s, std: {}s]"
        for row in results[-2:]:
            name, _, total, min_index, max_index, mean, std = row
            lines.append(
                summary_format.format(name, total, "{}s/{}".format(*min_index), "{}s/{}".format(*max_index), mean, std)
            )
        print("\n".join(lines) + "\n")


def _filtered_parts(handler: Any) -> tuple[Callable, Callable, Any, Callable] | None:
    """``(user handler, filter, event, engine weakref)`` of the engine's wrapper for a filtered handler."""
    from ignite.engine._dispatch import _FilteredHandler

    if type(handler) is not _FilteredHandler:
        return None
    parts = tuple(getattr(handler, a, None) for a in ("_handler", "_filter", "_event", "_engine_ref"))
    if any(p is None for p in parts):
        return None
    return cast(tuple, parts)
