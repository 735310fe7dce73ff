"""The resumable-state protocol behind ExactResume: what registers, under which keys, and explicit objects."""

from __future__ import annotations

import gc
import warnings

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import Engine, Events, create_supervised_trainer
from ignite.engine._resumable import OptimizerHyperParameters, ResumableRegistry, Stateful, is_stateful
from ignite.handlers import Checkpoint, DiskSaver, EarlyStopping
from ignite.handlers.resume import ExactResume
from ignite.metrics import Average, RunningAverage
from ignite.utils import manual_seed


class Counter:
    """A stateful handler: counts the events it was called on."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, engine: Engine) -> None:
        self.n += 1

    def state_dict(self) -> dict:
        return {"n": self.n}

    def load_state_dict(self, sd: dict) -> None:
        self.n = sd["n"]


class Tally:
    """A stateful object whose bound method is the handler."""

    def __init__(self) -> None:
        self.total = 0.0

    def add(self, engine: Engine) -> None:
        self.total += float(engine.state.output)

    def state_dict(self) -> dict:
        return {"total": self.total}

    def load_state_dict(self, sd: dict) -> None:
        self.total = sd["total"]


def _keys(trainer: Engine) -> list[str]:
    return [key for key, _ in trainer._resumables.items()]


def test_what_registers_when_attached():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss)
    counter, tally, second = Counter(), Tally(), Counter()
    trainer.add_event_handler(Events.ITERATION_COMPLETED, counter)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=2), tally.add)  # filtered: the owner still counts
    trainer.add_event_handler(Events.EPOCH_COMPLETED, second)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, counter)  # a second event: registered once
    Average().attach(trainer, "avg")
    trainer.add_event_handler(Events.COMPLETED, lambda e: None)  # plain functions are not resumable
    trainer.add_event_handler(Events.STARTED, model)  # neither are modules (Checkpoint saves them)
    ExactResume(trainer)  # nor ExactResume itself
    assert _keys(trainer) == ["optimizer", "Counter", "Tally", "Counter#1", "metric/avg"]
    registered = dict(trainer._resumables.items())
    assert registered["Counter"] is counter and registered["Counter#1"] is second and registered["Tally"] is tally


def test_keys_do_not_change_when_an_unrelated_handler_is_added(tmp_path):
    def build(extra: bool) -> tuple[Engine, ExactResume]:
        trainer = Engine(lambda e, b: b)
        if extra:  # added first, before everything else: stateful, filtered and plain
            trainer.add_event_handler(Events.ITERATION_COMPLETED, Tally().add)
            trainer.add_event_handler(
                Events.EPOCH_COMPLETED, EarlyStopping(patience=5, score_function=lambda e: 1.0, trainer=trainer)
            )
            trainer.add_event_handler(Events.ITERATION_STARTED(every=3), lambda e: None)
            RunningAverage(output_transform=lambda x: x).attach(trainer, "other")
        trainer.add_event_handler(Events.ITERATION_COMPLETED, Counter())
        Average().attach(trainer, "avg")
        return trainer, ExactResume(trainer)

    plain, resume = build(False)
    plain.run([1.0, 2.0, 3.0], max_epochs=1)
    saved = resume.state_dict()
    extended, resume2 = build(True)
    assert set(saved["attached"]) == {"Counter", "metric/avg"}
    assert set(saved["attached"]) <= set(_keys(extended))

    # a checkpoint of the plain set-up resumes in the extended one without warnings about unknown objects
    trainer, resume = build(False)
    counter = dict(trainer._resumables.items())["Counter"]
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=4), lambda e: e.terminate())
    trainer.run([1.0, 2.0, 3.0], max_epochs=2)
    sd = {"trainer": trainer.state_dict(), "resume": resume.state_dict()}
    assert counter.n == 4

    trainer, resume = build(True)
    trainer.load_state_dict(sd["trainer"])
    resume.load_state_dict(sd["resume"])
    registered = dict(trainer._resumables.items())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every saved key is found
        trainer.run([1.0, 2.0, 3.0], max_epochs=2)
    assert registered["Counter"].n == 6
    assert trainer.state.metrics["avg"] == pytest.approx(2.0)


@pytest.mark.filterwarnings("ignore:ExactResume. no resumable object attached 'Checkpoint'")
def test_explicit_objects_and_an_optimizer_driven_by_a_custom_step(tmp_path):
    """Outside create_supervised_trainer nothing knows the optimizer: give it (and any other state) as objects."""

    def build() -> tuple[Engine, dict, nn.Module, Counter]:
        manual_seed(3)
        model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.2), nn.Linear(8, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        seen = Counter()  # state the step keeps, not attached to the engine

        def step(engine: Engine, batch: tuple) -> float:
            x, y = batch
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            seen(engine)
            return loss.item()

        trainer = Engine(step)

        @trainer.on(Events.EPOCH_STARTED)
        def decay(engine: Engine) -> None:
            for group in opt.param_groups:
                group["lr"] *= 0.5

        resume = ExactResume(trainer, objects={"optimizer": opt, "seen": seen})
        to_save = {"model": model, "optimizer": opt, "trainer": trainer, "resume": resume}
        return trainer, to_save, model, seen

    g = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(30, 3, generator=g), torch.randn(30, 1, generator=g))

    def loader() -> DataLoader:
        return DataLoader(data, batch_size=4, shuffle=True)

    trainer, _, model, seen = build()
    trainer.run(loader(), max_epochs=3)
    reference = torch.cat([p.detach().flatten() for p in model.parameters()])

    trainer, to_save, _, _ = build()
    checkpointer = Checkpoint(to_save, DiskSaver(tmp_path), n_saved=1)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=11), checkpointer)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=11), lambda e: e.terminate())
    trainer.run(loader(), max_epochs=3)

    trainer, to_save, model, seen = build()
    torch.rand(5)
    Checkpoint.load_objects(to_save, checkpointer.last_checkpoint)
    trainer.run(loader(), max_epochs=3)
    assert torch.equal(torch.cat([p.detach().flatten() for p in model.parameters()]), reference)
    assert seen.n == 24


def test_objects_bad_input():
    trainer = Engine(lambda e, b: None)
    with pytest.raises(TypeError, match=r"Argument objects should be a mapping"):
        ExactResume(trainer, objects=[Counter()])
    with pytest.raises(TypeError, match=r"Argument objects should have string keys"):
        ExactResume(trainer, objects={1: Counter()})
    with pytest.raises(TypeError, match=r"Argument objects\['x'\] should have state_dict\(\) and load_state_dict"):
        ExactResume(trainer, objects={"x": object()})
    with pytest.raises(TypeError, match=r"Argument obj should have state_dict\(\) and load_state_dict"):
        trainer._register_resumable(object())
    with pytest.raises(TypeError, match=r"Argument optimizer should be a torch.optim.Optimizer"):
        OptimizerHyperParameters(nn.Linear(1, 1))


def test_a_saved_object_unknown_to_the_resumed_trainer_warns():
    trainer = Engine(lambda e, b: None)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, Counter())
    resume = ExactResume(trainer, objects={"extra": Counter()})
    trainer.run([1, 2], max_epochs=1)
    sd = resume.state_dict()
    fresh = Engine(lambda e, b: None)
    fresh.load_state_dict(trainer.state_dict())
    fresh_resume = ExactResume(fresh)
    fresh_resume.load_state_dict(sd)
    with pytest.warns(UserWarning, match=r"no resumable object attached 'Counter'") as record:
        fresh.run([1, 2], max_epochs=2)
    assert any("no object 'extra'" in str(w.message) for w in record)


def test_registry_holds_weakly_unless_asked():
    registry = ResumableRegistry()
    kept, dropped, adapter = (
        Counter(),
        Counter(),
        OptimizerHyperParameters(torch.optim.SGD([nn.Parameter(torch.ones(1))])),
    )
    assert registry.add(kept) == "Counter"
    assert registry.add(dropped) == "Counter#1"
    assert registry.add(kept) is None
    assert registry.add(adapter, "optimizer", hold=True) == "optimizer"
    del dropped, adapter
    gc.collect()
    assert [k for k, _ in registry.items()] == ["Counter", "optimizer"]
    assert is_stateful(kept) and isinstance(kept, Stateful)
    assert not is_stateful(Counter) and not is_stateful(nn.Linear(1, 1))


def test_optimizer_hyper_parameters_round_trip():
    opt = torch.optim.Adam([nn.Parameter(torch.ones(2))], lr=0.1, betas=(0.8, 0.9))
    view = OptimizerHyperParameters(opt)
    sd = view.state_dict()
    opt.param_groups[0]["lr"] = 5.0
    view.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["betas"] == (0.8, 0.9)
    with pytest.raises(ValueError, match=r"Argument state_dict holds 2 param groups, the optimizer has 1"):
        view.load_state_dict({"param_groups": sd["param_groups"] * 2})


class ShuffledBatches:
    """A data source that resumes itself: ``state_dict()`` is its position in the current pass."""

    def __init__(self, n: int = 15, batch: int = 4, seed: int = 3) -> None:
        self.n, self.batch, self.seed = n, batch, seed
        self.passes = 0  # passes started
        self.made = 0  # batches produced
        self.current = (0, 0)  # (pass, batches produced in it)
        self._loaded: tuple[int, int] | None = None

    def __len__(self) -> int:
        return -(-self.n // self.batch)

    def __iter__(self):
        epoch, start = self._loaded if self._loaded is not None else (self.passes, 0)
        self._loaded = None
        self.passes = epoch + 1
        perm = torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed + epoch)).tolist()
        self.current = (epoch, start)
        for i in range(start, len(self)):
            self.made += 1
            self.current = (epoch, i + 1)
            yield perm[i * self.batch : (i + 1) * self.batch]

    def state_dict(self) -> dict:
        return {"pass": self.current[0], "next": self.current[1]}

    def load_state_dict(self, sd: dict) -> None:
        self._loaded = (sd["pass"], sd["next"])


@pytest.mark.parametrize("stop_at", [2, 4, 5, 7])
def test_a_resumable_data_source_continues_its_pass_itself(stop_at):
    def build() -> tuple[Engine, ExactResume, ShuffledBatches, list]:
        seen: list = []
        trainer = Engine(lambda e, b: seen.append(b))
        return trainer, ExactResume(trainer), ShuffledBatches(), seen

    trainer, _, data, reference = build()
    trainer.run(data, max_epochs=3)

    trainer, resume, data, seen = build()
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), lambda e: e.terminate())
    trainer.run(data, max_epochs=3)
    sd = {"trainer": trainer.state_dict(), "resume": resume.state_dict()}
    assert sd["resume"]["position"]["data_state"] == {"pass": (stop_at - 1) // 4, "next": (stop_at - 1) % 4 + 1}

    trainer, resume, data, rest = build()
    trainer.load_state_dict(sd["trainer"])
    resume.load_state_dict(sd["resume"])
    trainer.run(data, max_epochs=3)
    assert seen + rest == reference
    assert data.made == 12 - stop_at  # nothing was fetched to be skipped
