"""Checkpoint's order of writing and removing, full disks, and background saves that are listed once on disk."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from torch import nn

from ignite.engine import Engine
from ignite.handlers import Checkpoint, DiskSaver
from ignite.handlers._file_writer import disk_full_cause, disk_full_error, save_to_fd
from ignite.handlers.checkpoint import CheckpointDiskFullError
from tests.handlers._killed_child import kill_after_save

ROOT = Path(__file__).resolve().parents[2]


def make_engine(iteration=1):
    engine = Engine(lambda e, b: None)
    engine.state.iteration = iteration
    return engine


def filled(n, value):
    model = nn.Linear(1, 1, bias=False)
    model.weight = nn.Parameter(torch.full((n,), float(value)))
    return model


def checkpoint_files(dirname):
    return sorted(n for n in os.listdir(dirname) if not n.startswith("."))


# ----------------------------------------------------------------------------------------------- order


class FixedNameSaver(DiskSaver):
    """The "best model under a fixed name" pattern: every checkpoint is written to and removed from model.pt."""

    def __call__(self, checkpoint, filename, metadata=None):
        super().__call__(checkpoint, "model.pt", metadata)

    def remove(self, filename):
        super().remove("model.pt")


@pytest.mark.parametrize("async_save", [False, True])
def test_fixed_name_save_handler_keeps_its_file(tmp_path, async_save):
    scores = iter([0.5, 0.7, 0.6, 0.9])
    model = nn.Linear(2, 1)
    c = Checkpoint(
        {"model": model},
        FixedNameSaver(tmp_path),
        n_saved=1,
        score_function=lambda e: next(scores),
        async_save=async_save,
    )
    engine = make_engine()
    for value in (1.0, 2.0, 3.0, 4.0):
        with torch.no_grad():
            model.weight.fill_(value)
        c(engine)
        c.wait()
        assert checkpoint_files(tmp_path) == ["model.pt"]  # the new file is not removed as "the old one"
    assert torch.load(tmp_path / "model.pt")["weight"].eq(4.0).all()  # the best score (0.9) is the last
    assert [i.filename for i in c._saved] == ["model_0.9000.pt"]


class ListingDiskSaver(DiskSaver):
    """Our DiskSaver (its ``__call__`` and ``remove`` untouched) that lists the directory after each write."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.listings = []

    def _write(self, checkpoint, path, func, rank):
        super()._write(checkpoint, path, func, rank)
        self.listings.append(checkpoint_files(self.dirname))


def test_own_disk_saver_writes_the_new_file_before_removing_the_old(tmp_path):
    saver = ListingDiskSaver(tmp_path)
    c = Checkpoint({"model": nn.Linear(2, 1)}, saver, n_saved=2)
    for it in (1, 2, 3, 4):
        c(make_engine(it))
    # right after the write of model_3 (and model_4), the file it evicts is still there: n_saved + 1 files
    assert saver.listings == [
        ["model_1.pt"],
        ["model_1.pt", "model_2.pt"],
        ["model_1.pt", "model_2.pt", "model_3.pt"],
        ["model_2.pt", "model_3.pt", "model_4.pt"],
    ]
    assert checkpoint_files(tmp_path) == ["model_3.pt", "model_4.pt"]


def test_disk_saver_subclass_overriding_remove_gets_the_spec_order(tmp_path):
    log = []

    class LoggingSaver(DiskSaver):
        def remove(self, filename):
            log.append(("remove", filename, checkpoint_files(self.dirname)))
            super().remove(filename)

    c = Checkpoint({"model": nn.Linear(2, 1)}, LoggingSaver(tmp_path), n_saved=1)
    c(make_engine(1))
    c(make_engine(2))
    assert log == [("remove", "model_1.pt", ["model_1.pt"])]  # removed before model_2.pt was written
    assert checkpoint_files(tmp_path) == ["model_2.pt"]


# ----------------------------------------------------------------------------------------------- full disk


@pytest.fixture
def small_fs(tmp_path):
    """A 1 MiB tmpfs: a real file system that fills up (needs the right to mount, e.g. root)."""
    mount_point = tmp_path / "small_fs"
    mount_point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


@pytest.mark.parametrize("async_save", [False, True])
def test_checkpoint_that_does_not_fit_names_the_problem(small_fs, async_save):
    c = Checkpoint({"model": filled(100_000, 1.0)}, DiskSaver(small_fs), n_saved=1, async_save=async_save)  # 400 kB
    c(make_engine(1))
    c.wait()
    assert checkpoint_files(small_fs) == ["model_1.pt"]

    c.to_save = {"model": filled(175_000, 2.0)}  # 700 kB: does not fit next to model_1.pt in 1 MiB
    if async_save:
        c(make_engine(2))
        with pytest.raises(RuntimeError, match="Asynchronous save of checkpoint 'model_2.pt' failed") as info:
            c.wait()
        error = info.value.__cause__
    else:
        with pytest.raises(CheckpointDiskFullError) as info:
            c(make_engine(2))
        error = info.value
    assert isinstance(error, CheckpointDiskFullError) and isinstance(error, OSError)
    assert error.errno == errno.ENOSPC
    message = str(error)
    assert f"Not enough space to write checkpoint '{small_fs / 'model_2.pt'}'" in message
    assert "it needs at least 700,000 bytes (its tensors)" in message
    free = int(re.search(r"and ([\d,]+) bytes are free", message).group(1).replace(",", ""))
    assert free == shutil.disk_usage(small_fs).free < 700_000
    assert "previous checkpoints are intact and still listed: ['model_1.pt']" in message
    # ... and they are: no temporary left, the old file complete and still listed
    assert os.listdir(small_fs) == ["model_1.pt"]
    assert torch.load(small_fs / "model_1.pt")["weight"].eq(1.0).all()
    assert [i.filename for i in c._saved] == ["model_1.pt"]

    c.to_save = {"model": filled(100_000, 3.0)}  # fits again: the rotation goes on
    c(make_engine(3))
    c.wait()
    assert checkpoint_files(small_fs) == ["model_3.pt"]


def test_non_atomic_disk_saver_removes_its_partial_file(small_fs):
    saver = DiskSaver(small_fs, atomic=False)
    with pytest.raises(CheckpointDiskFullError, match="The partial file was removed"):
        saver({"weight": torch.ones(400_000)}, "big.pt")
    assert os.listdir(small_fs) == []


def test_disk_full_error_from_a_real_enospc_write():
    """Whatever the file system, /dev/full fails every write with ENOSPC, as a full disk does."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        with pytest.raises(Exception) as info:
            save_to_fd({"weight": torch.ones(1000)}, fd, False)
    finally:
        os.close(fd)
    cause = disk_full_cause(info.value)  # torch reports it as "unexpected pos"; the OSError is behind it
    assert cause is not None and cause.errno == errno.ENOSPC
    error = disk_full_error(cause, {"a": torch.ones(1000), "b": torch.ones(10, dtype=torch.float64)}, Path("/x/y.pt"))
    assert "checkpoint '/x/y.pt'" in str(error) and "at least 4,080 bytes" in str(error)
    assert disk_full_cause(ValueError("unrelated")) is None


# ----------------------------------------------------------------------------------------------- async


def test_async_save_is_byte_identical_to_a_sync_save(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.Linear(16, 4))
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(4, 8)).sum().backward()
    opt.step()
    to_save = {"model": model, "optimizer": opt, "trainer": make_engine(5)}
    sync = Checkpoint(to_save, DiskSaver(tmp_path / "sync"), n_saved=2)
    asyn = Checkpoint(to_save, DiskSaver(tmp_path / "async"), n_saved=2, async_save=True)
    for it in (1, 2, 3):
        sync(make_engine(it))
        asyn(make_engine(it))
        with torch.no_grad():  # changed while the background write runs: the file must not see it
            for p in model.parameters():
                p.add_(1.0)
    asyn.wait()
    names = checkpoint_files(tmp_path / "sync")
    assert names == checkpoint_files(tmp_path / "async") == ["checkpoint_2.pt", "checkpoint_3.pt"]
    for name in names:
        assert (tmp_path / "sync" / name).read_bytes() == (tmp_path / "async" / name).read_bytes()


class GatedDiskSaver(DiskSaver):
    """Our DiskSaver whose writes wait for the test to open a gate (runs in the background writer thread)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()
        self.writing = threading.Event()

    def _write(self, checkpoint, path, func, rank):
        self.writing.set()
        assert self.gate.wait(timeout=600)
        super()._write(checkpoint, path, func, rank)


def test_async_checkpoint_is_listed_only_once_written(tmp_path):
    saver = GatedDiskSaver(tmp_path)
    model = nn.Linear(2, 1)
    c = Checkpoint({"model": model}, saver, n_saved=1, async_save=True)
    saver.gate.set()
    c(make_engine(1))
    c.wait()
    saver.gate.clear()
    saver.writing.clear()

    with torch.no_grad():
        model.weight.fill_(7.0)
    c(make_engine(2))
    assert saver.writing.wait(timeout=600)  # the background write has started and waits at the gate
    assert [i.filename for i in c._saved] == ["model_1.pt"]  # not listed yet ...
    assert checkpoint_files(tmp_path) == ["model_1.pt"]  # ... and the file it replaces is still there
    saver.gate.set()
    assert c.last_checkpoint == tmp_path / "model_2.pt"  # waits for the write
    assert [i.filename for i in c._saved] == ["model_2.pt"] and checkpoint_files(tmp_path) == ["model_2.pt"]


def test_async_save_waited_for_by_state_dict_and_load_objects(tmp_path):
    saver = GatedDiskSaver(tmp_path)
    model = nn.Linear(2, 1)
    c = Checkpoint({"model": model}, saver, n_saved=1, async_save=True)
    with torch.no_grad():
        model.weight.fill_(3.0)
    c(make_engine(1))
    assert saver.writing.wait(timeout=600)
    threading.Timer(0.05, saver.gate.set).start()
    assert c.state_dict()["_saved"] == [(1, "model_1.pt")]

    saver.gate.clear()
    saver.writing.clear()
    with torch.no_grad():
        model.weight.fill_(4.0)
    c(make_engine(2))
    assert saver.writing.wait(timeout=600)
    threading.Timer(0.05, saver.gate.set).start()
    target = nn.Linear(2, 1)
    Checkpoint.load_objects({"model": target}, tmp_path / "model_2.pt")  # waits for the file being written
    assert target.weight.eq(4.0).all()


_EXIT_CHILD = """
import sys, torch
from torch import nn
from ignite.engine import Engine
from ignite.handlers import Checkpoint, DiskSaver

model = nn.Linear(1, 1, bias=False)
model.weight = nn.Parameter(torch.full((4_000_000,), 5.0))  # 16 MB: still being written at exit
c = Checkpoint({"model": model}, DiskSaver(sys.argv[1]), n_saved=1, async_save=True)
engine = Engine(lambda e, b: None)
engine.state.iteration = 1
c(engine)
print("RETURNED", flush=True)
"""


def test_async_save_completes_at_interpreter_exit(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", _EXIT_CHILD, str(tmp_path)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "RETURNED"
    assert os.listdir(tmp_path) == ["model_1.pt"]
    assert torch.load(tmp_path / "model_1.pt")["weight"].eq(5.0).all()


@pytest.mark.parametrize("kill_after", [3, 6])
def test_process_killed_right_after_async_save_returns(tmp_path, kill_after):
    listed = kill_after_save(tmp_path, "DiskSaver", kill_after)

    names = checkpoint_files(tmp_path)
    steps = sorted(int(n[len("model_") : -len(".pt")]) for n in names)
    assert names == [f"model_{s}.pt" for s in steps]  # only checkpoint names (a partial file is hidden)
    for step in steps:  # every file under a checkpoint name is complete and holds its own iteration
        assert torch.load(tmp_path / f"model_{step}.pt")["weight"].eq(float(step)).all()
    assert len(steps) >= 2  # n_saved complete checkpoints survive
    # a file listed when the child last reported is there, unless n_saved newer ones replaced it
    for name in listed:
        step = int(name[len("model_") : -len(".pt")])
        assert name in names or len([s for s in steps if s > step]) >= 2


@pytest.mark.parametrize("async_save", [False, True])
def test_handler_saved_inside_its_own_checkpoint_describes_the_new_file(tmp_path, async_save):
    """As ExactResume does: an entry of ``to_save`` holds the checkpointer's own state_dict."""

    class HolderOfTheCheckpointer:
        checkpointer = None

        def state_dict(self):
            return self.checkpointer.state_dict()

    holder = HolderOfTheCheckpointer()
    c = Checkpoint({"model": nn.Linear(2, 1), "holder": holder}, DiskSaver(tmp_path), n_saved=1, async_save=async_save)
    holder.checkpointer = c
    for it in (1, 2):
        c(make_engine(it))
    c.wait()
    saved = torch.load(tmp_path / "checkpoint_2.pt")["holder"]["_saved"]
    assert saved == [(2, "checkpoint_2.pt")]  # a run resumed from this file keeps pruning it


def test_saved_checkpoint_handler_may_wait_for_the_async_file(tmp_path):
    c = Checkpoint({"model": nn.Linear(2, 1)}, DiskSaver(tmp_path), n_saved=1, async_save=True)
    engine = make_engine(1)
    seen = []
    c(engine)  # registers the events
    engine.add_event_handler(Checkpoint.SAVED_CHECKPOINT, lambda e: seen.append(c.last_checkpoint))
    engine.state.iteration = 2
    c(engine)  # the handler runs before the writer is handed the save: waiting for it must not hang
    assert seen == [tmp_path / "model_2.pt"] and checkpoint_files(tmp_path) == ["model_2.pt"]
