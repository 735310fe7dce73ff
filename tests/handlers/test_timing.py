"""Timer (spec handlers.md §3.1) on a fake clock: every value is exact, nothing depends on the machine's speed."""

import pytest

from ignite.engine import Engine, Events
from ignite.handlers import Timer
from ignite.handlers import timing as timing_module
from ignite.handlers.timing import Timer as TimerFromModule


class FakeClock:
    """Replaces ``perf_counter`` in ``ignite.handlers.timing``; time moves only when a test advances it."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(timing_module, "perf_counter", fake)
    return fake


def test_module_exports():
    assert timing_module.__all__ == ["Timer"]
    assert TimerFromModule is Timer


def test_runs_from_construction_and_reset_returns_self(clock):
    t = Timer()
    assert t.running and t.step_count == 0.0 and t.total == 0.0
    clock.advance(2.0)
    assert t.value() == pytest.approx(2.0)
    t.pause()
    t.step()
    assert t.reset() is t
    assert t.running and t.total == 0.0 and t.step_count == 0.0
    assert t.value() == 0.0
    clock.advance(0.5)
    assert t.value() == pytest.approx(0.5)


def test_pause_freezes_and_resume_continues(clock):
    t = Timer()
    clock.advance(1.0)
    t.pause()
    assert not t.running
    assert t.value() == pytest.approx(1.0)
    clock.advance(5.0)
    assert t.value() == pytest.approx(1.0)  # paused: no time accrues
    t.pause()  # pausing twice is a no-op
    assert t.value() == pytest.approx(1.0)
    t.resume()
    assert t.running
    clock.advance(0.25)
    assert t.value() == pytest.approx(1.25)
    t.resume()  # resuming a running timer does not restart its segment
    clock.advance(0.25)
    assert t.value() == pytest.approx(1.5)


def test_average_divides_by_steps(clock):
    t = Timer(average=True)
    clock.advance(3.0)
    t.pause()
    assert t.total == pytest.approx(3.0)
    assert t.value() == pytest.approx(3.0)  # no step yet: divided by max(0, 1)
    t.step()
    t.step()
    t.step()
    assert t.step_count == 3.0
    assert t.value() == pytest.approx(1.0)


def test_real_clock_values_are_non_negative_and_monotone():
    t = Timer()
    values = [t.value() for _ in range(100)]
    assert values[0] >= 0.0 and values == sorted(values)
    t.pause()
    assert t.value() == t.value()


def test_attach_times_processing_per_iteration(clock):
    n_iters = 5

    def step(engine, batch):
        clock.advance(0.5)  # the processing being timed

    engine = Engine(step)
    t = Timer(average=True)
    out = t.attach(
        engine,
        start=Events.EPOCH_STARTED,
        resume=Events.ITERATION_STARTED,
        pause=Events.ITERATION_COMPLETED,
        step=Events.ITERATION_COMPLETED,
    )
    assert out is t
    # time outside the step (data loading, later handlers) is not counted, except the first batch's loading:
    # reset at EPOCH_STARTED starts the clock before it
    engine.add_event_handler(Events.GET_BATCH_STARTED, lambda e: clock.advance(7.0))
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: clock.advance(11.0))
    values = []
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda e: values.append((t.value(), t.step_count)))
    engine.run(range(n_iters), max_epochs=2)
    assert len(values) == 2
    for value, steps in values:
        assert steps == n_iters  # reset at every epoch start
        assert value == pytest.approx((7.0 + n_iters * 0.5) / n_iters)


def test_attach_default_events_total_run_time(clock):
    engine = Engine(lambda e, b: clock.advance(0.25))
    t = Timer().attach(engine)
    engine.run(range(4))
    assert not t.running  # paused at COMPLETED
    assert t.value() == pytest.approx(1.0)
    clock.advance(10.0)
    assert t.value() == pytest.approx(1.0)
    # a second run resets it at STARTED
    engine.run(range(2))
    assert t.value() == pytest.approx(0.5)
    assert engine.has_event_handler(t.reset, Events.STARTED)
    assert engine.has_event_handler(t.pause, Events.COMPLETED)
