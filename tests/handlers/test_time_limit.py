"""TimeLimit (spec handlers.md §3.2): the budget is checked on a fake clock; no duration is asserted."""

import logging
import time

import pytest

from ignite.engine import Engine, Events
from ignite.handlers import TimeLimit
from ignite.handlers import time_limit as time_limit_module


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


class FakeClock:
    """Stands in for the ``time`` module of ``ignite.handlers.time_limit``: ``time()`` reads a settable clock."""

    def __init__(self, now=1000.0):
        self.now = now

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(time_limit_module, "time", fake)
    return fake


def test_terminates_once_the_budget_is_spent(clock, caplog):
    def step(engine, batch):
        clock.now += 0.25  # each iteration takes a quarter of a (fake) second

    engine = Engine(step)
    limit = TimeLimit(limit_sec=1)  # the clock starts here
    clock.now += 0.1  # time spent before the run counts too
    engine.add_event_handler(Events.ITERATION_COMPLETED, limit)
    with caplog.at_level(logging.INFO, logger="ignite.handlers.time_limit.TimeLimit"):
        state = engine.run(range(1000), max_epochs=1)
    # after iteration 3: 0.85 s elapsed, not over the budget; after iteration 4: 1.1 s > 1 s, stop
    assert state.iteration == 4
    messages = [r.getMessage() for r in caplog.records if r.name == "ignite.handlers.time_limit.TimeLimit"]
    assert messages == ["Reached the time limit: 1 sec. Stop training"]


def test_exactly_at_the_limit_does_not_stop(clock):
    engine = Engine(lambda e, b: None)
    limit = TimeLimit(limit_sec=2)
    clock.now += 2.0
    engine.add_event_handler(Events.ITERATION_COMPLETED, limit)
    assert engine.run(range(5)).iteration == 5  # "more than limit_sec", not "at least"
    clock.now += 0.001
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED, limit)
    assert engine.run(range(5)).iteration == 1


def test_stops_a_real_run_on_the_real_clock():
    """Behaviour only: with the real clock and a 1 s budget the run stops long before its 10^5 iterations."""
    engine = Engine(lambda e, b: time.sleep(0.002))
    engine.add_event_handler(Events.ITERATION_COMPLETED, TimeLimit(limit_sec=1))
    state = engine.run(range(100_000), max_epochs=1)
    assert 1 <= state.iteration < 100_000


def test_no_termination_within_limit():
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED, TimeLimit(limit_sec=3600))
    state = engine.run(range(50), max_epochs=3)
    assert state.iteration == 150
