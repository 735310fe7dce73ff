"""TerminateOnNan (spec handlers.md §3.3) on real non-finite outputs."""

import logging
import math
from collections import namedtuple

import numpy as np
import pytest
import torch

from ignite.engine import Engine, Events
from ignite.handlers import TerminateOnNan

Pair = namedtuple("Pair", ["a", "b"])


def _run(outputs, handler=None):
    """Run an engine whose i-th output is ``outputs[i]``; return the number of iterations done."""
    engine = Engine(lambda e, i: outputs[i])
    engine.add_event_handler(Events.ITERATION_COMPLETED, handler or TerminateOnNan())
    state = engine.run(range(len(outputs)), max_epochs=1)
    return state.iteration


def _finite():
    return torch.ones(3)


@pytest.mark.parametrize(
    "bad",
    [
        float("nan"),
        float("inf"),
        -math.inf,
        torch.tensor(float("nan")),
        torch.tensor([1.0, float("-inf"), 2.0]),
        torch.tensor([[0.0, 1.0], [float("nan"), 3.0]], dtype=torch.float16),
        (torch.ones(2), torch.tensor([float("nan")])),
        [1.0, [2.0, {"deep": torch.tensor([0.0, float("inf")])}]],
        {"loss": 0.5, "aux": {"y": float("nan")}},
        Pair(a=torch.zeros(1), b=float("inf")),
        complex(0.0, float("inf")),
    ],
)
def test_terminates_on_first_non_finite_output(bad):
    outputs = [_finite(), _finite(), bad, _finite(), _finite()]
    assert _run(outputs) == 3


@pytest.mark.parametrize(
    "good",
    [
        1.0,
        torch.tensor([1.0, -2.0]),
        torch.tensor(3, dtype=torch.int64),
        ("a string is skipped", torch.ones(2)),
        {"loss": 0.1, "name": "nan"},  # the string "nan" is not a number
        Pair(a=1, b=torch.zeros(2, 2)),
        [],
    ],
)
def test_finite_outputs_do_not_terminate(good):
    assert _run([good] * 4) == 4


def test_output_transform_selects_what_is_checked():
    outputs = [(float("nan"), 1.0), (float("nan"), float("inf")), (0.0, 0.0)]
    assert _run(outputs, TerminateOnNan(output_transform=lambda out: out[1])) == 2


def test_unsupported_type_raises():
    with pytest.raises(TypeError):
        _run([np.array([1.0, np.nan])])


def test_warning_message_names_the_output():
    handler = TerminateOnNan()
    records = []

    class _Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    collector = _Collect()
    handler.logger.addHandler(collector)
    try:
        _run([1.0, float("nan")], handler)
    finally:
        handler.logger.removeHandler(collector)
    assert [r.levelno for r in records] == [logging.WARNING]
    assert records[0].getMessage() == "TerminateOnNan: Output 'nan' contains NaN or Inf. Stop training"
    assert handler.logger.name == "ignite.handlers.terminate_on_nan.TerminateOnNan"


def test_stream_handler_added_once():
    TerminateOnNan()
    logger = TerminateOnNan().logger
    extra = [h for h in logger.handlers if type(h).__name__ == "_MarkedStreamHandler"]
    assert len(extra) == 1
