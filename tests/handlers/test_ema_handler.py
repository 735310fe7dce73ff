"""EMAHandler: the averaging formula (hand-worked and per-tensor reference), warm-up, buffers, errors, resume."""

from __future__ import annotations

import copy
import os

import pytest
import torch
from torch import nn

from ignite.engine import Engine, Events
from ignite.handlers.ema_handler import EMAHandler


class Dummy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, 2))
        self.register_buffer("running", torch.zeros(2))
        self.register_buffer("count", torch.zeros((), dtype=torch.long))


def incrementing_engine(model):
    def step(engine, batch):
        with torch.no_grad():
            model.weight.add_(1)
            model.running.add_(2)
            model.count.add_(1)

    return Engine(step)


@pytest.mark.parametrize("every, expected", [(1, 4.0625), (2, 3.5)])
def test_spec_values(every, expected):
    model = Dummy()
    ema = EMAHandler(model, momentum=0.5)
    engine = incrementing_engine(model)
    ema.attach(engine, event=Events.ITERATION_COMPLETED(every=every))
    engine.run(range(2), max_epochs=2)
    # by hand: weights 2, 3, 4, 5 after each iteration; ema starts at 1
    value = 1.0
    for w in [2, 3, 4, 5][every - 1 :: every]:
        value = 0.5 * value + 0.5 * w
    assert value == expected
    assert torch.equal(ema.ema_model.weight, torch.full((1, 2), expected))
    assert not ema.ema_model.weight.requires_grad or ema.ema_model.weight.grad is None


def test_matches_per_tensor_formula_bitwise():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3))
    reference = copy.deepcopy(model)
    ema = EMAHandler(model, momentum=0.01)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(engine, batch):
        opt.zero_grad()
        model(batch).pow(2).mean().backward()
        opt.step()

    engine = Engine(step)
    ema.attach(engine)
    data = [torch.randn(4, 7) for _ in range(6)]
    ref_params = [p.detach().clone() for p in reference.parameters()]
    model_states = []
    engine.add_event_handler(
        Events.ITERATION_COMPLETED, lambda e: model_states.append([p.detach().clone() for p in model.parameters()])
    )
    engine.run(data)
    for params in model_states:
        for r, p in zip(ref_params, params):
            r.mul_(1 - 0.01).add_(p, alpha=0.01)
    for r, e in zip(ref_params, ema.ema_model.parameters()):
        assert torch.equal(r, e)


def test_momentum_warmup_follows_attach_name():
    model = Dummy()
    ema = EMAHandler(model, momentum=0.5, momentum_warmup=0.1, warmup_iters=5)
    engine = incrementing_engine(model)
    seen = []
    ema.attach(engine, name="my_momentum")
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: seen.append(e.state.my_momentum))
    engine.run(range(7))
    expected = [min(0.1 + 0.4 * (k - 1) / 4, 0.5) for k in range(1, 8)]
    assert seen == pytest.approx(expected, abs=1e-15)
    assert not hasattr(engine.state, "ema_momentum")
    # the EMA used exactly those momenta
    value = torch.ones(1, 2)
    for k, m in enumerate(expected, start=2):
        value = value * (1 - m) + k * m
    assert torch.allclose(ema.ema_model.weight, value, rtol=0, atol=1e-6)
    assert ema._momentum_lambda_obj is not None and ema.momentum_scheduler is not None


def test_warmup_decreasing_momentum_is_clamped():
    model = Dummy()
    ema = EMAHandler(model, momentum=0.1, momentum_warmup=0.9, warmup_iters=3)
    assert [ema._momentum_lambda_obj(k) for k in (1, 2, 3, 4)] == pytest.approx([0.9, 0.5, 0.1, 0.1])
    assert not hasattr(EMAHandler(model), "momentum_scheduler")


def test_buffers():
    model = Dummy()
    engine = incrementing_engine(model)
    copy_ema = EMAHandler(model, momentum=0.5, handle_buffers="copy")
    update_ema = EMAHandler(model, momentum=0.5, handle_buffers="update")
    train_ema = EMAHandler(model, momentum=0.5, handle_buffers="ema_train")
    for h in (copy_ema, update_ema, train_ema):
        h.attach(engine, warn_if_exists=False)
    engine.run(range(2))
    assert copy_ema.ema_model.running.data_ptr() == model.running.data_ptr()  # aliased
    assert not copy_ema.ema_model.training and train_ema.ema_model.training
    # float buffer averaged: 0 -> 0.5*0 + 0.5*2 = 1 -> 0.5*1 + 0.5*4 = 2.5; integer buffer copied
    assert torch.equal(update_ema.ema_model.running, torch.full((2,), 2.5))
    assert update_ema.ema_model.count.item() == 2
    assert torch.equal(train_ema.ema_model.running, torch.zeros(2)) and train_ema.ema_model.count.item() == 0


def test_errors_and_warning():
    with pytest.raises(ValueError, match=r"Invalid momentum: 1.5"):
        EMAHandler(Dummy(), momentum=1.5)
    with pytest.raises(
        ValueError, match=r"model should be an instance of nn.Module or its subclasses, but gotmodel: int"
    ):
        EMAHandler(1)
    with pytest.raises(ValueError, match=r"handle_buffers can only be one of 'copy', 'update', 'ema_train', but got x"):
        EMAHandler(Dummy(), handle_buffers="x")
    engine = Engine(lambda e, b: None)
    engine.state.ema_momentum = 0.3
    with pytest.warns(UserWarning, match=r"Attribute 'ema_momentum' already exists in Engine.state. It might because"):
        EMAHandler(Dummy()).attach(engine)
    assert engine.state.ema_momentum == 0.3


def test_data_parallel_is_kept_and_ddp_unwrapped(tmp_path):
    dp = nn.DataParallel(Dummy())
    assert isinstance(EMAHandler(dp).ema_model, nn.DataParallel)

    import torch.distributed as dist

    assert not dist.is_initialized(), "a process group leaked from an earlier test"
    init = f"file://{os.path.join(tmp_path, 'store')}"
    dist.init_process_group("gloo", init_method=init, rank=0, world_size=1)
    try:
        inner = Dummy()
        ema = EMAHandler(nn.parallel.DistributedDataParallel(inner))
        assert ema.model is inner and isinstance(ema.ema_model, Dummy)
    finally:
        dist.destroy_process_group()


def test_state_dict_resume_is_exact():
    torch.manual_seed(1)
    data = [torch.randn(3, 4) for _ in range(10)]

    def build():
        torch.manual_seed(2)
        model = nn.Linear(4, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)

        def step(engine, batch):
            opt.zero_grad()
            model(batch).sum().backward()
            opt.step()

        ema = EMAHandler(model, momentum=0.2, momentum_warmup=0.05, warmup_iters=6)
        engine = Engine(step)
        ema.attach(engine)
        return model, opt, ema, engine

    model, opt, ema, engine = build()
    engine.run(data)
    full = [p.clone() for p in ema.ema_model.parameters()]

    model, opt, ema, engine = build()
    engine.run(data[:4])
    saved = {"model": model.state_dict(), "opt": opt.state_dict(), "ema": ema.state_dict()}
    model, opt, ema, engine = build()
    model.load_state_dict(saved["model"])
    opt.load_state_dict(saved["opt"])
    ema.load_state_dict(saved["ema"])
    engine.run(data[4:])
    for a, b in zip(full, ema.ema_model.parameters()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match=r"Required state attribute 'ema_model' is absent"):
        ema.load_state_dict({})
