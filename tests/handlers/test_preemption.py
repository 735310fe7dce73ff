"""PreemptionHandler: real signals to a child process, then the same script started again resumes exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint, DiskSaver
from ignite.handlers.preemption import PreemptionHandler
from ignite.handlers.resume import ExactResume

CHILD = Path(__file__).with_name("_resume_child.py")


def _cmd(tmp_path, *extra):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    args = ["--dir", str(tmp_path / "ck"), "--out", str(tmp_path / "out.pt"), *extra]
    return [sys.executable, str(CHILD), *args], env


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ref")
    cmd, env = _cmd(tmp, "--mode", "none")
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=300)
    return torch.load(tmp / "out.pt")


def _signal_at(tmp_path, cmd, env, iteration, sig):
    """Run the child, send ``sig`` once it printed ``ITER <iteration>`` (it waits there for us), collect output."""
    cmd = cmd + ["--pause-at", str(iteration)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line.strip())
            if line.strip() == f"ITER {iteration}":
                proc.send_signal(sig)
                (tmp_path / "ck.go").touch()
        err = proc.stderr.read()
        return proc.wait(timeout=300), lines, err
    finally:
        proc.kill()
        proc.stdout.close()
        proc.stderr.close()


@pytest.mark.parametrize(
    "sig, iteration, extra",
    [
        (signal.SIGTERM, 17, ()),  # mid-epoch (12 batches per epoch)
        (signal.SIGUSR1, 24, ()),  # an epoch's last iteration: stops after EPOCH_COMPLETED
        (signal.SIGTERM, 5, ("--async-save", "--every", "4")),
    ],
)
def test_signal_checkpoints_exits_and_resumes_exactly(tmp_path, reference, sig, iteration, extra):
    cmd, env = _cmd(tmp_path, "--mode", "preempt", *extra)
    rc, lines, err = _signal_at(tmp_path, cmd, env, iteration, sig)
    assert rc == 0, err  # a clean exit
    assert "DONE" not in lines and not (tmp_path / "out.pt").exists()  # code after trainer.run did not run
    assert lines[-1] == f"ITER {iteration}"  # the current iteration finished, no further one started
    assert f"saving a checkpoint at iteration {iteration}" in err
    assert f"checkpoint_{iteration}.pt" in os.listdir(tmp_path / "ck")

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == f"RESUMED checkpoint_{iteration}.pt" and out[1] == f"ITER {iteration + 1}" and out[-1] == "DONE"
    resumed = torch.load(tmp_path / "out.pt")
    assert torch.equal(resumed["params"], reference["params"])
    assert resumed["n"] == reference["n"] and resumed["total"] == reference["total"]
    assert len([f for f in os.listdir(tmp_path / "ck") if f.endswith(".pt")]) == 2  # n_saved rotation went on


def test_restart_after_finished_run_does_not_train_again(tmp_path, reference):
    cmd, env = _cmd(tmp_path, "--mode", "preempt")
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=300)
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["RESUMED checkpoint_36.pt", "DONE"]
    assert torch.equal(torch.load(tmp_path / "out.pt")["params"], reference["params"])


def _trainer_setup(tmp_path, **kwargs):
    model = nn.Linear(2, 1)
    trainer = Engine(lambda e, b: None)
    to_save = {"model": model, "trainer": trainer}
    checkpointer = Checkpoint(to_save, DiskSaver(tmp_path, require_empty=False), n_saved=2)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=3), checkpointer)
    return trainer, model, checkpointer, PreemptionHandler(checkpointer, **kwargs)


def test_in_process_signal_and_exit_code_none(tmp_path):
    trainer, model, checkpointer, handler = _trainer_setup(tmp_path, exit_code=None)
    previous = signal.getsignal(signal.SIGTERM)
    handler.attach(trainer)
    assert isinstance(checkpointer.to_save["exact_resume"], ExactResume)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=5), lambda e: os.kill(os.getpid(), signal.SIGTERM))
    events = []
    trainer.add_event_handler(Events.TERMINATE, lambda e: events.append("TERMINATE"))
    trainer.add_event_handler(Events.COMPLETED, lambda e: events.append("COMPLETED"))
    state = trainer.run(range(4), max_epochs=3)
    assert handler.preempted and state.iteration == 5 and events == ["TERMINATE", "COMPLETED"]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint_3.pt", "checkpoint_5.pt"]
    assert signal.getsignal(signal.SIGTERM) == previous  # handlers put back after the run


def test_in_process_exit_raises_system_exit(tmp_path):
    trainer, _, _, handler = _trainer_setup(tmp_path)
    handler.attach(trainer)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: os.kill(os.getpid(), signal.SIGUSR1))
    with pytest.raises(SystemExit) as info:
        trainer.run(range(4), max_epochs=3)
    assert info.value.code == 0
    assert "checkpoint_2.pt" in os.listdir(tmp_path)


def test_resume_skips_corrupted_latest_file(tmp_path):
    trainer, model, checkpointer, handler = _trainer_setup(tmp_path, exit_code=None)
    handler.attach(trainer)
    trainer.run(range(4), max_epochs=2)  # checkpoints at 3 and 6
    latest = tmp_path / "checkpoint_6.pt"
    latest.write_bytes(latest.read_bytes()[:100])  # e.g. a disk that lost the end of the file

    trainer2, model2, checkpointer2, handler2 = _trainer_setup(tmp_path, exit_code=None)
    with pytest.warns(UserWarning, match=r"skipping unreadable checkpoint: Cannot load checkpoint '.*checkpoint_6.pt'"):
        handler2.attach(trainer2)
    assert handler2.resumed_from == tmp_path / "checkpoint_3.pt"
    assert trainer2.state.iteration == 3


def test_arguments(tmp_path):
    model = nn.Linear(1, 1)
    with pytest.raises(TypeError, match=r"Argument checkpointer should be a Checkpoint"):
        PreemptionHandler(object())
    with pytest.raises(TypeError, match=r"needs a Checkpoint writing to a directory"):
        PreemptionHandler(Checkpoint({"model": model}, lambda c, f: None))
    with pytest.raises(ValueError, match=r"no score_function"):
        PreemptionHandler(Checkpoint({"model": model}, DiskSaver(tmp_path / "a"), score_function=lambda e: 1.0))
    trainer = Engine(lambda e, b: None)
    handler = PreemptionHandler(Checkpoint({"model": model}, DiskSaver(tmp_path / "b")))
    with pytest.raises(ValueError, match=r"the trainer must be one of the values of checkpointer.to_save"):
        handler.attach(trainer)
