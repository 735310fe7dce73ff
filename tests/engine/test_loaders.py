"""ignite.engine.loaders: CombinedLoader's modes, lengths, exact resume and bad input."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader

from ignite import _rng
from ignite.engine import CombinedLoader, Engine, Events
from ignite.handlers import Checkpoint, DiskSaver

A = [1, 2, 3]
B = [10, 20, 30, 40, 50]


class Unsized:
    """A re-iterable source without ``__len__`` that counts the items drawn from it."""

    def __init__(self, items: list) -> None:
        self.items = items
        self.drawn = 0

    def __iter__(self):
        for x in self.items:
            self.drawn += 1
            yield x


# ---------------------------------------------------------------------------------------------- modes and lengths


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("cycle", [(1, 10), (2, 20), (3, 30), (1, 40), (2, 50)]),
        ("shortest", [(1, 10), (2, 20), (3, 30)]),
        ("longest", [(1, 10), (2, 20), (3, 30), (None, 40), (None, 50)]),
    ],
)
def test_modes_give_the_hand_worked_steps(mode, expected):
    data = CombinedLoader([A, B], mode=mode)
    assert len(data) == len(expected)
    assert list(data) == expected
    assert list(data) == expected  # a second pass starts over
    as_dict = CombinedLoader({"a": A, "b": B}, mode=mode)
    assert list(as_dict) == [{"a": x, "b": y} for x, y in expected]
    assert as_dict.loaders == {"a": A, "b": B} and data.loaders == [A, B]


@pytest.mark.parametrize(
    "mode, expected",
    [
        # without lengths, "cycle" ends once every source has ended a pass: B ends at step 6, after A's 3rd batch of
        # that step was drawn and dropped
        ("cycle", [(1, 10), (2, 20), (3, 30), (1, 40), (2, 50)]),
        ("shortest", [(1, 10), (2, 20), (3, 30)]),
        ("longest", [(1, 10), (2, 20), (3, 30), (None, 40), (None, 50)]),
    ],
)
def test_sources_without_length(mode, expected):
    a, b = Unsized(A), Unsized(B)
    data = CombinedLoader([a, b], mode=mode)
    with pytest.raises(TypeError, match=r"has no length: loaders\[0\] has none"):
        len(data)
    assert list(data) == expected
    # "shortest": A's end stops the pass before B is drawn again
    assert (a.drawn, b.drawn) == {"cycle": (6, 5), "shortest": (3, 3), "longest": (3, 5)}[mode]


def test_known_lengths_stop_without_drawing_more():
    a = Unsized(A)
    data = CombinedLoader([B, a], mode="shortest")
    with pytest.raises(TypeError, match=r"loaders\[1\] has none"):
        len(data)
    sized = CombinedLoader([A, B], mode="cycle")
    it = iter(sized)
    assert [next(it) for _ in range(5)][-1] == (2, 50)
    assert next(it, "end") == "end"


def test_the_engine_runs_epochs_of_the_combined_length():
    seen = []
    engine = Engine(lambda e, batch: seen.append(batch))
    engine.run(CombinedLoader([A, B], mode="cycle"), max_epochs=2)
    assert engine.state.epoch_length == 5 and engine.state.iteration == 10
    assert seen == [(1, 10), (2, 20), (3, 30), (1, 40), (2, 50)] * 2


def _loader(n: int, batch_size: int, seed: int, num_workers: int = 0) -> DataLoader:
    gen = torch.Generator().manual_seed(seed)
    return DataLoader(torch.arange(n), batch_size=batch_size, shuffle=True, generator=gen, num_workers=num_workers)


def test_a_cycled_loader_is_reshuffled_from_its_own_generator():
    short, long = _loader(6, 2, seed=3), _loader(20, 2, seed=4)
    steps = list(CombinedLoader([short, long], mode="cycle"))
    assert len(steps) == 10
    # the reference: the same loader, iterated pass after pass by hand (4 passes of 3 batches cover 10 steps)
    by_hand = _loader(6, 2, seed=3)
    reference = [b for _ in range(4) for b in by_hand]
    for (got, _), ref in zip(steps, reference):
        assert torch.equal(got, ref)
    # its passes differ: a new shuffle each time, not a replay
    firsts = [torch.cat([s[0] for s in steps[i : i + 3]]) for i in (0, 3, 6)]
    assert all(sorted(f.tolist()) == list(range(6)) for f in firsts)
    assert not (torch.equal(firsts[0], firsts[1]) and torch.equal(firsts[1], firsts[2]))


# ---------------------------------------------------------------------------------------------- exact resume


def _as_lists(batch):
    if isinstance(batch, dict):
        return {k: (v.tolist() if v is not None else None) for k, v in batch.items()}
    return [b.tolist() if b is not None else None for b in batch]


def _make(mode: str, seeds: tuple[int, int], data_skip: str = "auto", num_workers: int = 0) -> CombinedLoader:
    sup, unsup = _loader(6, 2, seeds[0], num_workers), _loader(10, 2, seeds[1])
    return CombinedLoader({"sup": sup, "unsup": unsup}, mode, data_skip)


def _trainer(record: list) -> Engine:
    def step(engine, batch):
        torch.rand(3)  # the step draws from the global random state, as dropout would
        record.append(_as_lists(batch))

    return Engine(step)


@pytest.mark.parametrize("data_skip", ["auto", "fetch"])
@pytest.mark.parametrize(
    "mode, stop_at",
    # epoch lengths: cycle 5, shortest 3, longest 5. Stops mid-epoch, right after the short loader restarted (4) or
    # ran out (longest, 4), at the end of an epoch (5, 3), and in a later epoch
    [("cycle", 2), ("cycle", 4), ("cycle", 5), ("cycle", 9), ("shortest", 3), ("shortest", 5), ("longest", 4)],
)
def test_resume_through_checkpoint_gives_the_uninterrupted_batches(tmp_path, mode, stop_at, data_skip):
    _check_resume(tmp_path, mode, stop_at, data_skip)


def test_resume_with_a_loader_using_workers(tmp_path):
    # "auto" fetches the skipped batches of a loader with workers (their random states depend on what they loaded)
    _check_resume(tmp_path, "cycle", 4, "auto", num_workers=1)


def _check_resume(tmp_path, mode: str, stop_at: int, data_skip: str, num_workers: int = 0) -> None:
    max_epochs = 3
    uninterrupted: list = []
    _trainer(uninterrupted).run(_make(mode, (0, 1), data_skip, num_workers), max_epochs=max_epochs)

    # the interrupted run saves the trainer and the data at iteration stop_at, then stops
    first: list = []
    trainer, data = _trainer(first), _make(mode, (0, 1), data_skip, num_workers)
    checkpoint = Checkpoint({"trainer": trainer, "data": data}, DiskSaver(tmp_path, require_empty=False))
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), checkpoint)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), lambda e: e.terminate())
    trainer.run(data, max_epochs=max_epochs)
    assert len(first) == stop_at

    # a new "process": loaders seeded differently, another global random state; only the checkpoint carries over
    torch.manual_seed(1234)
    resumed: list = []
    trainer, data = _trainer(resumed), _make(mode, (98, 99), data_skip, num_workers)
    Checkpoint.load_objects({"trainer": trainer, "data": data}, checkpoint=str(tmp_path / checkpoint.last_checkpoint))
    trainer.run(data, max_epochs=max_epochs)
    assert first + resumed == uninterrupted


def _global_rng_loaders(mode: str) -> CombinedLoader:
    """Shuffling loaders without a generator of their own: they draw from the global random state."""
    return CombinedLoader(
        [
            DataLoader(torch.arange(6), batch_size=2, shuffle=True),
            DataLoader(torch.arange(10), batch_size=2, shuffle=True),
        ],
        mode,
    )


@pytest.mark.parametrize("own_generators", [True, False], ids=["own-generators", "global-rng"])
@pytest.mark.parametrize("mode, stop_at", [("cycle", 4), ("cycle", 5), ("cycle", 7), ("longest", 9)])
def test_resume_together_with_exact_resume(tmp_path, mode, stop_at, own_generators):
    """With ExactResume in the checkpoint too (it restores the global random states), the data is positioned once;
    loaders that shuffle from the global random state are then exact as well."""
    from ignite.handlers import ExactResume

    def make(seeds):
        return _make(mode, seeds) if own_generators else _global_rng_loaders(mode)

    torch.manual_seed(0)
    uninterrupted: list = []
    _trainer(uninterrupted).run(make((0, 1)), max_epochs=3)

    torch.manual_seed(0)
    first: list = []
    trainer, data = _trainer(first), make((0, 1))
    to_save = {"trainer": trainer, "data": data, "resume": ExactResume(trainer)}
    checkpoint = Checkpoint(to_save, DiskSaver(tmp_path, require_empty=False))
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), checkpoint)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), lambda e: e.terminate())
    trainer.run(data, max_epochs=3)

    torch.manual_seed(1234)
    resumed: list = []
    trainer, data = _trainer(resumed), make((98, 99))
    to_load = {"trainer": trainer, "data": data, "resume": ExactResume(trainer)}
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=10**6), checkpoint)  # built as the saved run was
    Checkpoint.load_objects(to_load, checkpoint=str(tmp_path / checkpoint.last_checkpoint))
    trainer.run(data, max_epochs=3)
    assert first + resumed == uninterrupted


def test_the_position_survives_the_end_of_a_terminated_run():
    """The engine drops its iterator when a run ends; the position taken afterwards is still that of the pass."""
    uninterrupted: list = []
    _trainer(uninterrupted).run(_make("cycle", (0, 1)), max_epochs=2)
    trainer, data = _trainer([]), _make("cycle", (0, 1))
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=7), lambda e: e.terminate())
    trainer.run(data, max_epochs=2)
    state = data.state_dict()
    assert state["position"]["step"] == 2  # the second step of the second epoch
    assert [s["consumed"] for s in state["position"]["sources"]] == [2, 2]

    again = _make("cycle", (5, 6))
    again.load_state_dict(state)
    assert [_as_lists(b) for b in again] == uninterrupted[7:]


def test_loaders_drawing_from_the_global_state_are_exact_when_it_is_restored():
    """Without their own generator, loaders shuffle from the global random state: restoring it (as ExactResume
    does) together with the loader's position reproduces the run."""

    def make() -> CombinedLoader:
        return CombinedLoader(
            [DataLoader(torch.arange(6), batch_size=2, shuffle=True), DataLoader(torch.arange(8), batch_size=2)]
        )

    def consume(it, n):
        out = []
        for _ in range(n):
            out.append(_as_lists(next(it)))
            torch.rand(2)  # training draws from the global state between steps
        return out

    torch.manual_seed(0)
    data = make()
    it = iter(data)
    head = consume(it, 3)
    state, rng = data.state_dict(), _rng.capture(cuda=False)
    tail = consume(it, 1) + [b for p in range(2) for b in consume(iter(data), 4)]

    torch.manual_seed(77)
    again = make()
    again.load_state_dict(state)
    _rng.restore(rng)
    it = iter(again)
    assert head and consume(it, 1) + [b for p in range(2) for b in consume(iter(again), 4)] == tail


def test_state_before_any_pass_and_after_a_finished_one():
    data = CombinedLoader([A, B])
    assert data.state_dict()["position"] is None
    list(data)
    state = data.state_dict()
    assert state == {"version": 1, "mode": "cycle", "keys": 2, "position": None}
    other = CombinedLoader([A, B])
    other.load_state_dict(state)
    assert list(other) == list(data)
    # a loaded position is also what state_dict reports until the next iter()
    it = iter(data)
    next(it)
    mid = data.state_dict()
    other.load_state_dict(mid)
    assert other.state_dict()["position"] == mid["position"]


# ---------------------------------------------------------------------------------------------- bad input


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match=r"Argument mode should be one of .*'cycle'.*got 'max'"):
        CombinedLoader([A, B], mode="max")
    with pytest.raises(ValueError, match=r"Argument data_skip should be one of"):
        CombinedLoader([A, B], data_skip="skip")
    with pytest.raises(ValueError, match=r"Argument loaders should hold at least one data loader"):
        CombinedLoader([])
    with pytest.raises(ValueError, match=r"Argument loaders should hold at least one data loader"):
        CombinedLoader({})
    with pytest.raises(TypeError, match=r"Argument loaders should be a list or a dict of data loaders"):
        CombinedLoader(DataLoader(torch.arange(4)))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Argument loaders should be a list or a dict"):
        CombinedLoader("ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Argument loaders\[1\] should be iterable, got <class 'int'>"):
        CombinedLoader([A, 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"Argument loaders\['b'\] is an iterator \(generator\)"):
        CombinedLoader({"a": A, "b": (x for x in B)})
    with pytest.raises(ValueError, match=r"Argument loaders\[0\] is empty: it cannot be cycled"):
        CombinedLoader([[], B], mode="cycle")
    # empty sources are fine where nothing has to be cycled
    assert list(CombinedLoader([[], B], mode="longest")) == [(None, b) for b in B]
    assert list(CombinedLoader([[], B], mode="shortest")) == []


def test_an_empty_source_without_length_cannot_be_cycled():
    data = CombinedLoader([Unsized([]), Unsized(B)], mode="cycle")
    with pytest.raises(ValueError, match=r"Argument loaders\[0\] produced no batch in a new pass"):
        list(data)


def test_bad_state_dicts_name_what_differs():
    data = CombinedLoader({"a": A, "b": B})
    state = CombinedLoader({"a": A, "b": B}).state_dict()
    with pytest.raises(TypeError, match=r"Argument state_dict should be a dictionary"):
        data.load_state_dict([1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"missing the key\(s\) \['position'\]"):
        data.load_state_dict({k: v for k, v in state.items() if k != "position"})
    with pytest.raises(ValueError, match=r"version 7, expected 1"):
        data.load_state_dict({**state, "version": 7})
    with pytest.raises(ValueError, match=r"saved with mode='longest', not 'cycle'"):
        data.load_state_dict({**state, "mode": "longest"})
    with pytest.raises(ValueError, match=r"saved for the loaders \['a', 'c'\], not \['a', 'b'\]"):
        data.load_state_dict({**state, "keys": ["a", "c"]})
    # a loader that now has no generator of its own cannot replay a pass drawn from one
    shuffled = _make("cycle", (0, 1))
    it = iter(shuffled)
    next(it)
    saved = shuffled.state_dict()
    plain = CombinedLoader({"sup": DataLoader(torch.arange(6), batch_size=2), "unsup": _loader(10, 2, 1)})
    with pytest.raises(ValueError, match=r"saved with 1 random generator\(s\) for loaders\['sup'\], which now has 0"):
        plain.load_state_dict(saved)
