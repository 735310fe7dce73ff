"""ExactResume: a run interrupted anywhere and resumed from its checkpoint ends bit-identical to the original."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import DeterministicEngine, Engine, Events, create_supervised_trainer
from ignite.handlers import Checkpoint, DiskSaver
from ignite.handlers.resume import ExactResume, _capture_rng, _restore_rng
from ignite.utils import manual_seed

CHILD = Path(__file__).with_name("_resume_child.py")


class LossSum:
    def __init__(self):
        self.n, self.total = 0, 0.0

    def __call__(self, engine):
        self.n += 1
        self.total += float(engine.state.output)

    def state_dict(self):
        return {"n": self.n, "total": self.total}

    def load_state_dict(self, sd):
        self.n, self.total = sd["n"], sd["total"]


class NoisyDataset(TensorDataset):
    """Random augmentation inside the dataset: in the main process, or in each DataLoader worker."""

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        return x + 0.1 * torch.randn_like(x), y


class Setup:
    """One training set-up; ``build()`` makes identical fresh copies, as a restarted script would."""

    def __init__(
        self,
        workers=0,
        epoch_length=None,
        exact=True,
        epoch_scheduler=False,
        deterministic=False,
        augment=False,
        as_list=False,
    ):
        self.workers = workers
        self.as_list = as_list
        self.augment = augment
        self.epoch_length = epoch_length
        self.exact = exact
        self.epoch_scheduler = epoch_scheduler
        self.deterministic = deterministic

    def build(self):
        manual_seed(0)
        torch.set_num_threads(1)
        g = torch.Generator().manual_seed(1)
        x, y = torch.randn(50, 4, generator=g), torch.randn(50, 1, generator=g)
        dataset = (NoisyDataset if self.augment else TensorDataset)(x, y)
        self.loader = DataLoader(dataset, batch_size=8, shuffle=True, num_workers=self.workers)
        if self.as_list:  # a plain list of batches (DeterministicEngine's generic path)
            self.loader = [(x[i : i + 8], y[i : i + 8]) for i in range(0, 50, 8)]
        self.model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.3), nn.Linear(16, 1))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.5)
        self.trainer = create_supervised_trainer(
            self.model, self.opt, nn.functional.mse_loss, deterministic=self.deterministic
        )
        self.loss_sum = LossSum()
        self.trainer.add_event_handler(Events.ITERATION_COMPLETED, self.loss_sum)
        opt = self.opt

        @self.trainer.on(Events.EPOCH_STARTED)
        def decay(engine):  # re-fired on a mid-epoch resume: ExactResume undoes it
            for group in opt.param_groups:
                group["lr"] *= 0.9

        if self.epoch_scheduler:
            sched = torch.optim.lr_scheduler.StepLR(self.opt, step_size=1, gamma=0.5)
            self.trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: sched.step())
            self.sched = sched

        self.to_save = {"model": self.model, "optimizer": self.opt, "trainer": self.trainer}
        if self.epoch_scheduler:
            self.to_save["sched"] = self.sched
        if self.exact:
            self.to_save["resume"] = ExactResume(self.trainer)
        return self

    def run(self, max_epochs=4):
        kwargs = {"epoch_length": self.epoch_length} if self.epoch_length else {}
        self.trainer.run(self.loader, max_epochs=max_epochs, **kwargs)
        return torch.cat([p.detach().flatten() for p in self.model.parameters()]), self.loss_sum.state_dict()


def interrupted_then_resumed(setup, stop_at, tmp_path, max_epochs=4):
    """Checkpoint at iteration ``stop_at`` (after the iteration's handlers), stop, resume in fresh objects."""
    s = setup.build()
    checkpointer = Checkpoint(s.to_save, DiskSaver(tmp_path, require_empty=False), n_saved=1)
    s.trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), checkpointer)
    s.trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), lambda e: e.terminate())
    s.run(max_epochs)
    path = checkpointer.last_checkpoint

    s = setup.build()
    Checkpoint(s.to_save, DiskSaver(tmp_path, require_empty=False), n_saved=1)  # same handler layout as above
    s.trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), Checkpoint({"m": s.model}, lambda *a: None))
    torch.randn(7)  # the resumed process' own random state must not matter
    np.random.rand(3)
    random.random()
    Checkpoint.load_objects(to_load=s.to_save, checkpoint=path)
    return s.run(max_epochs)


@pytest.mark.parametrize("stop_at", [1, 3, 6, 7, 9, 14, 26])  # 7 batches per epoch: 7 and 14 are epoch ends
def test_resume_is_bit_identical(tmp_path, stop_at):
    ref_params, ref_sum = Setup().build().run()
    params, sums = interrupted_then_resumed(Setup(), stop_at, tmp_path)
    assert torch.equal(params, ref_params)
    assert sums == ref_sum


def test_without_exact_resume_mid_epoch_differs(tmp_path):
    """The control: upstream-style resume (trainer state only) is not exact mid-epoch, so the tests above can fail."""
    ref_params, _ = Setup(exact=False).build().run()
    params, _ = interrupted_then_resumed(Setup(exact=False), 10, tmp_path)
    assert not torch.equal(params, ref_params)


@pytest.mark.parametrize("epoch_length, stop_at", [(4, 6), (4, 8), (11, 9), (11, 16)])
def test_resume_with_epoch_length_different_from_data(tmp_path, epoch_length, stop_at):
    setup = Setup(epoch_length=epoch_length)
    ref_params, ref_sum = setup.build().run(max_epochs=5)
    params, sums = interrupted_then_resumed(setup, stop_at, tmp_path, max_epochs=5)
    assert torch.equal(params, ref_params) and sums == ref_sum


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
def test_pending_epoch_completed_is_replayed(tmp_path):
    """A checkpoint taken in an epoch's last iteration resumes with that epoch's EPOCH_COMPLETED (lr step)."""
    setup = Setup(epoch_scheduler=True)
    ref_params, ref_sum = setup.build().run()
    params, sums = interrupted_then_resumed(setup, 14, tmp_path)
    assert torch.equal(params, ref_params) and sums == ref_sum


def test_resume_with_workers_fetches_skipped_batches(tmp_path):
    setup = Setup(workers=2)
    ref_params, ref_sum = setup.build().run(max_epochs=2)
    params, sums = interrupted_then_resumed(setup, 10, tmp_path, max_epochs=2)
    assert torch.equal(params, ref_params) and sums == ref_sum


@pytest.mark.parametrize("stop_at", [1, 3, 7, 10, 14, 20])
def test_resume_with_deterministic_engine(tmp_path, stop_at):
    setup = Setup(deterministic=True)
    s = setup.build()
    assert isinstance(s.trainer, DeterministicEngine)
    ref_params, ref_sum = s.run()
    params, sums = interrupted_then_resumed(setup, stop_at, tmp_path)
    assert torch.equal(params, ref_params) and sums == ref_sum


@pytest.mark.parametrize("as_list", [False, True])
@pytest.mark.parametrize("epoch_length, stop_at", [(4, 6), (4, 8), (11, 7), (11, 16)])
def test_resume_with_deterministic_engine_and_epoch_length_different_from_data(
    tmp_path, epoch_length, stop_at, as_list
):
    setup = Setup(deterministic=True, epoch_length=epoch_length, as_list=as_list)
    ref_params, ref_sum = setup.build().run(max_epochs=5)
    params, sums = interrupted_then_resumed(setup, stop_at, tmp_path, max_epochs=5)
    assert torch.equal(params, ref_params) and sums == ref_sum


@pytest.mark.parametrize("deterministic", [False, True])
@pytest.mark.parametrize("workers", [0, 2])
def test_resume_with_augmentation_in_the_dataset(tmp_path, deterministic, workers):
    """Random augmentation drawn in the main process or in the workers (whose states follow the batches made)."""
    setup = Setup(deterministic=deterministic, workers=workers, augment=True)
    ref_params, ref_sum = setup.build().run(max_epochs=2)
    params, sums = interrupted_then_resumed(setup, 10, tmp_path, max_epochs=2)
    assert torch.equal(params, ref_params) and sums == ref_sum


@pytest.mark.parametrize("name", ["plain", "deterministic"])
def test_checkpoint_of_format_1_still_resumes_exactly(name):
    """Checkpoints written by the first ExactResume (commit 6635ec1, ``data/make_resume_v1.py``) still load."""
    setup = Setup(deterministic=name == "deterministic")
    ref_params, ref_sum = setup.build().run()
    s = setup.build()
    torch.randn(7)
    path = Path(__file__).with_name("data") / f"resume_v1_{name}_it10.pt"
    Checkpoint.load_objects(to_load=s.to_save, checkpoint=torch.load(path, weights_only=False))
    params, sums = s.run()
    assert torch.equal(params, ref_params) and sums == ref_sum


def test_metric_attached_to_trainer_is_restored(tmp_path):
    from ignite.metrics import RunningAverage

    def run(stop_at=None, path=None):
        manual_seed(0)
        trainer = Engine(lambda e, b: float(torch.rand(1)) * b)
        RunningAverage(output_transform=lambda x: x, alpha=0.5).attach(trainer, "avg")
        to_save = {"trainer": trainer, "resume": ExactResume(trainer)}
        checkpointer = Checkpoint(to_save, DiskSaver(tmp_path, require_empty=False))
        trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at or 10**6), checkpointer)
        if stop_at:
            trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), lambda e: e.terminate())
        if path:
            Checkpoint.load_objects(to_save, path)
        trainer.run([1.0, 2.0, 3.0, 4.0, 5.0], max_epochs=3)
        return trainer.state.metrics["avg"], checkpointer.last_checkpoint

    ref, _ = run()
    _, path = run(stop_at=7)
    resumed, _ = run(path=path)
    assert resumed == ref


def test_rng_states_round_trip_through_a_file(tmp_path):
    manual_seed(5)
    states = _capture_rng()
    torch.save(states, tmp_path / "rng.pt")
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    manual_seed(99)
    _restore_rng(torch.load(tmp_path / "rng.pt", weights_only=True))
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_state_dict_loads_with_weights_only(tmp_path):
    s = Setup().build()
    s.trainer.add_event_handler(Events.ITERATION_COMPLETED(once=3), Checkpoint(s.to_save, DiskSaver(tmp_path)))
    s.trainer.add_event_handler(Events.ITERATION_COMPLETED(once=3), lambda e: e.terminate())
    s.run()
    sd = torch.load(tmp_path / "checkpoint_3.pt", weights_only=True)["resume"]
    assert sd["iteration"] == 3 and sd["position"]["consumed"] == 3 and sd["position"]["length"] == 7
    assert not sd["boundary"] and not sd["epoch_completed_pending"]
    assert sd["version"] == 2 and sd["world_size"] == 1 and sd["objects"] == {}
    assert set(sd["attached"]) == {"optimizer", "LossSum", "Checkpoint"}
    assert sd["attached"]["LossSum"] == s.loss_sum.state_dict()
    assert sd["attached"]["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.01 * 0.9)


def test_arguments_and_mismatches():
    trainer = Engine(lambda e, b: None)
    with pytest.raises(ValueError, match=r"Argument data_skip should be 'auto', 'indices' or 'fetch'"):
        ExactResume(trainer, data_skip="skip")
    resume = ExactResume(trainer)
    with pytest.raises(ValueError, match=r"Unsupported ExactResume state"):
        resume.load_state_dict({"version": 99})
    with pytest.raises(TypeError, match=r"Argument state_dict should be a dictionary"):
        resume.load_state_dict([])
    trainer.run([1, 2], max_epochs=1)
    sd = resume.state_dict()
    fresh = Engine(lambda e, b: None)
    other = ExactResume(fresh)
    other.load_state_dict(sd)  # but the trainer's own state is not loaded: warn and resume without it
    with pytest.warns(UserWarning, match=r"saved at iteration 2 but the trainer starts at iteration 0"):
        fresh.run([1, 2], max_epochs=1)


def test_data_wrapper_is_transparent_and_removed():
    trainer = Engine(lambda e, b: None)
    ExactResume(trainer)
    loader = DataLoader(list(range(10)), batch_size=3)
    seen = []
    trainer.add_event_handler(
        Events.EPOCH_STARTED, lambda e: seen.append((len(e.state.dataloader), e.state.dataloader.batch_size))
    )
    trainer.run(loader, max_epochs=2)
    assert seen == [(4, 3), (4, 3)]
    assert trainer.state.dataloader is loader


def _child(args, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return [sys.executable, str(CHILD), *args], env


def test_sigkill_at_random_iteration_then_resume(tmp_path):
    """A real process killed with SIGKILL at a random iteration; a second process resumes; parameters match."""
    cmd, env = _child(["--dir", str(tmp_path / "ref"), "--out", str(tmp_path / "ref.pt"), "--mode", "none"])
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=300)
    reference = torch.load(tmp_path / "ref.pt")

    kill_at = random.Random().randint(2, 35)  # 12 batches per epoch, 3 epochs
    cmd, env = _child(["--dir", str(tmp_path / "ck"), "--out", str(tmp_path / "out.pt"), "--mode", "plain"])
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.strip() == f"ITER {kill_at}":
                proc.send_signal(signal.SIGKILL)
                break
        proc.stdout.read()
        assert proc.wait(timeout=300) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.stdout.close()
    assert not (tmp_path / "out.pt").exists()
    assert any(name.endswith(".pt") for name in os.listdir(tmp_path / "ck")), os.listdir(tmp_path / "ck")

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "RESUMED checkpoint_" in done.stdout and "DONE" in done.stdout
    resumed = torch.load(tmp_path / "out.pt")
    assert torch.equal(resumed["params"], reference["params"]), f"killed at iteration {kill_at}"
    assert resumed["n"] == reference["n"] and resumed["total"] == reference["total"]


def test_deterministic_engine_killed_repeatedly_resumes_exactly(tmp_path):
    """The issue's set-up: a DeterministicEngine trainer with dropout, a shuffling DataLoader with 2 workers and
    random augmentation in the dataset, checkpointed every iteration, killed with SIGKILL at iterations 7, 27, 33
    and 59 (12 batches per epoch, 5 epochs), each time resumed by a new process; the parameters end bit-identical
    to an uninterrupted run."""
    flags = ["--deterministic", "--workers", "2", "--augment", "--epochs", "5"]
    cmd, env = _child(["--dir", str(tmp_path / "ref"), "--out", str(tmp_path / "ref.pt"), "--mode", "none", *flags])
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=300)
    reference = torch.load(tmp_path / "ref.pt")

    ck = ["--dir", str(tmp_path / "ck"), "--out", str(tmp_path / "out.pt"), "--mode", "plain", *flags]
    resumed_from = []
    for kill_at in (7, 27, 33, 59):
        # the child waits after printing ITER <kill_at> (before that iteration's checkpoint): killed there
        cmd, env = _child([*ck, "--pause-at", str(kill_at)])
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
        try:
            for line in proc.stdout:
                if line.startswith("RESUMED"):
                    resumed_from.append(line.split()[1])
                if line.strip() == f"ITER {kill_at}":
                    proc.send_signal(signal.SIGKILL)
                    break
            proc.stdout.read()
            assert proc.wait(timeout=300) == -signal.SIGKILL
        finally:
            proc.kill()
            proc.stdout.close()
    assert resumed_from == ["checkpoint_6.pt", "checkpoint_26.pt", "checkpoint_32.pt"]
    assert not (tmp_path / "out.pt").exists()

    cmd, env = _child(ck)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "RESUMED checkpoint_58.pt" in done.stdout and "DONE" in done.stdout
    resumed = torch.load(tmp_path / "out.pt")
    assert torch.equal(resumed["params"], reference["params"])
    assert resumed["n"] == reference["n"] and resumed["total"] == reference["total"]
