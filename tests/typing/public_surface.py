"""Checked by mypy in ``make lint`` (never run): the public names and collectives have precise static types."""

from pathlib import Path
from typing import Any

import torch
from typing_extensions import assert_type

import ignite.distributed as idist
from ignite.contrib.handlers import ProgressBar as ContribProgressBar
from ignite.contrib.metrics.regression import R2Score as ContribR2Score
from ignite.engine import State
from ignite.handlers import Checkpoint, ProgressBar
from ignite.metrics import Accuracy, Metric
from ignite.metrics.regression import R2Score


def check_lazy_names(checkpoint: Checkpoint, bar: ContribProgressBar, r2: ContribR2Score) -> None:
    # were a lazily resolved name ``Any``, these expressions would be ``Any`` (an error in this module)
    assert_type(Accuracy(), Accuracy)
    metric: Metric = Accuracy()
    assert_type(metric, Metric)
    assert_type(checkpoint, Checkpoint)
    assert_type(bar, ProgressBar)
    assert_type(r2, R2Score)


def check_collectives(t: torch.Tensor) -> None:
    assert_type(idist.all_reduce(t), torch.Tensor)
    assert_type(idist.all_reduce(1.5, "MAX"), float)
    assert_type(idist.all_gather(t), torch.Tensor)
    assert_type(idist.all_gather(2.0), list[float])
    assert_type(idist.all_gather("a"), list[str])
    assert_type(idist.broadcast(t, src=0), torch.Tensor)
    assert_type(idist.broadcast("cfg", safe_mode=True), str)
    assert_type(idist.broadcast(Path("x")), Path)
    assert_type(idist.broadcast(3), float)


def check_state(state: State) -> None:
    assert_type(state.scaler, torch.amp.GradScaler)
    assert_type(state.param_history, dict[str, list[Any]])  # type: ignore[misc]  # its values are Any by design
