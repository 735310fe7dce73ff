"""DCPSaver in one process (no process group): atomic directories, rotation, recovery, bad input.

The multi-process behaviour (FSDP2 shards, resharding across world sizes) is in ``test_fsdp_dcp.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import nn

from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint, DCPSaver, EMAHandler
from tests.handlers._killed_child import kill_after_save


def _model() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def _trainer(model: nn.Module, optimizer: torch.optim.Optimizer) -> Engine:
    def step(engine: Engine, batch: torch.Tensor) -> float:
        optimizer.zero_grad()
        loss = model(batch).pow(2).mean()
        loss.backward()
        optimizer.step()
        return loss.item()

    return Engine(step)


def _listing(path: Path) -> list[str]:
    return sorted(os.listdir(path))


def test_checkpoints_are_dcp_directories_rotated_by_score(tmp_path: Path) -> None:
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    trainer = _trainer(model, optimizer)
    scores = iter([0.5, 0.9, 0.1, 0.7])
    handler = Checkpoint(
        {"model": model, "optimizer": optimizer, "trainer": trainer},
        DCPSaver(tmp_path),
        n_saved=2,
        score_function=lambda e: next(scores),
        score_name="acc",
    )
    trainer.add_event_handler(Events.ITERATION_COMPLETED, handler)
    trainer.run([torch.randn(5, 3) for _ in range(4)], max_epochs=1)
    # best two of 0.5, 0.9, 0.1, 0.7; nothing else (no temporaries) in the directory
    assert _listing(tmp_path) == ["checkpoint_acc=0.7000.dcp", "checkpoint_acc=0.9000.dcp"]
    assert handler.last_checkpoint == tmp_path / "checkpoint_acc=0.9000.dcp"
    assert [f for _, f in handler.state_dict()["_saved"]] == ["checkpoint_acc=0.7000.dcp", "checkpoint_acc=0.9000.dcp"]
    assert (tmp_path / "checkpoint_acc=0.9000.dcp" / ".metadata").is_file()


def test_load_objects_restores_model_optimizer_engine_and_the_handler_itself(tmp_path: Path) -> None:
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    trainer = _trainer(model, optimizer)
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
    handler = Checkpoint(to_save, DCPSaver(tmp_path), n_saved=None, include_self=True)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, handler)
    trainer.run([torch.randn(5, 3) for _ in range(3)], max_epochs=2)

    model2 = _model()
    optimizer2 = torch.optim.Adam(model2.parameters(), lr=0.5)
    trainer2 = _trainer(model2, optimizer2)
    handler2 = Checkpoint({"model": model2}, DCPSaver(tmp_path / "other"))
    to_load = {"model": model2, "optimizer": optimizer2, "trainer": trainer2, "checkpointer": handler2}
    Checkpoint.load_objects(to_load, tmp_path / "checkpoint_6.dcp")
    for a, b in zip(model.parameters(), model2.parameters()):
        assert torch.equal(a, b)
    for a, b in zip(model.parameters(), model2.parameters()):
        assert torch.equal(optimizer.state[a]["exp_avg_sq"], optimizer2.state[b]["exp_avg_sq"])
        assert float(optimizer.state[a]["step"]) == float(optimizer2.state[b]["step"]) == 6
    assert optimizer2.param_groups[0]["lr"] == 0.1
    assert (trainer2.state.iteration, trainer2.state.epoch) == (6, 2)
    assert handler2.state_dict()["_saved"] == [(3, "checkpoint_3.dcp"), (6, "checkpoint_6.dcp")]


def test_single_object_is_saved_as_its_state_and_loads_back(tmp_path: Path) -> None:
    model = _model()
    Checkpoint({"model": model}, DCPSaver(tmp_path))(Engine(lambda e, b: None))
    assert _listing(tmp_path) == ["model_0.dcp"]
    model2 = _model()
    Checkpoint.load_objects({"model": model2}, tmp_path / "model_0.dcp")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), model2.state_dict().values()))


def test_same_name_is_replaced_only_once_the_new_directory_is_complete(tmp_path: Path) -> None:
    model = _model()
    handler = Checkpoint({"model": model}, DCPSaver(tmp_path), filename_pattern="{name}.{ext}", greater_or_equal=True)
    engine = Engine(lambda e, b: None)
    handler(engine)
    with torch.no_grad():
        model[0].weight.fill_(3.0)
    handler(engine)
    assert _listing(tmp_path) == ["model.dcp"]
    model2 = _model()
    Checkpoint.load_objects({"model": model2}, tmp_path / "model.dcp")
    assert torch.equal(model2[0].weight, torch.full((4, 3), 3.0))


class _Unpicklable:
    """A stateful object whose state cannot be written (its state holds a lambda)."""

    fail = False

    def state_dict(self) -> dict:
        return {"f": (lambda: 0) if self.fail else 1}

    def load_state_dict(self, state: dict) -> None:
        pass


def test_a_failed_save_leaves_the_listed_checkpoint_intact_and_no_temporary(tmp_path: Path) -> None:
    obj = _Unpicklable()
    model = _model()
    engine = Engine(lambda e, b: None)
    handler = Checkpoint({"model": model, "obj": obj}, DCPSaver(tmp_path), global_step_transform=lambda e, n: 1)
    handler(engine)
    obj.fail = True
    handler.global_step_transform = lambda e, n: 2
    with pytest.raises(RuntimeError, match="checkpoint_2.dcp' failed"):
        handler(engine)
    assert _listing(tmp_path) == ["checkpoint_1.dcp"]
    assert handler.last_checkpoint == tmp_path / "checkpoint_1.dcp"
    Checkpoint.load_objects({"model": _model(), "obj": _Unpicklable()}, handler.last_checkpoint)


def test_a_new_saver_removes_temporaries_and_restores_an_interrupted_replacement(tmp_path: Path) -> None:
    model = _model()
    Checkpoint({"model": model}, DCPSaver(tmp_path), filename_pattern="{name}.{ext}")(Engine(lambda e, b: None))
    # a crash during a replacement: the old directory was moved aside, the new one never renamed in
    os.replace(tmp_path / "model.dcp", tmp_path / ".model.dcp.dcp-old")
    (tmp_path / ".model.dcp.dcp-tmp").mkdir()
    (tmp_path / ".model.dcp.dcp-tmp" / "__0_0.distcp").write_bytes(b"partial")
    DCPSaver(tmp_path, require_empty=False)
    assert _listing(tmp_path) == ["model.dcp"]
    model2 = _model()
    Checkpoint.load_objects({"model": model2}, tmp_path / "model.dcp")
    assert torch.equal(model2[2].bias, model[2].bias)


def test_bad_input_names_the_argument(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="thread_count"):
        DCPSaver(tmp_path, thread_count=0)
    with pytest.raises(ValueError, match="dirname"):
        DCPSaver(tmp_path / "missing", create_dir=False)
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    handler = Checkpoint({"optimizer": optimizer, "trainer": Engine(lambda e, b: None)}, DCPSaver(tmp_path / "b"))
    with pytest.raises(ValueError, match="optimizer 'optimizer'"):
        handler(Engine(lambda e, b: None))
    with pytest.raises(FileNotFoundError, match="torch.distributed.checkpoint directory"):
        Checkpoint.load_objects({"model": model}, tmp_path)


def test_require_empty_refuses_a_directory_with_checkpoints(tmp_path: Path) -> None:
    Checkpoint({"model": _model()}, DCPSaver(tmp_path))(Engine(lambda e, b: None))
    with pytest.raises(ValueError, match=r"model_0.dcp.*require_empty=False"):
        DCPSaver(tmp_path)


def test_ema_model_argument_is_checked_and_initialised_from_the_model() -> None:
    model = _model()
    ema_model = _model()
    handler = EMAHandler(model, momentum=0.5, ema_model=ema_model)
    assert handler.ema_model is ema_model
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), ema_model.parameters()))
    with pytest.raises(ValueError, match="ema_model"):
        EMAHandler(model, ema_model=nn.Linear(3, 4))
    with pytest.raises(TypeError, match="ema_model"):
        EMAHandler(model, ema_model="model")  # type: ignore[arg-type]


def test_async_save_in_one_process_loads_as_a_sync_save_and_rotates(tmp_path: Path) -> None:
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    trainer = _trainer(model, optimizer)
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
    sync = Checkpoint(to_save, DCPSaver(tmp_path / "sync"), n_saved=1)
    asyn = Checkpoint(to_save, DCPSaver(tmp_path / "async"), n_saved=1, async_save=True)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, sync)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, asyn)
    trainer.add_event_handler(Events.COMPLETED, lambda _: asyn.wait())
    trainer.run([torch.randn(5, 3) for _ in range(3)], max_epochs=1)
    assert _listing(tmp_path / "async") == _listing(tmp_path / "sync") == ["checkpoint_3.dcp"]
    assert asyn.last_checkpoint == tmp_path / "async" / "checkpoint_3.dcp"
    loaded = []
    for kind in ("sync", "async"):
        model2 = _model()
        optimizer2 = torch.optim.Adam(model2.parameters(), lr=0.5)
        Checkpoint.load_objects({"model": model2, "optimizer": optimizer2}, tmp_path / kind / "checkpoint_3.dcp")
        loaded.append((model2, optimizer2))
    (m_sync, o_sync), (m_async, o_async) = loaded
    for a, b, c in zip(model.parameters(), m_sync.parameters(), m_async.parameters()):
        assert torch.equal(a, b) and torch.equal(a, c)
    for b, c in zip(m_sync.parameters(), m_async.parameters()):
        assert torch.equal(o_sync.state[b]["exp_avg"], o_async.state[c]["exp_avg"])


def test_async_save_failure_is_raised_by_wait_naming_the_directory(tmp_path: Path) -> None:
    obj = _Unpicklable()
    handler = Checkpoint(
        {"model": _model(), "obj": obj}, DCPSaver(tmp_path), async_save=True, global_step_transform=lambda e, n: 1
    )
    handler(Engine(lambda e, b: None))
    handler.wait()
    obj.fail = True
    handler.global_step_transform = lambda e, n: 2
    handler(Engine(lambda e, b: None))
    with pytest.raises(RuntimeError, match="checkpoint_2.dcp") as info:
        handler.wait()
    assert str(tmp_path / "checkpoint_2.dcp") in str(info.value.__cause__)
    assert _listing(tmp_path) == ["checkpoint_1.dcp"]  # the listed one intact, no temporary
    assert handler.last_checkpoint == tmp_path / "checkpoint_1.dcp"
    handler.wait()  # reported once


def test_reload_objects_and_discovery_accept_a_dcp_saver(tmp_path: Path) -> None:
    model = _model()
    handler = Checkpoint({"model": model}, DCPSaver(tmp_path), n_saved=None)
    engine = Engine(lambda e, b: None)
    for step in (1, 2):
        engine.state.iteration = step
        with torch.no_grad():
            model[0].weight.fill_(float(step))
        handler(engine)
    (tmp_path / ".model_3.dcp.dcp-tmp").mkdir()  # a save in progress: not a checkpoint
    (tmp_path / "model_4.dcp").mkdir()  # no .metadata: not a checkpoint
    assert [p.name for p in handler._find_checkpoints()] == ["model_2.dcp", "model_1.dcp"]
    model2 = _model()
    handler.reload_objects({"model": model2}, global_step=1)
    assert torch.equal(model2[0].weight, torch.full((4, 3), 1.0))
    with pytest.raises(AttributeError, match="`save_handler` should be of type `DiskSaver`"):
        Checkpoint({"model": model}, lambda c, f: None).reload_objects({"model": model2}, global_step=1)


def test_process_killed_right_after_an_async_save_returns_keeps_the_listed_checkpoints(tmp_path: Path) -> None:
    listed = kill_after_save(tmp_path, "DCPSaver", 4)

    names = [n for n in _listing(tmp_path) if not n.startswith(".")]
    steps = sorted(int(n[len("model_") : -len(".dcp")]) for n in names)
    assert names == sorted(f"model_{s}.dcp" for s in steps)
    for step in steps:  # every directory under a checkpoint name is complete and holds its own iteration
        model = nn.Linear(1, 1, bias=False)
        model.weight = nn.Parameter(torch.zeros(2_000_000))
        Checkpoint.load_objects({"model": model}, tmp_path / f"model_{step}.dcp")
        assert model.weight.eq(float(step)).all()
    assert len(steps) >= 2  # n_saved complete checkpoints survive
    for name in listed:  # one listed when the child last reported is there, unless n_saved newer ones replaced it
        step = int(name[len("model_") : -len(".dcp")])
        assert name in names or len([s for s in steps if s > step]) >= 2
    DCPSaver(tmp_path, require_empty=False)  # a new saver removes the dead save's temporary, if any
    assert _listing(tmp_path) == names
