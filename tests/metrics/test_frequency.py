"""Frequency (spec metrics.md §2.10, warts 15 and 21)."""

import pytest

from ignite.engine import Engine, Events
from ignite.exceptions import NotComputableError
from ignite.metrics import Frequency
from ignite.metrics import frequency as frequency_module


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    monkeypatch.setattr(frequency_module, "perf_counter", c)
    return c


def test_items_per_second(clock):
    m = Frequency()
    clock.now += 2.0
    m.update(100)
    clock.now += 2.0
    m.update(300)
    assert m.compute() == pytest.approx(100.0)  # 400 items in 4 s


def test_compute_before_update_is_not_computable():
    with pytest.raises(NotComputableError, match="Frequency must have at least one example"):
        Frequency().compute()


def test_attach_stores_int_every_iteration_and_resets_each_epoch(clock):
    engine = Engine(lambda e, b: b)

    @engine.on(Events.ITERATION_STARTED)
    def tick(e):
        clock.now += 0.5

    Frequency(output_transform=lambda out: out["n"]).attach(engine, "fps")
    seen = []
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: seen.append(e.state.metrics["fps"]))
    engine.run([{"n": 10}, {"n": 30}], max_epochs=2)
    assert seen == [20, 40, 20, 40] and all(isinstance(v, int) for v in seen)


def test_attach_with_custom_event(clock):
    engine = Engine(lambda e, b: b)

    @engine.on(Events.ITERATION_STARTED)
    def tick(e):
        clock.now += 1.0

    Frequency().attach(engine, "fps", event_name=Events.EPOCH_COMPLETED)
    assert engine.run([5, 5, 5]).metrics["fps"] == 5


def test_state_dict_roundtrip(clock):
    m = Frequency()
    clock.now += 4.0
    m.update(8)
    state = m.state_dict()
    assert set(state["__metric_state_per_rank"][0]) == {"_acc", "_n", "_elapsed"}
    fresh = Frequency()
    fresh.load_state_dict(state)
    assert fresh.compute() == pytest.approx(2.0)
    clock.now += 4.0
    fresh.update(8)  # the clock continues from the saved elapsed time
    assert fresh.compute() == pytest.approx(2.0)


def test_loads_upstream_layout_without_keys():
    m = Frequency()
    m.load_state_dict({"__metric_state_per_rank": [{}]})  # upstream saved nothing
    assert m._n == 0
