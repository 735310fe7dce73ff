"""EpochOutputStore (spec handlers.md §3.4)."""

import torch

from ignite.engine import Engine, Events
from ignite.handlers import EpochOutputStore
from ignite.handlers.stores import EpochOutputStore as FromModule


def _engine():
    return Engine(lambda e, b: (b * 10, torch.tensor([b])))


def test_collects_outputs_of_current_epoch():
    assert FromModule is EpochOutputStore
    engine = _engine()
    store = EpochOutputStore()
    store.attach(engine)
    seen = []
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda e: seen.append(store.data))
    engine.run([1, 2, 3], max_epochs=2)
    assert len(seen) == 2
    assert [x[0] for x in seen[0]] == [10, 20, 30]
    assert seen[0] is not seen[1]  # a new list per epoch: earlier lists are left intact
    assert [x[0] for x in seen[1]] == [10, 20, 30]
    assert not hasattr(engine.state, "None")


def test_output_transform_and_state_name():
    engine = _engine()
    store = EpochOutputStore(output_transform=lambda out: out[1])
    store.attach(engine, name="outs")
    engine.run([4, 5], max_epochs=1)
    assert engine.state.outs is store.data
    assert torch.equal(torch.cat(engine.state.outs), torch.tensor([4, 5]))


def test_reset_and_update_directly():
    store = EpochOutputStore(output_transform=lambda x: x + 1)
    store.data.append("stale")
    old = store.data
    store.reset()
    assert store.data == [] and store.data is not old

    class _State:
        output = 41

    class _Engine:
        state = _State()

    store.update(_Engine())
    assert store.data == [42]
    store.name = "kept"
    store.store(_Engine())
    assert _Engine.state.kept == [42]
