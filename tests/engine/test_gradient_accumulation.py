"""Gradient accumulation: windows restart each epoch, a shorter last window is stepped at the epoch end, each
window's update equals one large-batch step, and under DDP only the window's last micro-step all-reduces."""

import json
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import ignite.distributed as idist
from ignite.engine import Events, create_supervised_trainer
from ignite.engine._accumulation import accumulation_window

sys.path.insert(0, str(Path(__file__).parent))
import _accumulation_worker as worker  # noqa: E402


def _windows(n, k):
    """Epoch positions split into accumulation windows: k at a time, the remainder last."""
    return [list(range(s, min(s + k, n))) for s in range(0, n, k)]


def _large_batch_reference(data, k, epochs, lr=0.1):
    """One SGD step per window on the concatenation of the window's batches (mean loss over all its rows)."""
    model = worker.make_model()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        for window in _windows(len(data), k):
            x = torch.cat([data[i][0] for i in window])
            y = torch.cat([data[i][1] for i in window])
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    return model


@pytest.mark.parametrize("n, k", [(6, 4), (5, 2), (4, 4), (3, 5)])
def test_accumulated_update_equals_large_batch_update(n, k):
    data = worker.global_batches(n, world_size=1)
    model = worker.make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    steps_at = []
    opt.register_step_post_hook(lambda *args: steps_at.append(trainer.state.iteration))
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss, gradient_accumulation_steps=k)
    trainer.run(data, max_epochs=2)

    ends = [w[-1] + 1 for w in _windows(n, k)]
    assert steps_at == ends + [n + e for e in ends]  # the last window of each epoch steps at the epoch end
    ref = _large_batch_reference(data, k, epochs=2)
    for p, q in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_accumulation_window_positions():
    class S:
        epoch_length = 5

    window = accumulation_window(2, "epoch")
    got = []
    for i in range(1, 11):
        S.iteration = i
        got.append(window(S))
    first_epoch = [(True, False, 2), (False, True, 2), (True, False, 2), (False, True, 2), (True, True, 1)]
    assert got == first_epoch * 2
    S.epoch_length = None  # first epoch of data without a length: windows of k, no flush
    S.iteration = 5
    assert window(S) == (True, False, 2)
    assert accumulation_window(2, "global")(type("G", (), {"iteration": 6, "epoch_length": 5})) == (False, True, 2)
    with pytest.raises(ValueError, match="accumulation_boundary should be 'epoch' or 'global', got 'run'"):
        accumulation_window(2, "run")


def test_resume_mid_epoch_keeps_the_windows():
    """Windows follow the epoch-relative iteration, so a run resumed mid-epoch at a window boundary steps where
    the uninterrupted run would."""
    data = worker.global_batches(6, world_size=1)
    model = worker.make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss, gradient_accumulation_steps=4)
    steps_at = []
    opt.register_step_post_hook(lambda *args: steps_at.append(trainer.state.iteration))
    trainer.load_state_dict({"iteration": 10, "epoch_length": 6, "max_epochs": 3})  # epoch 2 at position 4 of 6
    trainer.run(data)
    assert steps_at == [12, 16, 18]


@pytest.mark.distributed
def test_ddp_accumulation_all_reduces_once_per_optimizer_step(tmp_path):
    n, k, epochs, world_size = 6, 4, 2, 2
    with idist.Parallel(backend="gloo", nproc_per_node=world_size, timeout=120) as parallel:
        parallel.run(worker.run, str(tmp_path), k, n, epochs)
    steps_per_epoch = len(_windows(n, k))  # 2: a window of 4, then the 2 left flushed at the epoch end
    for rank in range(world_size):
        counts = json.loads((tmp_path / f"counts{rank}.json").read_text())
        assert counts == {"allreduces": epochs * steps_per_epoch, "steps": epochs * steps_per_epoch}

    ref = _large_batch_reference(worker.global_batches(n, world_size), k, epochs)
    for rank in range(world_size):
        params = torch.load(tmp_path / f"params{rank}.pt", weights_only=True)
        for name, value in ref.state_dict().items():
            torch.testing.assert_close(params[name], value, rtol=1e-5, atol=1e-6)


def test_no_sync_is_not_used_for_plain_models():
    from ignite.engine._accumulation import grad_sync_off

    assert grad_sync_off(nn.Linear(1, 1)) is None
    assert grad_sync_off(torch.compile(nn.Linear(1, 1), backend="eager")) is None


def test_events_see_the_stepped_model_at_epoch_end():
    """At ``EPOCH_COMPLETED`` no gradient is pending: the epoch's last (short) window has been applied."""
    data = worker.global_batches(5, world_size=1)
    model = worker.make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss, gradient_accumulation_steps=3)
    snapshots = []
    trainer.add_event_handler(
        Events.EPOCH_COMPLETED, lambda: snapshots.append([p.detach().clone() for p in model.parameters()])
    )
    trainer.run(data, max_epochs=1)
    ref = _large_batch_reference(data, 3, epochs=1)
    for p, q in zip(snapshots[0], ref.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
