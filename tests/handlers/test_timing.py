"""Timer (spec handlers.md §3.1): sleeps are only used as lower bounds, never as upper bounds."""

import time

import pytest

from ignite.engine import Engine, Events
from ignite.handlers import Timer
from ignite.handlers.timing import Timer as TimerFromModule


def test_module_exports():
    import ignite.handlers.timing as timing

    assert timing.__all__ == ["Timer"]
    assert TimerFromModule is Timer


def test_runs_from_construction_and_reset_returns_self():
    t = Timer()
    assert t.running and t.step_count == 0.0 and t.total == 0.0
    time.sleep(0.02)
    assert t.value() >= 0.02
    t.pause()
    t.step()
    assert t.reset() is t
    assert t.running and t.total == 0.0 and t.step_count == 0.0
    before = t.value()
    time.sleep(0.01)
    assert t.value() >= before + 0.01


def test_pause_freezes_and_resume_continues():
    t = Timer()
    time.sleep(0.02)
    t.pause()
    assert not t.running
    frozen = t.value()
    assert frozen >= 0.02
    time.sleep(0.02)
    assert t.value() == frozen  # paused: no time accrues
    t.pause()  # pausing twice is a no-op
    assert t.value() == frozen
    t.resume()
    assert t.running
    time.sleep(0.02)
    assert t.value() >= frozen + 0.02
    t.resume()  # resuming a running timer does not restart its segment
    assert t.value() >= frozen + 0.02


def test_average_divides_by_steps():
    t = Timer(average=True)
    time.sleep(0.03)
    t.pause()
    total = t.total
    assert t.value() == pytest.approx(total)  # no step yet: divided by max(0, 1)
    t.step()
    t.step()
    t.step()
    assert t.step_count == 3.0
    assert t.value() == pytest.approx(total / 3)


def test_attach_times_processing_per_iteration():
    sleep = 0.01
    n_iters = 5

    def step(engine, batch):
        time.sleep(sleep)

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
    values = []
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda e: values.append((t.value(), t.step_count)))
    engine.run(range(n_iters), max_epochs=2)
    for value, steps in values:
        assert steps == n_iters  # reset at every epoch start
        assert value >= sleep


def test_attach_default_events_total_run_time():
    engine = Engine(lambda e, b: time.sleep(0.005))
    t = Timer().attach(engine)
    engine.run(range(4))
    assert not t.running  # paused at COMPLETED
    assert t.value() >= 4 * 0.005
    frozen = t.value()
    time.sleep(0.01)
    assert t.value() == frozen
    # a second run resets it at STARTED
    engine.run(range(2))
    assert 2 * 0.005 <= t.value()
    assert engine.has_event_handler(t.reset, Events.STARTED)
    assert engine.has_event_handler(t.pause, Events.COMPLETED)
