"""Gradient accumulation: windows restart each epoch, a shorter last window is stepped at the epoch end, each
window's update equals one large-batch step, and only the window's last micro-step communicates gradients: one
all-reduce under DDP (also with ``compile=``), one reduce-scatter per FSDP2 module under FSDP2."""

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


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One 2-rank launch (see ``_accumulation_worker.run``): DDP; FSDP2 (root only; one ``fully_shard`` per
    Linear; that behind ``torch.compile``); DDP with ``compile=``; each with k=4 over 6 batches for 2 epochs."""
    tmp = tmp_path_factory.mktemp("accumulation")
    with idist.Parallel(backend="gloo", nproc_per_node=2, master_addr="127.0.0.1", timeout=120) as parallel:
        parallel.run(worker.run, str(tmp), 4, 6, 2)
    ref = _large_batch_reference(worker.global_batches(6, world_size=2), k=4, epochs=2).state_dict()
    return tmp, json.loads((tmp / "counts.json").read_text()), ref


@pytest.mark.distributed
def test_ddp_accumulation_all_reduces_once_per_optimizer_step(runs):
    tmp, _, ref = runs
    steps = 2 * len(_windows(6, 4))  # per epoch a window of 4, then the 2 left flushed at the epoch end
    for rank in range(2):
        counts = json.loads((tmp / f"counts{rank}.json").read_text())
        assert counts == {"allreduces": steps, "steps": steps}
        params = torch.load(tmp / f"params{rank}.pt", weights_only=True)
        for name, value in ref.items():
            torch.testing.assert_close(params[name], value, rtol=1e-5, atol=1e-6)


@pytest.mark.distributed
@pytest.mark.parametrize("name, fsdp_modules", [("root", 1), ("linear", 3), ("compiled", 3)])
def test_fsdp2_accumulation_reduce_scatters_once_per_optimizer_step(runs, name, fsdp_modules):
    tmp, counts, ref = runs
    steps = 2 * len(_windows(6, 4))  # 4 optimizer steps for 12 iterations
    # one reduce-scatter per FSDP2 parameter group and optimizer step: the root's (it holds every parameter),
    # or each Linear's (then the root holds none); without the sync switch it would be one per iteration
    groups = 1 if name == "root" else 2
    assert counts[name] == {"reduce_scatters": groups * steps, "steps": steps, "fsdp_modules": fsdp_modules}
    params = torch.load(tmp / f"fsdp_{name}.pt", weights_only=True)
    for key, value in ref.items():
        torch.testing.assert_close(params[key], value, rtol=1e-5, atol=1e-6)


@pytest.mark.distributed
def test_compiled_ddp_accumulation_all_reduces_once_per_step_and_compiles_once(runs):
    tmp, counts, ref = runs
    steps = 2 * len(_windows(6, 4))
    got = counts["ddp_compiled"]
    assert got["allreduces"] == steps and got["steps"] == steps
    # one graph in the first epoch (in and out of no_sync alike), none in the second
    assert got["frames"] == [1, 1]
    params = torch.load(tmp / "ddp_compiled.pt", weights_only=True)
    for key, value in ref.items():
        torch.testing.assert_close(params[key], value, rtol=1e-5, atol=1e-6)


def test_fsdp2_sync_switch_restores_sync_and_is_found_through_compile():
    """Single process (world of 1, gloo): the context turns gradient sync off on every FSDP2 module and back on,
    also when the micro-step raises; ``torch.compile``'s wrapper is looked through."""
    import torch.distributed as dist

    from ignite.distributed._fsdp import apply_fsdp
    from ignite.engine._accumulation import fsdp2_modules, grad_sync_off

    def sync_flags(m):  # FSDP2's own switch, read on each parameter group
        return [g.reduce_grads for mod in fsdp2_modules(m) for g in mod._get_fsdp_state()._fsdp_param_groups]

    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        model = apply_fsdp(worker.make_model(), {nn.Linear}, world_size=1, device_type="cpu")
        compiled = torch.compile(model, backend="eager")
        assert len(fsdp2_modules(compiled)) == 3
        no_sync = grad_sync_off(compiled)
        assert sync_flags(model) == [True, True]
        with no_sync():
            assert sync_flags(model) == [False, False]
        with pytest.raises(ZeroDivisionError), no_sync():
            1 / 0
        assert sync_flags(model) == [True, True]
    finally:
        dist.destroy_process_group()


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
