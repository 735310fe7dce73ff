"""TimeLimit (spec handlers.md §3.2) terminating a real run."""

import logging
import time

import pytest

from ignite.engine import Engine, Events
from ignite.handlers import TimeLimit


@pytest.mark.parametrize("bad", [None, 1.5, "10"])
def test_limit_sec_type(bad):
    with pytest.raises(TypeError, match="Argument limit_sec should be an integer."):
        TimeLimit(bad)


@pytest.mark.parametrize("bad", [0, -3])
def test_limit_sec_value(bad):
    with pytest.raises(ValueError, match="Argument limit_sec should be a positive integer."):
        TimeLimit(bad)


def test_default_is_eight_hours():
    assert TimeLimit().limit_sec == 28800


def test_terminates_a_real_run(caplog):
    sleep = 0.05
    engine = Engine(lambda e, b: time.sleep(sleep))
    limit = TimeLimit(limit_sec=1)
    engine.add_event_handler(Events.ITERATION_COMPLETED, limit)
    t0 = time.time()
    with caplog.at_level(logging.INFO, logger="ignite.handlers.time_limit.TimeLimit"):
        state = engine.run(range(1000), max_epochs=1)
    elapsed = time.time() - t0
    assert elapsed >= 1.0
    assert state.iteration < 1000  # stopped early
    assert state.iteration >= 1.0 / sleep * 0.5  # and not before the limit (loose lower bound)
    messages = [r.getMessage() for r in caplog.records if r.name == "ignite.handlers.time_limit.TimeLimit"]
    assert messages == ["Reached the time limit: 1 sec. Stop training"]


def test_no_termination_within_limit():
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED, TimeLimit(limit_sec=3600))
    state = engine.run(range(50), max_epochs=3)
    assert state.iteration == 150
