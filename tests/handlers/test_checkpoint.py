"""Checkpoint, DiskSaver and ModelCheckpoint: real files written and read back."""

from __future__ import annotations

import os
import stat
import time
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from torch import nn

import ignite.handlers._disk_saver as disk_saver_module
from ignite.engine import Engine, Events, State
from ignite.handlers import Checkpoint, DiskSaver, ModelCheckpoint, global_step_from_engine
from ignite.handlers.checkpoint import BaseSaveHandler, CheckpointEvents, CorruptCheckpointError


class Recorder:
    """A 3-argument save handler recording its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, checkpoint, filename, metadata):
        self.calls.append((checkpoint, filename, metadata))

    @property
    def filenames(self):
        return [c[1] for c in self.calls]


class RecordingSaveHandler(BaseSaveHandler):
    def __init__(self):
        self.log = []

    def __call__(self, checkpoint, filename, metadata=None):
        self.log.append(("save", filename))

    def remove(self, filename):
        self.log.append(("remove", filename))


def make_engine(epoch=12, iteration=203):
    engine = Engine(lambda e, b: None)
    engine.state.epoch = epoch
    engine.state.iteration = iteration
    engine.state.metrics["acc"] = 0.9999
    return engine


def model_and_opt():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    return model, opt


# ----------------------------------------------------------------------------------------------- construction


def test_constructor_errors(tmp_path):
    model = nn.Linear(1, 1)
    with pytest.raises(TypeError, match=r"Argument `to_save` should be a dictionary, but given"):
        Checkpoint(12, Recorder())
    with pytest.raises(TypeError, match=r"Object <class 'int'> should have `state_dict` method"):
        Checkpoint({"a": 12}, Recorder())
    with pytest.raises(TypeError, match=r"Object <class 'str'> should have `state_dict` method"):
        Checkpoint({"a": [model, "x"]}, Recorder())
    from types import MappingProxyType

    with pytest.raises(TypeError, match=r"If `include_self` is True, then `to_save` must be mutable"):
        Checkpoint(MappingProxyType({"model": model}), Recorder(), include_self=True)
    with pytest.raises(ValueError, match=r"Cannot have key 'checkpointer' if `include_self` is True"):
        Checkpoint({"checkpointer": model}, Recorder(), include_self=True)
    with pytest.raises(TypeError, match=r"Argument `save_handler` should be a string or Path object or callable"):
        Checkpoint({"model": model}, 12)
    with pytest.raises(TypeError, match=r"global_step_transform should be a function, got <class 'int'> instead."):
        Checkpoint({"model": model}, Recorder(), global_step_transform=1)
    target = tmp_path / "never"
    with pytest.raises(ValueError, match=r"n_saved must be a positive integer or None, got 0"):
        Checkpoint({"model": model}, str(target), n_saved=0)
    assert not target.exists()  # validated before the DiskSaver creates the directory


def test_public_attributes_and_string_save_handler(tmp_path):
    model = nn.Linear(1, 1)
    c = Checkpoint({"model": model}, str(tmp_path / "a"), filename_prefix="p", n_saved=3, save_on_rank=0)
    assert isinstance(c.save_handler, DiskSaver)
    assert c.save_handler.dirname == tmp_path / "a" and (tmp_path / "a").is_dir()
    assert c.ext == "pt" and c.n_saved == 3 and c.filename_prefix == "p" and c.save_on_rank == 0
    assert c.score_function is None and c.score_name is None and not c.include_self and not c.greater_or_equal
    assert c._saved == [] and c.last_checkpoint is None
    assert Checkpoint.SAVED_CHECKPOINT is CheckpointEvents.SAVED_CHECKPOINT
    assert Checkpoint._state_dict_all_req_keys == ("_saved",)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.pt").write_bytes(b"")
    with pytest.raises(ValueError, match=r"with extension '.pt' are already present"):
        Checkpoint({"model": model}, tmp_path / "b")  # Path save_handler, require_empty stays True


def test_score_name_alone_uses_metric():
    c = Checkpoint({"model": nn.Linear(1, 1)}, Recorder(), score_name="acc")
    engine = make_engine()
    assert c.score_function(engine) == pytest.approx(0.9999)


def test_get_default_score_fn():
    engine = make_engine()
    engine.state.metrics["loss"] = 0.25
    assert Checkpoint.get_default_score_fn("loss")(engine) == 0.25
    assert Checkpoint.get_default_score_fn("loss", -1.0)(engine) == -0.25
    with pytest.raises(ValueError, match=r"Argument score_sign should be 1 or -1"):
        Checkpoint.get_default_score_fn("loss", 2.0)


def test_setup_filename_pattern():
    f = Checkpoint.setup_filename_pattern
    assert f() == "{filename_prefix}_{name}_{global_step}_{score_name}={score}.{ext}"
    assert f(False, True, False, False) == "{name}_{score}.{ext}"
    assert f(False, False, False, True) == "{name}_{global_step}.{ext}"
    assert f(True, True, False, True) == "{filename_prefix}_{name}_{global_step}_{score}.{ext}"
    with pytest.raises(ValueError, match=r"At least one of with_score and with_global_step should be True."):
        f(True, False, False, False)
    with pytest.raises(ValueError, match=r"If with_score_name is True, with_score should be also True"):
        f(True, False, True, True)


# ----------------------------------------------------------------------------------------------- file names


def _epoch(e, _):
    return e.state.epoch


def _score(e):
    return 0.9999


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, "model_203.pt"),
        ({"filename_prefix": "best"}, "best_model_203.pt"),
        ({"score_function": _score}, "model_0.9999.pt"),
        ({"score_function": _score, "global_step_transform": _epoch}, "model_12_0.9999.pt"),
        ({"score_function": _score, "score_name": "acc"}, "model_acc=0.9999.pt"),
        (
            {"filename_prefix": "best", "score_function": _score, "score_name": "acc", "global_step_transform": _epoch},
            "best_model_12_acc=0.9999.pt",
        ),
        ({"global_step_transform": _epoch}, "model_12.pt"),
        ({"filename_pattern": "{name}.{ext}"}, "model.pt"),
        (
            {"filename_pattern": "{global_step}-chk-{filename_prefix}-{name}-{score_name}-{score}.{ext}"},
            "203-chk--model-None-None.pt",
        ),
    ],
)
def test_default_filenames(kwargs, expected):
    rec = Recorder()
    c = Checkpoint({"model": nn.Linear(1, 1)}, rec, **kwargs)
    c(make_engine())
    assert rec.filenames == [expected]


def test_multi_object_name_metadata_and_content():
    model, opt = model_and_opt()
    rec = Recorder()
    c = Checkpoint({"model": model, "optimizer": opt}, rec, filename_prefix="run", score_name="acc")
    c(make_engine())
    checkpoint, filename, metadata = rec.calls[0]
    assert filename == "run_checkpoint_acc=0.9999.pt"
    assert metadata == {"basename": "run_checkpoint", "score_name": "acc", "priority": pytest.approx(0.9999)}
    assert set(checkpoint) == {"model", "optimizer"}
    assert all(torch.equal(checkpoint["model"][k], v) for k, v in model.state_dict().items())
    assert checkpoint["optimizer"]["param_groups"] == opt.state_dict()["param_groups"]


def test_single_object_checkpoint_is_its_state_dict_and_integral_priority():
    rec = Recorder()
    model = nn.Linear(2, 2)
    c = Checkpoint({"net": model}, rec, score_function=lambda e: 7)
    c(make_engine())
    checkpoint, filename, metadata = rec.calls[0]
    assert filename == "net_7.pt" and metadata["priority"] == 7 and metadata["basename"] == "net"
    assert set(checkpoint) == {"weight", "bias"}


def test_nested_to_save_and_namedtuple():
    from collections import namedtuple

    pair = namedtuple("pair", ["a", "b"])
    m1, m2, m3 = nn.Linear(1, 1), nn.Linear(1, 2), nn.Linear(2, 1)
    rec = Recorder()
    Checkpoint({"models": [m1, m2], "p": pair(m3, m1)}, rec)(make_engine())
    checkpoint = rec.calls[0][0]
    assert isinstance(checkpoint["models"], list) and checkpoint["models"][1]["weight"].shape == (2, 1)
    assert isinstance(checkpoint["p"], pair) and checkpoint["p"].a["weight"].shape == (1, 2)


def test_score_function_must_return_number():
    c = Checkpoint({"model": nn.Linear(1, 1)}, Recorder(), score_function=lambda e: "high")
    with pytest.raises(ValueError, match=r"Output of score_function should be a number"):
        c(make_engine())


def test_unknown_placeholder_in_pattern():
    c = Checkpoint({"model": nn.Linear(1, 1)}, Recorder(), filename_pattern="{nope}.{ext}")
    with pytest.raises(KeyError):
        c(make_engine())


# ----------------------------------------------------------------------------------------------- rotation


def test_n_saved_rotation_other_handlers_remove_then_save():
    handler = RecordingSaveHandler()
    c = Checkpoint({"model": nn.Linear(1, 1)}, handler, n_saved=2)
    engine = make_engine(iteration=0)
    for it in (1, 2, 3):
        engine.state.iteration = it
        c(engine)
    assert handler.log == [
        ("save", "model_1.pt"),
        ("save", "model_2.pt"),
        ("remove", "model_1.pt"),  # the spec's order for a handler whose file names are not ours
        ("save", "model_3.pt"),
    ]
    assert [item.filename for item in c._saved] == ["model_2.pt", "model_3.pt"]
    assert c.last_checkpoint == "model_3.pt"


def test_plain_callable_never_gets_remove_and_n_saved_none_keeps_all():
    rec = Recorder()
    c = Checkpoint({"model": nn.Linear(1, 1)}, rec, n_saved=None)
    engine = make_engine(iteration=0)
    for it in range(1, 6):
        engine.state.iteration = it
        c(engine)
    assert len(c._saved) == 5 and len(rec.calls) == 5


def test_score_priority_and_greater_or_equal():
    scores = iter([0.5, 0.4, 0.5, 0.6])
    handler = RecordingSaveHandler()
    c = Checkpoint({"model": nn.Linear(1, 1)}, handler, n_saved=1, score_function=lambda e: next(scores))
    engine = make_engine()
    for _ in range(4):
        c(engine)
    assert [x for x in handler.log if x[0] == "save"] == [("save", "model_0.5000.pt"), ("save", "model_0.6000.pt")]

    scores2 = iter([0.5, 0.5])
    handler2 = RecordingSaveHandler()
    c2 = Checkpoint(
        {"model": nn.Linear(1, 1)},
        handler2,
        n_saved=1,
        score_function=lambda e: next(scores2),
        global_step_transform=lambda e, _: e.state.iteration,
        greater_or_equal=True,
    )
    for it in (1, 2):
        engine.state.iteration = it
        c2(engine)
    assert handler2.log == [
        ("save", "model_1_0.5000.pt"),
        ("remove", "model_1_0.5000.pt"),
        ("save", "model_2_0.5000.pt"),
    ]


def test_same_filename_overwrites(tmp_path):
    model = nn.Linear(1, 1)
    c = Checkpoint({"model": model}, DiskSaver(tmp_path), filename_pattern="{name}.{ext}", n_saved=1)
    engine = make_engine()
    c(engine)
    with torch.no_grad():
        model.weight.fill_(3.0)
    engine.state.iteration += 1
    c(engine)
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]
    assert torch.load(tmp_path / "model.pt")["weight"].item() == 3.0
    assert [i.filename for i in c._saved] == ["model.pt"]

    handler = RecordingSaveHandler()  # upstream call order kept for other handlers: remove, then save
    c2 = Checkpoint({"model": model}, handler, filename_pattern="{name}.{ext}")
    c2(engine)
    engine.state.iteration += 1
    c2(engine)
    assert handler.log == [("save", "model.pt"), ("remove", "model.pt"), ("save", "model.pt")]


def test_failed_save_keeps_previous_files(tmp_path):
    model = nn.Linear(1, 1)
    saver = DiskSaver(tmp_path)
    c = Checkpoint({"model": model}, saver, n_saved=1)
    engine = make_engine(iteration=1)
    c(engine)

    class Boom:
        def state_dict(self):
            return {"x": Unpicklable()}

    c.to_save = {"model": model, "boom": Boom()}
    engine.state.iteration = 2
    with pytest.raises(Exception, match="no pickling"):
        c(engine)
    assert sorted(os.listdir(tmp_path)) == ["model_1.pt"]  # not evicted, and no temporary left
    assert [i.filename for i in c._saved] == ["model_1.pt"]


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("no pickling")


def test_include_self(tmp_path):
    model, opt = model_and_opt()
    to_save = {"model": model, "optimizer": opt}
    c = Checkpoint(to_save, DiskSaver(tmp_path), include_self=True, n_saved=2)
    engine = make_engine(iteration=1)
    c(engine)
    engine.state.iteration = 2
    c(engine)
    sd = torch.load(tmp_path / "checkpoint_2.pt")
    assert sd["checkpointer"] == {"_saved": [(1, "checkpoint_1.pt"), (2, "checkpoint_2.pt")]}
    assert "checkpointer" not in to_save

    c2 = Checkpoint({"model": model}, Recorder(), include_self=True)  # single object: key inside its state dict
    rec = c2.save_handler
    c2(engine)
    assert "checkpointer" in rec.calls[0][0] and "0.weight" in rec.calls[0][0]


def test_state_dict_reset_and_reload_keeps_pruning(tmp_path):
    model = nn.Linear(1, 1)
    c = Checkpoint({"model": model}, DiskSaver(tmp_path), n_saved=2)
    engine = make_engine(iteration=0)
    for it in (1, 2):
        engine.state.iteration = it
        c(engine)
    sd = c.state_dict()
    assert isinstance(sd, OrderedDict) and sd["_saved"] == [(1, "model_1.pt"), (2, "model_2.pt")]

    c2 = Checkpoint({"model": model}, DiskSaver(tmp_path, require_empty=False), n_saved=2)
    c2.load_state_dict(sd)
    assert all(isinstance(i, Checkpoint.Item) for i in c2._saved)
    engine.state.iteration = 3
    c2(engine)
    assert sorted(os.listdir(tmp_path)) == ["model_2.pt", "model_3.pt"]  # model_1.pt of the earlier run deleted

    c2.reset()
    assert c2._saved == [] and c2.last_checkpoint is None
    with pytest.raises(TypeError, match=r"Argument state_dict should be a dictionary"):
        c2.load_state_dict([])
    with pytest.raises(ValueError, match=r"Required state attribute '_saved' is absent"):
        c2.load_state_dict({})


def test_saved_checkpoint_event_and_registration():
    engine = Engine(lambda e, b: None)
    assert not engine.has_registered_events(CheckpointEvents.SAVED_CHECKPOINT)
    c = Checkpoint({"model": nn.Linear(1, 1)}, Recorder(), n_saved=None)
    engine.add_event_handler(Events.ITERATION_COMPLETED, c)
    engine.run([0], max_epochs=1)  # first call registers lazily
    fired = []
    engine.on(Checkpoint.SAVED_CHECKPOINT)(lambda e: fired.append(e.state.iteration))
    engine.run([0, 1], max_epochs=1)
    assert fired == [1, 2]

    trainer = Engine(lambda e, b: None)  # an engine in to_save gets the events at construction
    Checkpoint({"trainer": trainer}, Recorder())
    assert trainer.has_registered_events(Checkpoint.SAVED_CHECKPOINT)


def test_checkpoint_on_exception_raised_takes_extra_args():
    rec = Recorder()
    engine = Engine(lambda e, b: 1 / 0)
    engine.add_event_handler(Events.EXCEPTION_RAISED, Checkpoint({"model": nn.Linear(1, 1)}, rec))
    engine.run([1, 2])
    assert rec.filenames == ["model_1.pt"]


def test_two_argument_save_handler_and_errors_not_masked():
    saved = []

    def two(checkpoint, filename):
        saved.append(filename)

    c = Checkpoint({"model": nn.Linear(1, 1)}, two)
    c(make_engine())
    assert saved == ["model_203.pt"]

    calls = []

    def three(checkpoint, filename, metadata):
        calls.append(filename)
        raise TypeError("genuine bug in the handler")

    c3 = Checkpoint({"model": nn.Linear(1, 1)}, three)
    with pytest.raises(TypeError, match="genuine bug"):
        c3(make_engine())
    assert calls == ["model_203.pt"]  # called once, not retried with two arguments

    class CallableObject:  # an object with a three-argument __call__ gets the metadata too
        def __init__(self):
            self.calls = []

        def __call__(self, checkpoint, filename, metadata):
            self.calls.append((filename, metadata["priority"]))

    handler = CallableObject()
    Checkpoint({"model": nn.Linear(1, 1)}, handler)(make_engine())
    assert handler.calls == [("model_203.pt", 203)]

    star_calls = []  # a catch-all signature (a mock's, a decorator's wrapper) gets the metadata too

    def star(*args, **kwargs):
        star_calls.append((args[1], args[2]["priority"], kwargs))

    Checkpoint({"model": nn.Linear(1, 1)}, star)(make_engine())
    assert star_calls == [("model_203.pt", 203, {})]


def test_last_checkpoint_kinds(tmp_path):
    c = Checkpoint({"model": nn.Linear(1, 1)}, DiskSaver(tmp_path))
    c(make_engine())
    assert c.last_checkpoint == tmp_path / "model_203.pt" and isinstance(c.last_checkpoint, Path)


def test_global_step_from_engine():
    trainer = make_engine(epoch=5, iteration=77)
    fn = global_step_from_engine(trainer)
    assert fn(None, Events.EPOCH_COMPLETED) == 5
    assert fn(None, Events.ITERATION_COMPLETED) == 77
    assert fn(None, "custom_event") == 5  # unknown event: fallback attribute
    assert global_step_from_engine(trainer, Events.ITERATION_COMPLETED)(None, Events.EPOCH_COMPLETED) == 77
    assert global_step_from_engine(trainer, fallback_attr="iteration")(None, Events.TERMINATE) == 77

    rec = Recorder()
    evaluator = make_engine(epoch=1, iteration=3)
    Checkpoint({"model": nn.Linear(1, 1)}, rec, score_name="acc", global_step_transform=fn)(evaluator)
    assert rec.filenames == ["model_5_acc=0.9999.pt"]
    assert State.event_to_attr[Events.EPOCH_COMPLETED] == "epoch"


# ----------------------------------------------------------------------------------------------- loading


def test_load_objects_from_path_and_dict(tmp_path):
    model, opt = model_and_opt()
    c = Checkpoint({"model": model, "optimizer": opt}, DiskSaver(tmp_path))
    c(make_engine())
    model2, opt2 = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), None
    opt2 = torch.optim.Adam(model2.parameters(), lr=5.0)
    Checkpoint.load_objects({"model": model2, "optimizer": opt2}, str(c.last_checkpoint))
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), model2.parameters()))
    assert opt2.param_groups[0]["lr"] == 1e-3
    model3 = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    Checkpoint.load_objects({"model": model3}, torch.load(c.last_checkpoint))  # dict, key present
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), model3.parameters()))

    single = Checkpoint({"net": model}, DiskSaver(tmp_path / "s"))
    single(make_engine())
    model4 = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    Checkpoint.load_objects({"model": model4}, single.last_checkpoint)  # key absent: the file is its state dict
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), model4.parameters()))


def test_load_objects_errors(tmp_path):
    model = nn.Linear(1, 1)
    with pytest.raises(TypeError, match=r"Argument checkpoint should be a string or a dictionary, but given"):
        Checkpoint.load_objects({"model": model}, 12)
    with pytest.raises(TypeError, match=r"Object <class 'int'> should have `load_state_dict` method"):
        Checkpoint.load_objects({"model": 1}, {})
    with pytest.raises(ValueError, match=r"Key 'other' from x is not found in y"):
        Checkpoint.load_objects({"model": model, "other": model}, {"model": model.state_dict()})
    with pytest.raises(ValueError, match=r"Size of y: 1 does not match the size of x: '2'"):
        Checkpoint.load_objects({"models": [model, model], "m": model}, {"models": [{}], "m": {}})
    with pytest.raises(FileNotFoundError):
        Checkpoint.load_objects({"model": model}, tmp_path / "missing.pt")
    # extra checkpoint keys are ignored
    Checkpoint.load_objects({"model": model}, {"model": model.state_dict(), "extra": 1})


def test_load_objects_strict_false_and_dataparallel(tmp_path):
    small = nn.Sequential(nn.Linear(2, 2))
    big = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    with pytest.raises(RuntimeError):
        Checkpoint.load_objects({"model": big}, {"model": small.state_dict()})
    Checkpoint.load_objects({"model": big}, {"model": small.state_dict()}, strict=False)
    assert torch.equal(big[0].weight, small[0].weight)

    dp = nn.DataParallel(nn.Linear(3, 3))
    rec = Recorder()
    Checkpoint({"model": dp}, rec)(make_engine())
    assert set(rec.calls[0][0]) == {"weight", "bias"}  # saved unwrapped
    dp2 = nn.DataParallel(nn.Linear(3, 3))
    Checkpoint.load_objects({"model": dp2}, {"model": rec.calls[0][0]})
    assert torch.equal(dp2.module.weight, dp.module.weight)


def test_ddp_unwrapped(tmp_path):
    import torch.distributed as dist

    assert not dist.is_initialized(), "a process group leaked from an earlier test"
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'pg'}", rank=0, world_size=1)
    try:
        ddp = nn.parallel.DistributedDataParallel(nn.Linear(3, 3))
        rec = Recorder()
        Checkpoint({"model": ddp}, rec)(make_engine())
        assert set(rec.calls[0][0]) == {"weight", "bias"}
        ddp2 = nn.parallel.DistributedDataParallel(nn.Linear(3, 3))
        Checkpoint.load_objects({"model": ddp2}, {"model": rec.calls[0][0]})
        assert torch.equal(ddp2.module.weight, ddp.module.weight)
    finally:
        dist.destroy_process_group()


def test_reload_objects(tmp_path):
    model, _ = model_and_opt()
    c = Checkpoint({"model": model}, DiskSaver(tmp_path), global_step_transform=lambda e, _: e.state.epoch)
    c(make_engine())
    target = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    c.reload_objects({"model": target}, global_step=12)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), target.parameters()))
    with pytest.raises(AttributeError, match=r"Checkpoint's `save_handler` should be of type `DiskSaver`"):
        Checkpoint({"model": model}, Recorder()).reload_objects({"model": model})


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage"])
def test_corrupt_file_gives_clear_error(tmp_path, damage):
    model, opt = model_and_opt()
    c = Checkpoint({"model": model, "optimizer": opt}, DiskSaver(tmp_path))
    c(make_engine())
    path = c.last_checkpoint
    data = path.read_bytes()
    path.write_bytes({"truncate": data[: len(data) // 2], "empty": b"", "garbage": b"not a checkpoint" * 50}[damage])
    with pytest.raises(CorruptCheckpointError, match=rf"Cannot load checkpoint '{path}'") as info:
        Checkpoint.load_objects({"model": model, "optimizer": opt}, path)
    assert isinstance(info.value, RuntimeError)


# ----------------------------------------------------------------------------------------------- DiskSaver


def test_disk_saver_directory_checks(tmp_path):
    with pytest.raises(ValueError, match=r"Directory path '.*missing' is not found"):
        DiskSaver(tmp_path / "missing", create_dir=False)
    DiskSaver(tmp_path / "new" / "deep")
    assert (tmp_path / "new" / "deep").is_dir()
    (tmp_path / "other.pt").write_bytes(b"")
    with pytest.raises(ValueError) as info:
        DiskSaver(tmp_path)
    assert str(info.value) == (
        f"Files ['other.pt'] with extension '.pt' are already present in the directory {tmp_path}. "
        "If you want to use this directory anyway, pass `require_empty=False`."
    )
    DiskSaver(tmp_path, require_empty=False)
    assert DiskSaver("~/").dirname == Path("~").expanduser()


def test_disk_saver_atomic_write(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    saver = DiskSaver(tmp_path)
    assert saver._atomic
    model, _ = model_and_opt()
    saver({"model": model.state_dict()}, "a.pt")
    assert os.listdir(tmp_path) == ["a.pt"]
    assert synced == [False, True]  # the file, then its directory
    mode = os.stat(tmp_path / "a.pt").st_mode
    assert mode & stat.S_IRGRP and mode & stat.S_IROTH
    loaded = torch.load(tmp_path / "a.pt")
    assert all(torch.equal(loaded["model"][k], v) for k, v in model.state_dict().items())
    saver.remove("a.pt")
    assert os.listdir(tmp_path) == []


def test_disk_saver_failure_leaves_nothing(tmp_path):
    saver = DiskSaver(tmp_path)
    with pytest.raises(RuntimeError, match="no pickling"):
        saver({"x": Unpicklable()}, "bad.pt")
    assert os.listdir(tmp_path) == []

    plain = DiskSaver(tmp_path / "plain", atomic=False)
    with pytest.raises(RuntimeError, match="no pickling"):
        plain({"x": Unpicklable()}, "bad.pt")
    assert os.listdir(tmp_path / "plain") == ["bad.pt"]  # non-atomic: a partial file may remain (upstream)


def test_disk_saver_kwargs(tmp_path):
    saver = DiskSaver(tmp_path, _use_new_zipfile_serialization=False)
    saver({"a": torch.ones(2)}, "old.pt")
    assert torch.equal(torch.load(tmp_path / "old.pt")["a"], torch.ones(2))
    bad = DiskSaver(tmp_path / "b", not_a_torch_save_arg=1)
    with pytest.raises(TypeError, match=r"unexpected keyword argument"):
        bad({"a": 1}, "x.pt")
    assert os.listdir(tmp_path / "b") == []


def test_disk_saver_save_on_rank(tmp_path, monkeypatch):
    monkeypatch.setattr(disk_saver_module, "_rank", lambda: 1)
    saver = DiskSaver(tmp_path / "r", save_on_rank=0)
    assert not (tmp_path / "r").exists()  # directory set-up happens on the saving rank only
    (tmp_path / "r").mkdir()
    saver({"a": 1}, "x.pt")
    assert os.listdir(tmp_path / "r") == []
    saver1 = DiskSaver(tmp_path / "r", save_on_rank=1, require_empty=False)
    saver1({"a": 1}, "x.pt")
    assert os.listdir(tmp_path / "r") == ["x.pt"]
    saver.remove("x.pt")  # not this rank's file to remove
    assert os.listdir(tmp_path / "r") == ["x.pt"]


def test_stale_temporaries_are_cleaned(tmp_path):
    dead = tmp_path / f".model_5.pt.{2**22 + 12345}.abcd1234.ckpt-tmp"
    mine = tmp_path / f".model_6.pt.{os.getpid()}.abcd1234.ckpt-tmp"
    other = tmp_path / ".keep-me"
    for p in (dead, mine, other):
        p.write_bytes(b"partial")
    DiskSaver(tmp_path, require_empty=False)
    assert sorted(os.listdir(tmp_path)) == sorted([mine.name, other.name])


# ----------------------------------------------------------------------------------------------- ModelCheckpoint


def test_model_checkpoint(tmp_path):
    model, opt = model_and_opt()
    h = ModelCheckpoint(tmp_path / "m", "best", n_saved=2, score_name="acc", create_dir=True)
    assert isinstance(h.save_handler, DiskSaver) and h.to_save == {}
    engine = make_engine()
    for acc in (0.5, 0.7, 0.6, 0.8):
        engine.state.metrics["acc"] = acc
        h(engine, {"model": model, "optimizer": opt})
    assert sorted(os.listdir(tmp_path / "m")) == ["best_checkpoint_acc=0.7000.pt", "best_checkpoint_acc=0.8000.pt"]
    assert h.last_checkpoint == tmp_path / "m" / "best_checkpoint_acc=0.8000.pt"
    with pytest.raises(RuntimeError, match=r"No objects to checkpoint found."):
        h(engine, {})
    with pytest.raises(TypeError, match=r"should have `state_dict` method"):
        h(engine, {"x": 1})
    h.save_handler = Recorder()
    with pytest.raises(RuntimeError, match=r"Internal error, save_handler should be DiskSaver, but has"):
        _ = h.last_checkpoint


def test_model_checkpoint_attached_with_args(tmp_path):
    model = nn.Linear(2, 2)
    engine = Engine(lambda e, b: None)
    h = ModelCheckpoint(tmp_path, "run", n_saved=None, global_step_transform=lambda e, _: e.state.epoch)
    engine.add_event_handler(Events.EPOCH_COMPLETED, h, {"model": model})
    engine.run([0, 1], max_epochs=3)
    assert sorted(os.listdir(tmp_path)) == ["run_model_1.pt", "run_model_2.pt", "run_model_3.pt"]


def test_model_checkpoint_argument_order(tmp_path):
    (tmp_path / "x.pt").write_bytes(b"")
    with pytest.raises(ValueError, match=r"already present"):  # directory errors first
        ModelCheckpoint(tmp_path, "p", global_step_transform=1)
    with pytest.raises(TypeError, match=r"global_step_transform should be a function"):
        ModelCheckpoint(tmp_path / "n", "p", global_step_transform=1)
    with pytest.raises(ValueError, match=r"n_saved must be a positive integer or None, got -1"):
        ModelCheckpoint(tmp_path / "never", n_saved=-1)
    assert not (tmp_path / "never").exists()
    with pytest.raises(ValueError, match=r"Directory path '.*' is not found"):
        ModelCheckpoint(tmp_path / "nodir", create_dir=False)
    h = ModelCheckpoint(tmp_path / "k", atomic=False, _use_new_zipfile_serialization=False)
    assert not h.save_handler._atomic and h.save_handler.kwargs == {"_use_new_zipfile_serialization": False}


# ----------------------------------------------------------------------------------------------- async


def test_async_save_matches_sync_and_is_decoupled(tmp_path):
    model, opt = model_and_opt()
    sync = Checkpoint({"model": model, "optimizer": opt}, DiskSaver(tmp_path / "s"), n_saved=2)
    asyn = Checkpoint({"model": model, "optimizer": opt}, DiskSaver(tmp_path / "a"), n_saved=2, async_save=True)
    engine = make_engine(iteration=0)
    for it in (1, 2, 3):
        engine.state.iteration = it
        sync(engine)
        asyn(engine)
        with torch.no_grad():  # training goes on while the background write runs: the file must not see it
            for p in model.parameters():
                p.add_(1.0)
    asyn.wait()
    assert (
        sorted(os.listdir(tmp_path / "a"))
        == sorted(os.listdir(tmp_path / "s"))
        == ["checkpoint_2.pt", "checkpoint_3.pt"]
    )
    for name in ("checkpoint_2.pt", "checkpoint_3.pt"):
        s, a = torch.load(tmp_path / "s" / name), torch.load(tmp_path / "a" / name)
        for k in s["model"]:
            assert torch.equal(s["model"][k], a["model"][k])
        assert s["optimizer"]["param_groups"] == a["optimizer"]["param_groups"]
        for idx in s["optimizer"]["state"]:
            for k, v in s["optimizer"]["state"][idx].items():
                assert torch.equal(v, a["optimizer"]["state"][idx][k])


def test_async_snapshot_keeps_shared_storage():
    from ignite.handlers._snapshot import _Snapshotter

    base = torch.arange(12.0)
    snap = _Snapshotter()
    other = torch.ones(3)
    out = snap({"a": base, "view": base[2:8:2], "other": other})
    assert torch.equal(out["view"], base[2:8:2]) and out["view"].untyped_storage().data_ptr() == out["a"].data_ptr()
    base.add_(100)
    assert out["a"][0].item() == 0.0  # a copy
    buffers = dict(snap._buffers)
    out2 = snap({"a": base, "view": base[2:8:2], "other": other})
    assert out2["a"][0].item() == 100.0
    assert {k: v.data_ptr() for k, v in snap._buffers.items()} == {k: v.data_ptr() for k, v in buffers.items()}


def test_async_error_is_reported_and_rolled_back(tmp_path):
    calls = []

    class Flaky(BaseSaveHandler):
        def __call__(self, checkpoint, filename, metadata=None):
            calls.append(filename)
            if filename == "model_2.pt":
                raise OSError("disk full")

        def remove(self, filename):
            calls.append(("remove", filename))

    c = Checkpoint({"model": nn.Linear(1, 1)}, Flaky(), n_saved=1, async_save=True)
    engine = make_engine(iteration=1)
    c(engine)
    c.wait()
    engine.state.iteration = 2
    c(engine)
    with pytest.raises(RuntimeError, match=r"Asynchronous save of checkpoint 'model_2.pt' failed") as info:
        c.wait()
    assert isinstance(info.value.__cause__, OSError)
    # the spec's order for this handler: model_1 was removed before the failed save, and is no longer listed
    assert calls == ["model_1.pt", ("remove", "model_1.pt"), "model_2.pt"]
    assert c._saved == []
    engine.state.iteration = 3
    c(engine)
    c.wait()
    assert [i.filename for i in c._saved] == ["model_3.pt"]


def test_async_call_returns_while_the_write_runs(tmp_path):
    """The loop is not blocked by the write: the call returns while the save handler is still writing.

    Behaviour only; how long the loop is blocked is measured by bench/checkpoint_io.py.
    """
    import threading

    entered, release = threading.Event(), threading.Event()

    class GatedSaver(DiskSaver):
        def __call__(self, checkpoint, filename, metadata=None):
            entered.set()
            # a synchronous save would wait here, inside the call, until this hang limit fails it
            assert release.wait(timeout=600), "the checkpoint call did not return while the write was held"
            super().__call__(checkpoint, filename, metadata)

    model = nn.Linear(2, 2)
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    c = Checkpoint({"model": model}, GatedSaver(tmp_path), n_saved=1, async_save=True)
    c(make_engine(iteration=1))  # returns with the write held in the background
    assert entered.wait(timeout=600)
    assert [n for n in os.listdir(tmp_path) if n.endswith(".pt")] == []  # nothing written yet
    with torch.no_grad():
        model.weight.add_(1.0)  # training goes on; the file holds the state at the call
    release.set()
    c.wait()
    loaded = torch.load(tmp_path / "model_1.pt")
    assert loaded.keys() == expected.keys() and all(torch.equal(loaded[k], expected[k]) for k in expected)


# ----------------------------------------------------------------------------------------------- killed mid-save

_SAVING_CHILD = """
import sys, torch
from torch import nn
from ignite.engine import Engine
from ignite.handlers import Checkpoint, DiskSaver

dirname = sys.argv[1]
small = nn.Linear(2, 2)
with torch.no_grad():
    small.weight.fill_(1.5)
holder = {"model": small}
checkpointer = Checkpoint(holder, DiskSaver(dirname), n_saved=1)
engine = Engine(lambda e, b: None)
engine.state.iteration = 1
checkpointer(engine)                        # model_1.pt: the good checkpoint
print("SAVED", flush=True)
big = nn.Linear(1, 1)
big.weight = nn.Parameter(torch.ones(100_000_000))  # 400 MB: the next save takes a while
checkpointer.to_save = {"model": big}
engine.state.iteration = 2
checkpointer(engine)                        # killed in here
print("NOT KILLED", flush=True)
"""


def test_process_killed_during_save_leaves_previous_checkpoint(tmp_path):
    import signal
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen(
        [sys.executable, "-c", _SAVING_CHILD, str(tmp_path)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "SAVED"
        deadline = time.monotonic() + 600
        temporaries = []
        while not temporaries and time.monotonic() < deadline:  # the big save has started writing
            temporaries = [n for n in os.listdir(tmp_path) if n.endswith(".ckpt-tmp")]
            time.sleep(0.002)
        assert temporaries, "the child never started its second save"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=600) == -signal.SIGKILL
        assert "NOT KILLED" not in proc.stdout.read()
    finally:
        proc.kill()
        proc.stdout.close()

    names = os.listdir(tmp_path)
    assert [n for n in names if n.endswith(".pt")] == ["model_1.pt"]  # the previous checkpoint is intact ...
    assert [n for n in names if n.startswith(".")]  # ... and the partial write is a hidden temporary
    loaded = torch.load(tmp_path / "model_1.pt")
    assert torch.equal(loaded["weight"], torch.full((2, 2), 1.5))

    finder = Checkpoint({"model": nn.Linear(2, 2)}, DiskSaver(tmp_path, require_empty=False))
    assert finder._find_checkpoints() == [tmp_path / "model_1.pt"]  # never picked up as "latest"
    assert [n for n in os.listdir(tmp_path) if n.endswith(".ckpt-tmp")] == []  # the dead writer's file is gone


def test_async_snapshot_parallel_copy_in_pieces(monkeypatch):
    import ignite.handlers._snapshot as snapshot

    # force the threaded path on small tensors: pieces of 64 bytes over at least 2 threads
    monkeypatch.setattr(snapshot, "_PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(snapshot, "_PIECE", 64)
    monkeypatch.setattr(snapshot, "_copy_threads", lambda: 3)
    g = torch.Generator().manual_seed(0)
    tensors = {f"t{i}": torch.randn(n, generator=g) for i, n in enumerate([1, 15, 16, 17, 1000, 33])}
    tensors["int"] = torch.arange(77, dtype=torch.int64)
    tensors["view"] = tensors["t4"][3:900:7]
    out = snapshot._Snapshotter()(tensors)
    for k, v in tensors.items():
        assert out[k].dtype == v.dtype and torch.equal(out[k], v), k
        assert out[k].untyped_storage().data_ptr() != v.untyped_storage().data_ptr()
    assert out["view"].untyped_storage().data_ptr() == out["t4"].untyped_storage().data_ptr()


@pytest.mark.parametrize("atomic", [True, False])
def test_disk_saver_crc32_off_by_default_and_option_restored(tmp_path, atomic):
    import zipfile

    before = torch.serialization.get_crc32_options()
    saver = DiskSaver(tmp_path, atomic=atomic)
    data = {"w": torch.arange(1000.0), "b": torch.ones(3)}
    saver(data, "plain.pt")
    assert torch.serialization.get_crc32_options() == before
    loaded = torch.load(tmp_path / "plain.pt")
    assert torch.equal(loaded["w"], data["w"]) and torch.equal(loaded["b"], data["b"])
    with zipfile.ZipFile(tmp_path / "plain.pt") as z:
        assert {i.CRC for i in z.infolist() if "/data/" in i.filename} == {0}

    saver.compute_crc32 = True  # opt back in: a valid zip archive for zip tools
    saver(data, "crc.pt")
    with zipfile.ZipFile(tmp_path / "crc.pt") as z:
        assert z.testzip() is None
    assert torch.serialization.get_crc32_options() == before


def test_disk_saver_restores_crc32_option_when_the_save_fails(tmp_path):
    before = torch.serialization.get_crc32_options()
    with pytest.raises(Exception):
        DiskSaver(tmp_path)({"f": lambda: None}, "bad.pt")  # a lambda cannot be pickled
    assert torch.serialization.get_crc32_options() == before
    assert not list(tmp_path.iterdir())  # nothing left behind
    DiskSaver(tmp_path, require_empty=False)({"x": torch.ones(2)}, "ok.pt")  # the option's lock was released
    assert torch.equal(torch.load(tmp_path / "ok.pt")["x"], torch.ones(2))


def test_disk_saver_concurrent_saves_keep_crc32_option(tmp_path):
    import threading

    before = torch.serialization.get_crc32_options()
    saver = DiskSaver(tmp_path)
    data = {"w": torch.randn(50_000)}
    errors = []

    def save(k):
        try:
            for i in range(5):
                saver(data, f"t{k}_{i}.pt")
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=save, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert torch.serialization.get_crc32_options() == before
    for k in range(3):
        for i in range(5):
            assert torch.equal(torch.load(tmp_path / f"t{k}_{i}.pt")["w"], data["w"])


def test_disk_saver_without_torch_crc32_option(tmp_path, monkeypatch):
    # torch < 2.6 has no CRC32 option: saves work and keep torch's default (CRCs written)
    monkeypatch.delattr(torch.serialization, "set_crc32_options")
    DiskSaver(tmp_path)({"w": torch.ones(4)}, "old.pt")
    assert torch.equal(torch.load(tmp_path / "old.pt")["w"], torch.ones(4))
