"""A logger that needs nothing but the standard library: JSON lines or CSV files, readable while training runs.

:class:`FileLogger` has the API of the other experiment loggers (``attach_output_handler``,
``attach_opt_params_handler``). Each logged event is written with a single ``write`` of whole lines to a file
opened for appending without buffering, so a reader never sees half a record except possibly an unterminated
last line, which :func:`read_file_log` skips. :func:`plot_file_log` draws loss, metrics and learning rate.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ignite.handlers.base_logger import (
    _NULL_BACKEND,
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    _check_logger,
)
from ignite.handlers.utils import global_step_from_engine

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = [
    "FileLogger",
    "OutputHandler",
    "OptimizerParamsHandler",
    "read_file_log",
    "plot_file_log",
    "global_step_from_engine",
]

_FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("time", "event", "step", "name", "value")


def _format_of(path: Path, format: str | None) -> str:
    if format is None:
        format = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    if format not in _FORMATS:
        raise ValueError(f"Argument format should be one of {_FORMATS} or None, but given {format!r}")
    return format


def _event_label(event_name: Any) -> str:
    return str(getattr(event_name, "value", event_name))


class FileLogger(BaseLogger):
    """Append logged values to a JSON-lines (default) or CSV file.

    Args:
        path: the file; created with its parent directories, appended to if it exists (a resumed run
            continues the same file).
        format: ``"jsonl"`` or ``"csv"``; default: ``"csv"`` for a ``.csv`` suffix, else ``"jsonl"``.

    JSON lines: one object per logged event, ``{"time": ..., "event": "iteration_completed", "step": 12,
    "training/loss": 0.31, ...}``. CSV: one row per value, columns ``time,event,step,name,value``.

    A failing write (disk full, ...) warns once with the error and disables this logger; training goes on.

    ```python
    with FileLogger("runs/exp1/log.jsonl") as file_logger:
        file_logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="training",
                                          output_transform=lambda loss: {"loss": loss})
        file_logger.attach_opt_params_handler(trainer, Events.ITERATION_STARTED, optimizer)
        trainer.run(data, max_epochs=5)
    plot_file_log("runs/exp1/log.jsonl")  # runs/exp1/log.png
    ```
    """

    def __init__(self, path: str | os.PathLike, format: str | None = None) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Argument path should be a str or os.PathLike, but given {type(path)}")
        self.path = Path(path)
        self.format = _format_of(self.path, format)
        self._failed = False
        if self._inactive_on_this_rank():
            self._file: Any = _NULL_BACKEND
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "ab", buffering=0)  # one write() per event, no user-space buffer
        if self.format == "csv" and self._file.tell() == 0:
            self._write_text(",".join(CSV_COLUMNS) + "\n")

    def _write_text(self, text: str) -> None:
        if self._failed:
            return
        try:
            self._file.write(text.encode())
        except OSError as error:
            self._failed = True
            warnings.warn(f"FileLogger could not write to {self.path}: {error!r}; logging to it stops here")

    def log(self, values: dict[str, Any], step: int, event: str = "") -> None:
        """Write one event: ``values`` (name -> number or string) at ``step``."""
        if self.format == "jsonl":
            record = {"time": round(time.time(), 3), "event": event, "step": step}
            record.update(values)
            text = json.dumps(record) + "\n"
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            now = round(time.time(), 3)
            writer.writerows((now, event, step, name, value) for name, value in values.items())
            text = buffer.getvalue()
        self._write_text(text)

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


class OutputHandler(BaseOutputHandler):
    """Log metrics, transformed outputs (strings included) and state attributes as ``"{tag}/{name}"``."""

    def __call__(self, engine: Engine, logger: FileLogger, event_name: Any) -> None:
        _check_logger(logger, FileLogger, "Handler 'OutputHandler' works only with FileLogger")
        values = self._setup_output_metrics_state_attrs(engine, log_text=True, key_tuple=False)
        logger.log(values, self._global_step(engine, event_name), _event_label(event_name))


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Log an optimizer hyper-parameter per group as ``"{tag}/{param_name}/group_{i}"``."""

    def __call__(self, engine: Engine, logger: FileLogger, event_name: Any) -> None:
        _check_logger(logger, FileLogger, "Handler OptimizerParamsHandler works only with FileLogger")
        values = {self._param_key(i): v for i, v in self._param_values()}
        logger.log(values, engine.state.get_event_attrib_value(event_name), _event_label(event_name))


def read_file_log(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The records of a :class:`FileLogger` file, complete lines only (safe while it is being written).

    JSON lines give one dict per event; CSV gives one dict per value (``step`` as int, ``value`` as float
    when it is a number).
    """
    path = Path(path)
    data = path.read_bytes()
    complete = data[: data.rfind(b"\n") + 1].decode()
    if _format_of(path, None) == "jsonl" and not complete.startswith("time,"):
        return [json.loads(line) for line in complete.splitlines() if line]
    rows = []
    for row in csv.DictReader(io.StringIO(complete)):
        row["step"] = int(row["step"])
        row["time"] = float(row["time"])
        try:
            row["value"] = float(row["value"])
        except ValueError:
            pass
        rows.append(row)
    return rows


def _series(path: Path) -> dict[str, tuple[list[int], list[float]]]:
    """name -> (steps, values) of the numeric values of a log file."""
    series: dict[str, tuple[list[int], list[float]]] = {}

    def add(name: str, step: int, value: Any) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            steps, values = series.setdefault(name, ([], []))
            steps.append(step)
            values.append(float(value))

    for record in read_file_log(path):
        if "name" in record and "value" in record:  # CSV row
            add(record["name"], record["step"], record["value"])
        else:
            for name, value in record.items():
                if name not in ("time", "event", "step"):
                    add(name, record["step"], value)
    return series


def _panel(name: str) -> int:
    """0: losses, 2: learning rates and other optimizer parameters, 1: the rest (metrics)."""
    parts = name.split("/")
    if any("loss" in p.lower() for p in parts[1:] or parts):
        return 0
    if any(p.startswith("group_") for p in parts) or parts[-1] in ("lr", "learning_rate"):
        return 2
    return 1


def plot_file_log(
    path: str | os.PathLike, output: str | os.PathLike | None = None, select: Callable[[str], bool] | None = None
) -> Path:
    """Draw a :class:`FileLogger` file as a PNG with three panels: losses, metrics, learning rate.

    Args:
        path: the log file (JSON lines or CSV).
        output: the PNG to write; default: ``path`` with the suffix ``.png``.
        select: plot only the names for which ``select(name)`` is true.

    Returns the PNG's path. Needs matplotlib (``pip install ignite-ng[matplotlib]``).
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ModuleNotFoundError(
            "plot_file_log requires matplotlib to be installed. Please install it with command: \n"
            " pip install ignite-ng[matplotlib]"
        ) from None
    path = Path(path)
    output = Path(output) if output is not None else path.with_suffix(".png")
    fig = Figure(figsize=(15, 4))  # no pyplot: no global state, no GUI backend
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    for name, (steps, values) in _series(path).items():
        if select is None or select(name):
            axes[_panel(name)].plot(steps, values, label=name, marker="." if len(steps) < 30 else None)
    for ax, title in zip(axes, ("loss", "metrics", "learning rate")):
        ax.set_title(title)
        ax.set_xlabel("step")
        if ax.lines:
            ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(output, format="png")
    return output
