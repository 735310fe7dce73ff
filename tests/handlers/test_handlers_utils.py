"""global_step_from_engine (ignite.handlers.utils)."""

from ignite.engine import Engine, Events
from ignite.handlers import global_step_from_engine
from ignite.handlers.utils import global_step_from_engine as same


def test_global_step_from_engine_counters_and_fallback():
    assert same is global_step_from_engine
    trainer = Engine(lambda e, b: None)
    trainer.run([0, 1, 2], max_epochs=4)
    fn = global_step_from_engine(trainer)
    assert fn(object(), Events.EPOCH_COMPLETED) == 4
    assert fn(object(), Events.ITERATION_STARTED) == 12
    assert fn(object(), Events.TERMINATE) == 4  # no counter for this event: state.epoch
    assert global_step_from_engine(trainer, fallback_attr="iteration")(None, "anything") == 12
    assert global_step_from_engine(trainer, Events.ITERATION_COMPLETED)(None, Events.COMPLETED) == 12


def test_custom_event_with_registered_counter():
    engine = Engine(lambda e, b: None)
    engine.register_events("backward_done", event_to_attr={"backward_done": "backward"})
    engine.state.backward = 7
    assert global_step_from_engine(engine)(None, "backward_done") == 7
