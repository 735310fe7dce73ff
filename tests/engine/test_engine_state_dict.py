"""Engine.state_dict / load_state_dict and resume from a loaded state (spec engine.md §7.6, §7.9)."""

from collections import OrderedDict

import pytest

from ignite.engine import Engine, Events


def _engine():
    return Engine(lambda e, b: b)


def test_state_dict_fresh_engine():
    sd = _engine().state_dict()
    assert isinstance(sd, OrderedDict)
    assert sd == {"epoch_length": None, "iteration": 0, "max_epochs": None}
    assert list(sd) == ["epoch_length", "iteration", "max_epochs"]


def test_state_dict_after_runs():
    engine = _engine()
    engine.run(range(100), max_epochs=10)
    sd = engine.state_dict()
    assert list(sd) == ["epoch_length", "iteration", "max_epochs"]
    assert sd["iteration"] == 1000 and sd["epoch_length"] == 100 and sd["max_epochs"] == 10

    engine = _engine()
    engine.run(range(100), max_iters=250)
    sd = engine.state_dict()
    assert list(sd) == ["epoch_length", "iteration", "max_iters"]
    assert sd["max_iters"] == 250 and sd["iteration"] == 250 and "max_epochs" not in sd


def test_state_dict_user_keys():
    engine = _engine()
    engine.state_dict_user_keys.append("alpha")
    engine.state_dict_user_keys.append("beta")
    engine.state.alpha = 0.1
    engine.state.beta = "b"
    sd = engine.state_dict()
    assert list(sd) == ["epoch_length", "iteration", "max_epochs", "alpha", "beta"]
    assert sd["alpha"] == 0.1 and sd["beta"] == "b"

    other = _engine()
    other.state_dict_user_keys.append("alpha")
    other.state_dict_user_keys.append("beta")
    other.load_state_dict(sd)
    assert other.state.alpha == 0.1 and other.state.beta == "b"
    with pytest.raises(ValueError, match=r"^Required user state attribute 'alpha' is absent in provided state_dict"):
        other.load_state_dict({"epoch_length": 10, "iteration": 0, "max_epochs": 1})


def test_load_fresh_state_dict_back():
    engine = _engine()
    engine.load_state_dict(_engine().state_dict())
    assert engine.state.iteration == 0 and engine.state.epoch == 0 and engine.state.max_epochs is None


@pytest.mark.parametrize(
    "sd, match",
    [
        ({}, r"Required state attribute 'epoch_length' is absent in provided state_dict"),
        ({"epoch_length": 100}, r"Required state attribute 'iteration' is absent in provided state_dict"),
        (
            {"epoch_length": 100, "iteration": 0},
            r"state_dict should contain exactly one of '\('max_epochs', 'max_iters'\)' keys",
        ),
        (
            {"epoch_length": 100, "iteration": 0, "max_epochs": 1, "max_iters": 10},
            r"state_dict should contain exactly one of '\('max_epochs', 'max_iters'\)' keys",
        ),
        (
            {"epoch_length": 100, "iteration": 10, "epoch": 1, "max_epochs": 1},
            r"^State dictionary should contain only one of 'iteration' or 'epoch' keys. Found both: "
            r"iteration=10, epoch=1.$",
        ),
        (
            {"iteration": 10, "max_epochs": 1},
            r"^epoch_length must be a positive integer to calculate missing 'iteration' or 'epoch' key. "
            r"Input state_dict: ",
        ),
        ({"epoch": 1, "epoch_length": None, "max_epochs": 1}, r"epoch_length must be a positive integer"),
        ({"epoch": 1, "epoch_length": 0, "max_epochs": 1}, r"epoch_length must be a positive integer"),
        (
            {"epoch": 5, "max_epochs": 3, "epoch_length": 10},
            r"Argument max_epochs should be greater than or equal to the start epoch defined in the state: 3 vs 5",
        ),
        (
            {"iteration": 100, "max_iters": 50, "epoch_length": 10},
            r"max_iters should be greater than or equal to the start iteration defined in the state: 50 vs 100",
        ),
        ({"iteration": 0, "max_epochs": 0, "epoch_length": 10}, r"Argument max_epochs is invalid"),
    ],
)
def test_load_state_dict_errors(sd, match):
    with pytest.raises(ValueError, match=match):
        _engine().load_state_dict(sd)


def test_load_state_dict_not_mapping():
    with pytest.raises(TypeError, match=r"Argument state_dict should be a dictionary, but given <class 'list'>"):
        _engine().load_state_dict([1, 2])


@pytest.mark.parametrize(
    "sd, iteration, epoch",
    [
        ({"epoch": 2, "max_epochs": 5, "epoch_length": 100}, 200, 2),
        ({"iteration": 150, "max_iters": 250, "epoch_length": 100}, 150, 1),
        ({"iteration": 50, "max_iters": 50, "epoch_length": 10}, 50, 5),
        ({"epoch": 0, "max_epochs": 5, "epoch_length": None}, 0, 0),
        ({"iteration": 0, "max_epochs": 5, "epoch_length": None}, 0, 0),
        ({"iteration": 123, "max_epochs": 5, "epoch_length": 100}, 123, 1),
    ],
)
def test_load_state_dict_derives(sd, iteration, epoch):
    engine = _engine()
    original = dict(sd)
    engine.load_state_dict(sd)
    assert sd == original  # input not modified
    assert engine.state.iteration == iteration and engine.state.epoch == epoch
    assert engine.state.epoch_length == sd["epoch_length"]
    if "max_epochs" in sd:
        assert engine.state.max_epochs == sd["max_epochs"] and engine.state.max_iters is None
    else:
        assert engine.state.max_iters == sd["max_iters"] and engine.state.max_epochs is None


def test_load_state_dict_keeps_other_attributes():
    engine = _engine()
    engine.state.alpha = 3
    engine.state.max_iters = 5
    engine.load_state_dict({"iteration": 4, "epoch_length": 2, "max_epochs": 3})
    assert engine.state.alpha == 3
    assert engine.state.max_iters is None and engine.state.max_epochs == 3
    engine.load_state_dict({"iteration": 4, "epoch_length": 2, "max_epochs": None})
    assert engine.state.max_epochs is None
    engine.load_state_dict({"iteration": 4, "epoch_length": 2, "max_iters": 6})
    assert engine.state.max_iters == 6 and engine.state.max_epochs is None


def test_load_state_dict_invalid_does_not_mutate_state():
    """Beyond upstream (spec §13.11): validation happens before the state changes."""
    engine = _engine()
    engine.load_state_dict({"iteration": 4, "epoch_length": 2, "max_epochs": 3})
    with pytest.raises(ValueError):
        engine.load_state_dict({"epoch": 5, "max_epochs": 3, "epoch_length": 10})
    assert engine.state.iteration == 4 and engine.state.epoch_length == 2 and engine.state.epoch == 2


def test_resume_from_loaded_state_plain_engine_does_not_skip_data():
    got = []
    engine = Engine(lambda e, b: got.append((e.state.epoch, e.state.iteration, b)))
    started = []
    engine.add_event_handler(Events.STARTED, lambda e: started.append((e.state.epoch, e.state.iteration)))
    engine.load_state_dict({"iteration": 4, "epoch_length": 3, "max_epochs": 3})
    engine.run([10, 20, 30])
    assert started == [(1, 4)]
    assert got == [(2, 5, 10), (2, 6, 20), (3, 7, 30), (3, 8, 10), (3, 9, 20)]


def test_resume_from_epoch_checkpoint():
    engine = _engine()
    engine.load_state_dict({"epoch": 2, "epoch_length": 5, "max_epochs": 4})
    seen = []
    engine.add_event_handler(Events.EPOCH_STARTED, lambda e: seen.append(e.state.epoch))
    state = engine.run(range(5))
    assert seen == [3, 4]
    assert state.iteration == 20


def test_resume_epoch_length_mismatch_raises():
    engine = _engine()
    engine.load_state_dict({"iteration": 4, "epoch_length": 3, "max_epochs": 3})
    with pytest.raises(ValueError, match=r"^Argument epoch_length should be same as in the state, but given 5 vs 3$"):
        engine.run([1, 2, 3], epoch_length=5)


def test_resume_sets_unknown_epoch_length():
    engine = _engine()
    engine.load_state_dict({"iteration": 0, "epoch_length": None, "max_epochs": 2})
    engine.state.iteration = 1
    engine.state.epoch = 1
    with pytest.raises(ValueError, match=r"^Input data has zero size. Please provide non-empty data$"):
        engine.run([])
    state = engine.run([1, 2, 3])
    assert state.epoch_length == 3 and state.epoch == 2 and state.iteration == 3


def test_resume_no_data_requires_epoch_length():
    engine = _engine()
    engine.state.max_epochs = 2
    engine.state.iteration = engine.state.epoch = 1
    with pytest.raises(ValueError, match=r"^epoch_length should be provided if data is None$"):
        engine.run()


# ------------------------------------------------------------------ loading while the run executes (issue 12 §1.1)


@pytest.fixture(params=[True, False], ids=["resumable", "legacy"])
def mode(request):
    previous = Engine.interrupt_resume_enabled
    Engine.interrupt_resume_enabled = request.param
    yield request.param
    Engine.interrupt_resume_enabled = previous


def _finished_state_dict(max_epochs, epoch_length=8):
    src = _engine()
    src.run([0] * epoch_length, max_epochs=max_epochs)
    return src.state_dict()


def test_load_state_dict_in_started_handler_continues_from_loaded_state(mode):
    sd = _finished_state_dict(5)
    processed, started = [], []
    t = Engine(lambda e, b: processed.append((e.state.epoch, e.state.iteration)))
    t.add_event_handler(Events.STARTED, lambda e: e.load_state_dict(sd))
    t.add_event_handler(Events.STARTED, lambda e: started.append((e.state.epoch, e.state.iteration)))
    state = t.run([0] * 8, max_epochs=8)
    assert (state.epoch, state.iteration) == (8, 64)
    assert state.max_epochs == 8
    assert started == [(5, 40)]
    assert processed[0] == (6, 41) and len(processed) == 24


def test_checkpoint_load_objects_in_started_handler(mode, tmp_path):
    import torch

    from ignite.handlers import Checkpoint, DiskSaver

    model = torch.nn.Linear(2, 1)
    src = _engine()
    checkpoint = Checkpoint({"trainer": src, "model": model}, DiskSaver(tmp_path, require_empty=False))
    src.add_event_handler(Events.EPOCH_COMPLETED, checkpoint)
    src.run([0] * 8, max_epochs=5)
    path = tmp_path / checkpoint.last_checkpoint

    restored = torch.nn.Linear(2, 1)
    trainer = _engine()
    trainer.add_event_handler(
        Events.STARTED, lambda e: Checkpoint.load_objects({"trainer": e, "model": restored}, str(path))
    )
    state = trainer.run([0] * 8, max_epochs=8)
    assert (state.epoch, state.iteration) == (8, 64)
    assert torch.equal(restored.weight, model.weight)


def test_load_in_started_handler_without_run_limit_uses_loaded_limit(mode):
    sd = {"iteration": 16, "epoch_length": 8, "max_epochs": 5}
    t = _engine()
    t.add_event_handler(Events.STARTED, lambda e: e.load_state_dict(sd))
    state = t.run([0] * 8)
    assert (state.epoch, state.iteration, state.max_epochs) == (5, 40, 5)


def test_load_in_started_handler_checks_the_run_limit(mode):
    sd = _finished_state_dict(5)
    t = _engine()
    t.add_event_handler(Events.STARTED, lambda e: e.load_state_dict(sd))
    with pytest.raises(ValueError, match=r"^Argument max_epochs should be greater than or equal to the start epoch"):
        t.run([0] * 8, max_epochs=3)

    t = _engine()
    t.add_event_handler(Events.STARTED, lambda e: e.load_state_dict(sd))
    with pytest.raises(ValueError, match=r"^To switch from max_epochs to max_iters mode during resume"):
        t.run([0] * 8, max_iters=100)


def test_load_mid_epoch_drops_the_cut_epoch(mode):
    processed, completed = [], []
    t = Engine(lambda e, b: processed.append((e.state.epoch, e.state.iteration, b)))
    t.add_event_handler(
        Events.ITERATION_COMPLETED(once=3),
        lambda e: e.load_state_dict({"iteration": 43, "epoch_length": 8, "max_epochs": 8}),
    )
    t.add_event_handler(Events.EPOCH_COMPLETED, lambda e: completed.append(e.state.epoch))
    state = t.run(list(range(8)), max_epochs=8)
    assert (state.epoch, state.iteration) == (8, 64)
    assert completed == [6, 7, 8]
    assert processed[:3] == [(1, 1, 0), (1, 2, 1), (1, 3, 2)]
    # as a loaded resume: epoch 6 runs its remaining 5 iterations from a fresh iterator
    assert processed[3:8] == [(6, 44, 0), (6, 45, 1), (6, 46, 2), (6, 47, 3), (6, 48, 4)]
    assert len(processed) == 3 + 5 + 16


def test_load_at_completed_applies_to_the_next_run(mode):
    t = _engine()
    handle = t.add_event_handler(
        Events.COMPLETED, lambda e: e.load_state_dict({"iteration": 4, "epoch_length": 4, "max_epochs": 3})
    )
    state = t.run([0] * 4, max_epochs=2)
    assert (state.epoch, state.iteration) == (1, 4)
    handle.remove()
    state = t.run([0] * 4)
    assert (state.epoch, state.iteration) == (3, 12)


def test_deterministic_engine_load_in_started_matches_load_before_run():
    from torch.utils.data import DataLoader

    from ignite.engine import DeterministicEngine
    from ignite.utils import manual_seed

    data = DataLoader(list(range(12)), batch_size=3, shuffle=True)

    def run(load_in_started, sd=None, max_epochs=4):
        seen = []
        manual_seed(5)
        engine = DeterministicEngine(lambda e, b: seen.append(b.tolist()))
        if sd is not None:
            if load_in_started:
                engine.add_event_handler(Events.STARTED, lambda e: e.load_state_dict(sd))
            else:
                engine.load_state_dict(sd)
        engine.run(data, max_epochs=max_epochs)
        return seen, engine.state_dict()

    full, _ = run(False)
    _, sd = run(False, max_epochs=2)
    in_run, _ = run(True, sd)
    before_run, _ = run(False, sd)
    assert in_run == before_run == full[8:]
