"""Engine behaviour added beyond upstream's tests: live handler lists, releasing references, amp_mode check."""

import gc
import weakref

import pytest
import torch

from ignite.engine import Engine, Events, create_supervised_trainer


def test_handler_added_while_event_fires_runs_in_that_firing():
    engine = Engine(lambda e, b: b)
    calls = []

    def late(e):
        calls.append(("late", e.state.iteration))

    def first(e):
        calls.append(("first", e.state.iteration))
        if e.state.iteration == 1:
            e.add_event_handler(Events.ITERATION_COMPLETED, late)

    engine.add_event_handler(Events.ITERATION_COMPLETED, first)
    engine.run([0, 0])
    assert calls == [("first", 1), ("late", 1), ("first", 2), ("late", 2)]


def test_handler_removing_itself_while_firing_behaves_like_a_list_iterator():
    engine = Engine(lambda e, b: b)
    calls = []

    def once(e):
        calls.append("once")
        e.remove_event_handler(once, Events.ITERATION_COMPLETED)

    engine.add_event_handler(Events.ITERATION_COMPLETED, once)
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: calls.append("next"))
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: calls.append("last"))
    engine.run([0, 0])
    # as when iterating a Python list that loses its current item: the following item is skipped once
    assert calls == ["once", "last", "next", "last"]


def test_release_batch_and_output_drops_references_after_a_run():
    refs = []
    engine = Engine(lambda e, b: torch.ones(3) * b)
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: refs.append(weakref.ref(e.state.output)))
    engine.release_batch_and_output = True
    state = engine.run([1, 2])
    gc.collect()
    assert state.batch is None and state.output is None
    assert all(r() is None for r in refs)  # no output tensor of the run stays alive
    assert state.iteration == 2

    default = Engine(lambda e, b: b * 2).run([torch.ones(3)])
    assert torch.equal(default.output, torch.full((3,), 2.0))  # upstream behaviour kept by default


def test_unknown_amp_mode_warns_and_trains_without_amp():
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.warns(UserWarning, match="Unknown amp_mode='ampp'"):
        trainer = create_supervised_trainer(model, optimizer, torch.nn.functional.mse_loss, amp_mode="ampp")
    trainer.run([(torch.ones(4, 2), torch.zeros(4, 1))])
    assert isinstance(trainer.state.output, float)
