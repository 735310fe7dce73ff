"""ignite.engine.deterministic (spec engine.md §8)."""

import logging
import random
import sys

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, WeightedRandomSampler
from torch.utils.data.distributed import DistributedSampler

import ignite.engine.deterministic as det
from ignite.engine import DeterministicEngine, Engine, Events
from ignite.engine.deterministic import (
    ReproducibleBatchSampler,
    _get_rng_states,
    _repr_rng_state,
    _set_rng_states,
    keep_random_state,
    update_dataloader,
)
from ignite.utils import manual_seed


def test_module_all():
    assert det.__all__ == ["update_dataloader", "keep_random_state", "ReproducibleBatchSampler", "DeterministicEngine"]


# ---------------------------------------------------------------------------------------------- update_dataloader


def _batches(loader):
    return [b.clone() if torch.is_tensor(b) else b for b in loader]


@pytest.mark.parametrize(
    "make_sampler",
    [
        lambda ds: None,
        lambda ds: WeightedRandomSampler(torch.rand(len(ds)), num_samples=len(ds)),
        lambda ds: DistributedSampler(ds, num_replicas=2, rank=0, shuffle=True),
    ],
    ids=["default", "weighted", "distributed"],
)
def test_update_dataloader_same_batches(make_sampler):
    ds = torch.arange(40)
    sampler = make_sampler(ds)
    kwargs = {"sampler": sampler} if sampler is not None else {"shuffle": True}
    loader = DataLoader(ds, batch_size=4, **kwargs)
    new_loader = update_dataloader(loader, ReproducibleBatchSampler(loader.batch_sampler))
    assert type(new_loader) is DataLoader
    assert isinstance(new_loader.batch_sampler, ReproducibleBatchSampler)
    for seed in (12, 13):
        manual_seed(seed)
        ref = _batches(loader)
        manual_seed(seed)
        got = _batches(new_loader)
        assert len(ref) == len(got) and all(torch.equal(a, b) for a, b in zip(ref, got))


def test_update_dataloader_num_workers():
    ds = torch.arange(16)
    loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=2)
    new_loader = update_dataloader(loader, ReproducibleBatchSampler(loader.batch_sampler))
    assert new_loader.num_workers == 2
    manual_seed(5)
    ref = _batches(loader)
    manual_seed(5)
    got = _batches(new_loader)
    assert all(torch.equal(a, b) for a, b in zip(ref, got))


# ------------------------------------------------------------------------------------- ReproducibleBatchSampler


def test_reproducible_batch_sampler_basics():
    with pytest.raises(TypeError, match=r"^Argument batch_sampler should be torch.utils.data.sampler.BatchSampler$"):
        ReproducibleBatchSampler([1, 2])
    bs = BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)
    rbs = ReproducibleBatchSampler(bs)
    assert rbs.batch_sampler is bs and rbs.sampler is bs.sampler and rbs.start_iteration is None
    assert not rbs.batch_indices
    assert len(rbs) == 4
    assert list(rbs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    rbs.start_iteration = 2
    rbs.setup_batch_indices()
    assert rbs.batch_indices == [[6, 7, 8], [9]] and rbs.start_iteration is None
    assert list(rbs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(ReproducibleBatchSampler(bs, start_iteration=3)) == [[9]]


def test_reproducible_batch_sampler_seeds():
    bs = BatchSampler(RandomSampler(range(50)), batch_size=5, drop_last=False)
    rbs = ReproducibleBatchSampler(bs)
    passes = []
    for epoch in range(3):
        manual_seed(12 + epoch)
        first = list(rbs)
        manual_seed(12 + epoch)
        assert list(rbs) == first
        passes.append(first)
    assert passes[0] != passes[1] != passes[2]


# ---------------------------------------------------------------------------------------------- RNG helpers


def test_rng_states_roundtrip():
    states = _get_rng_states()
    assert len(states) == 3
    a = (random.random(), torch.rand(2), np.random.rand())
    _set_rng_states(states)
    b = (random.random(), torch.rand(2), np.random.rand())
    assert a[0] == b[0] and torch.equal(a[1], b[1]) and a[2] == b[2]
    r = _repr_rng_state([(1, 2), torch.arange(3), np.arange(2)])
    assert len(r.split(" ")) == 3 and all(len(h) == 32 for h in r.split(" "))
    assert r == _repr_rng_state([(1, 2), torch.arange(3), np.arange(2)])
    assert r.split(" ")[0] != _repr_rng_state([(1, 3)])


def test_rng_states_without_numpy(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)
    states = _get_rng_states()
    assert len(states) == 2
    x = torch.rand(1)
    _set_rng_states(states)
    assert torch.equal(torch.rand(1), x)


def test_set_rng_states_moves_non_cpu_state_and_stores_it_back():
    class AcceleratorState:
        """A saved torch RNG state as it comes back from a checkpoint loaded on an accelerator."""

        device = torch.device("meta")

        def __init__(self, cpu_state):
            self._cpu_state = cpu_state

        def cpu(self):
            return self._cpu_state

    states = _get_rng_states()
    cpu_state = states[1]
    expected = torch.rand(3)
    torch.rand(5)  # move the generator on
    states[1] = AcceleratorState(cpu_state)
    _set_rng_states(states)
    assert torch.equal(torch.rand(3), expected)  # the generator is back where the state was taken
    assert states[1] is cpu_state  # and the CPU copy is stored back


# ---------------------------------------------------------------------------------------------- keep_random_state


def test_keep_random_state_restores_and_returns():
    @keep_random_state
    def consume(n):
        """doc"""
        random.random()
        torch.rand(n)
        np.random.rand()
        return n * 2

    assert consume.__name__ == "consume" and consume.__doc__ == "doc"
    manual_seed(1)
    assert consume(3) == 6
    a = (random.random(), torch.rand(1).item(), np.random.rand())
    manual_seed(1)
    b = (random.random(), torch.rand(1).item(), np.random.rand())
    assert a == b


def test_keep_random_state_restores_on_exception():
    @keep_random_state
    def fail():
        torch.rand(10)
        raise ValueError("x")

    manual_seed(2)
    with pytest.raises(ValueError):
        fail()
    x = torch.rand(1)
    manual_seed(2)
    assert torch.equal(torch.rand(1), x)


def test_keep_random_state_without_numpy(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)

    @keep_random_state
    def f():
        torch.rand(5)
        return "ok"

    manual_seed(4)
    assert f() == "ok"
    x = torch.rand(1)
    manual_seed(4)
    assert torch.equal(torch.rand(1), x)


def test_keep_random_state_validation_inside_trainer():
    def run(with_eval):
        manual_seed(0)
        batches = []
        trainer = Engine(lambda e, b: batches.append(torch.rand(1).item()))
        if with_eval:

            @trainer.on(Events.EPOCH_COMPLETED)
            @keep_random_state
            def validate(_):
                Engine(lambda e, b: torch.rand(3)).run([1, 2, 3])

        trainer.run([0, 1], max_epochs=3)
        return batches

    assert run(True) == run(False)


# ---------------------------------------------------------------------------------------------- DeterministicEngine


def test_deterministic_engine_construction():
    engine = DeterministicEngine(lambda e, b: None)
    assert isinstance(engine, Engine)
    assert engine.logger.name == "ignite.engine.engine.DeterministicEngine"
    assert engine.state_dict_user_keys == ["rng_states"]
    assert engine.state.rng_states is None
    sd = engine.state_dict()
    assert list(sd) == ["epoch_length", "iteration", "max_epochs", "rng_states"]
    assert sd["rng_states"] is not None and len(sd["rng_states"]) == 3
    with pytest.raises(ValueError, match=r"Required user state attribute 'rng_states' is absent"):
        engine.load_state_dict({"epoch_length": 3, "iteration": 0, "max_epochs": 2})
    engine.load_state_dict({"epoch_length": 3, "iteration": 0, "max_epochs": 2, "rng_states": None})
    # its handlers run before user handlers
    assert len(engine._event_handlers[Events.STARTED]) == 1
    assert len(engine._event_handlers[Events.DATALOADER_STOP_ITERATION]) == 1
    assert len(engine._event_handlers[Events.TERMINATE_SINGLE_EPOCH]) == 1


def test_deterministic_engine_no_data():
    engine = DeterministicEngine(lambda e, b: None)
    with pytest.raises(
        ValueError,
        match=r"^Deterministic engine does not support the option of data=None. Please, provide data as iterable$",
    ):
        engine.run(max_epochs=10, epoch_length=10)


def test_deterministic_engine_seed_drawn_from_torch():
    engine = DeterministicEngine(lambda e, b: None)
    seeds = []
    engine.add_event_handler(Events.STARTED, lambda e: seeds.append(e.state.seed))
    manual_seed(7)
    engine.run([1, 2])
    manual_seed(7)
    engine.run([1, 2])
    assert seeds[0] == seeds[1] and isinstance(seeds[0], int) and 0 <= seeds[0] < 10**9
    assert engine.state.seed == seeds[0]


def test_setup_seed_rules():
    engine = DeterministicEngine(lambda e, b: None)
    engine.state.seed = 100
    engine._dataloader_len = 10
    engine.state.iteration = 25
    engine._setup_seed()
    x = torch.rand(1)
    manual_seed(102)
    assert torch.equal(torch.rand(1), x)
    engine._setup_seed(iter_counter=5)
    x = torch.rand(1)
    manual_seed(105)
    assert torch.equal(torch.rand(1), x)
    engine._setup_seed(iteration=0)
    x = torch.rand(1)
    manual_seed(100)
    assert torch.equal(torch.rand(1), x)
    with pytest.raises(ValueError, match=r"^iter_counter should be positive value$"):
        engine._setup_seed(iter_counter=0)
    engine._dataloader_len = None
    engine._setup_seed()
    x = torch.rand(1)
    manual_seed(125)
    assert torch.equal(torch.rand(1), x)


def test_epoch_seeding_of_random_data():
    """Each pass over data of known length is sampled with seed ``state.seed + passes``."""

    def random_data():
        class RandomList:
            def __len__(self):
                return 4

            def __iter__(self):
                for _ in range(4):
                    yield torch.rand(1).item()

        return RandomList()

    engine = DeterministicEngine(lambda e, b: b)
    got = []
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: got.append(e.state.output))
    manual_seed(3)
    engine.run(random_data(), max_epochs=3)
    seed = engine.state.seed
    for epoch in range(3):
        manual_seed(seed + epoch)
        assert got[epoch * 4 : (epoch + 1) * 4] == [torch.rand(1).item() for _ in range(4)]


def _run_and_record(data_factory, max_epochs, epoch_length=None, seed=12, state=None):
    engine = DeterministicEngine(lambda e, b: b)
    got = []
    engine.add_event_handler(
        Events.ITERATION_COMPLETED,
        lambda e: got.append(e.state.batch.clone() if torch.is_tensor(e.state.batch) else e.state.batch),
    )
    if state is not None:
        engine.load_state_dict(state)
    manual_seed(seed)
    engine.run(data_factory(), max_epochs=max_epochs, epoch_length=epoch_length)
    return got, engine


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if torch.is_tensor(x):
            assert torch.equal(x, y)
        else:
            assert x == y


def _shuffled_loader():
    return DataLoader(torch.arange(30), batch_size=4, shuffle=True)


def _weighted_loader():
    g = torch.Generator().manual_seed(0)
    return DataLoader(
        torch.arange(30), batch_size=4, sampler=WeightedRandomSampler(torch.rand(30, generator=g), num_samples=30)
    )


def _distributed_loader():
    ds = torch.arange(30)
    return DataLoader(ds, batch_size=4, sampler=DistributedSampler(ds, num_replicas=2, rank=1, shuffle=True))


def _random_list():
    g = torch.Generator().manual_seed(1)
    return [torch.rand(2, generator=g) for _ in range(7)]


class _RandomSized:
    """Sized data whose items are drawn from the global RNG at iteration time (random augmentation)."""

    def __len__(self):
        return 6

    def __iter__(self):
        for i in range(6):
            yield i + torch.rand(1).item()


def _infinite_random():
    while True:
        yield torch.randint(0, 1000, (3,))


@pytest.mark.parametrize(
    "factory, epoch_length",
    [
        (_shuffled_loader, None),
        (_shuffled_loader, 5),
        (_shuffled_loader, 11),
        (_weighted_loader, None),
        (_distributed_loader, None),
        (_random_list, None),
        (_random_list, 4),
        (_random_list, 10),
        (_infinite_random, 6),
    ],
)
@pytest.mark.parametrize("resume_at", ["epoch", "iteration"])
def test_resume_reproduces_remaining_batches(factory, epoch_length, resume_at):
    max_epochs = 4
    ref, engine = _run_and_record(factory, max_epochs, epoch_length)
    el = engine.state.epoch_length
    if resume_at == "epoch":
        state = {"epoch": 2, "epoch_length": el, "max_epochs": max_epochs, "rng_states": None}
        start = 2 * el
    else:
        start = el + el // 2 + 1
        state = {"iteration": start, "epoch_length": el, "max_epochs": max_epochs, "rng_states": None}
    got, _ = _run_and_record(factory, max_epochs, state=state)
    _same(got, ref[start:])


def test_resume_with_distributed_sampler_length_mismatch_warns():
    with pytest.warns(UserWarning, match="distributed sampler indices can not be setup in a reproducible manner"):
        _run_and_record(_distributed_loader, 2, epoch_length=3)


def test_dataloader_batch_size_none_with_batch_sampler():
    ds = torch.arange(100)
    loader = DataLoader(ds, batch_size=None, sampler=BatchSampler(RandomSampler(ds), batch_size=8, drop_last=False))
    engine = DeterministicEngine(lambda e, b: None)
    state = engine.run(loader, epoch_length=10, max_epochs=5)
    assert state.iteration == 50


def test_dataloader_subclass_without_dataset_kind():
    class OldDataLoader(DataLoader):
        # a DataLoader subclass that does not call DataLoader.__init__ (no _dataset_kind attribute)
        def __init__(self, dl, *args, **kwargs):
            self.dl = dl
            self.sampler = self.dl.sampler
            self.batch_sampler = self.dl.batch_sampler

        def __len__(self):
            return len(self.dl)

        def __iter__(self):
            return iter(self.dl)

    loader = OldDataLoader(DataLoader(torch.arange(12), batch_size=3, shuffle=True))
    assert not hasattr(loader, "_dataset_kind")
    engine = DeterministicEngine(lambda e, b: b)
    state = engine.run(loader, max_epochs=2)
    assert state.iteration == 8


def test_finite_generator_restarted_from_stop_iteration_handler():
    def gen():
        yield from range(11)

    engine = DeterministicEngine(lambda e, b: None)
    engine.add_event_handler(Events.DATALOADER_STOP_ITERATION, lambda e: setattr(e.state, "dataloader", gen()))
    state = engine.run(gen(), max_epochs=5)
    assert state.epoch == 5 and state.iteration == 55


def test_generic_resume_log_only_when_resuming(caplog):
    with caplog.at_level(logging.INFO, logger="ignite.engine.engine.DeterministicEngine"):
        _run_and_record(_random_list, 2)
    assert not any("Resuming from iteration for provided data" in m for m in caplog.messages)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ignite.engine.engine.DeterministicEngine"):
        _run_and_record(_random_list, 2, state={"iteration": 3, "epoch_length": 7, "max_epochs": 2, "rng_states": None})
    assert any(
        "Resuming from iteration for provided data will fetch data until required iteration" in m
        for m in caplog.messages
    )


def test_skipping_short_one_shot_iterator_terminates():
    engine = DeterministicEngine(lambda e, b: None)
    engine.load_state_dict({"iteration": 5, "epoch_length": 10, "max_epochs": 2, "rng_states": None})
    with pytest.warns(UserWarning, match="Data iterator can not provide data anymore"):
        state = engine.run(iter([1, 2, 3]))
    assert state.iteration == 5 and state.epoch == 2


def test_terminate_epoch_reseeds():
    engine = DeterministicEngine(lambda e, b: b)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.terminate_epoch())
    manual_seed(0)
    state = engine.run(_RandomSized(), max_epochs=2)
    assert state.epoch == 2 and state.iteration == 8


class _CountedDeterministic(DeterministicEngine):
    deleted = 0

    def __del__(self):
        type(self).deleted += 1


def test_deterministic_engine_freed_by_refcount():
    """Beyond upstream (spec §13.15): no reference cycle through its own handlers."""
    _CountedDeterministic.deleted = 0
    engine = _CountedDeterministic(lambda e, b: None)
    engine.run(DataLoader(torch.arange(8), batch_size=2, shuffle=True), max_epochs=2)
    del engine
    assert _CountedDeterministic.deleted == 1


# ---------------------------------------------------------------------------------------------- model-level resume


class _DropoutModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(8, 1)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


def _train(checkpoint_at=None, resume_from=None, epochs=3, num_workers=0):
    from ignite.engine import create_supervised_trainer

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(3)
    data = torch.utils.data.TensorDataset(torch.randn(24, 4, generator=g), torch.randn(24, 1, generator=g))
    loader = DataLoader(data, batch_size=4, shuffle=True, num_workers=num_workers)
    model = _DropoutModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = create_supervised_trainer(model, optimizer, nn.functional.mse_loss, deterministic=True)
    assert isinstance(trainer, DeterministicEngine)
    saved = {}
    if checkpoint_at is not None:

        @trainer.on(Events.ITERATION_COMPLETED(once=checkpoint_at))
        def save(engine):
            saved["model"] = {k: v.clone() for k, v in model.state_dict().items()}
            import copy

            saved["optimizer"] = copy.deepcopy(optimizer.state_dict())
            saved["trainer"] = engine.state_dict()

    if resume_from is not None:
        model.load_state_dict(resume_from["model"])
        optimizer.load_state_dict(resume_from["optimizer"])
        trainer.load_state_dict(resume_from["trainer"])
    manual_seed(17)
    trainer.run(loader, max_epochs=epochs)
    return [p.detach().clone() for p in model.parameters()], saved


@pytest.mark.parametrize("checkpoint_at, num_workers", [(6, 0), (9, 2)], ids=["epoch", "iteration"])
def test_model_resume_matches_on_cpu(checkpoint_at, num_workers):
    ref, saved = _train(checkpoint_at=checkpoint_at, num_workers=num_workers)
    assert saved["trainer"]["rng_states"] is not None
    got, _ = _train(resume_from=saved, num_workers=num_workers)
    for a, b in zip(ref, got):
        assert torch.allclose(a, b)


def test_interrupt_resume_keeps_data_stream():
    ref, _ = _run_and_record(_shuffled_loader, 3)

    engine = DeterministicEngine(lambda e, b: b)
    got = []
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: got.append(e.state.batch.clone()))
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=5), lambda e: e.interrupt())
    manual_seed(12)
    loader = _shuffled_loader()
    seeds = set()
    engine.add_event_handler(Events.STARTED, lambda e: seeds.add(e.state.seed))
    engine.run(loader, max_epochs=3)
    runs = 1
    while engine._internal_run_generator is not None:
        torch.rand(3)  # user code between runs must not disturb the suspended run's seeding
        engine.run(loader, max_epochs=3)
        runs += 1
    assert runs == 5 and len(seeds) == 1
    _same(got, ref)


def test_rng_states_restored_only_mid_pass():
    torch.manual_seed(0)
    states = _get_rng_states()
    expected = torch.rand(4)

    engine = DeterministicEngine(lambda e, b: None)
    engine.load_state_dict({"iteration": 5, "epoch_length": 4, "max_epochs": 3, "rng_states": states})
    got = []
    engine.add_event_handler(Events.GET_BATCH_STARTED(once=5), lambda e: got.append(torch.rand(4)))
    engine.run(list(range(4)))
    assert torch.equal(got[0], expected)  # restored right after positioning the iterator
    assert engine.state.rng_states is None

    engine = DeterministicEngine(lambda e, b: None)
    engine.load_state_dict({"iteration": 4, "epoch_length": 4, "max_epochs": 3, "rng_states": states})
    engine.run(list(range(4)))
    assert engine.state.rng_states is states  # pass boundary: left untouched


def test_resume_mid_pass_with_saved_rng_states_replays_the_remaining_batches():
    """A state saved inside a pass (its ``rng_states`` restored on resume) gives the batches the uninterrupted run
    gave: the interrupted pass is drawn from its seed before the saved states are put back."""

    def run(state=None):
        seen = []
        engine = DeterministicEngine(lambda e, b: seen.append(b.tolist()))
        saved = {}
        engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: saved.update(e.state_dict()))
        if state is not None:
            engine.load_state_dict(state)
        manual_seed(0)
        engine.run(DataLoader(list(range(6)), batch_size=2, shuffle=True), max_epochs=2)
        return seen, saved

    full, saved = run()
    assert saved["rng_states"] is not None and saved["iteration"] == 2
    resumed, _ = run(saved)
    assert resumed == full[2:]
