"""Supervised helpers of ignite.engine (spec engine.md §9)."""

import copy
import sys

import pytest
import torch
from torch import nn

import ignite.engine as ie
from ignite.engine import (
    DeterministicEngine,
    Engine,
    _check_arg,
    _prepare_batch,
    create_supervised_evaluator,
    create_supervised_trainer,
    supervised_evaluation_step,
    supervised_evaluation_step_amp,
    supervised_training_step,
    supervised_training_step_amp,
    supervised_training_step_apex,
    supervised_training_step_tpu,
)

GRAD_ACC_MSG = (
    r"^Gradient_accumulation_steps must be strictly positive. "
    r"No gradient accumulation if the value set to one \(default\).$"
)


def test_engine_package_all():
    assert ie.__all__ == [
        "State",
        "create_supervised_trainer",
        "create_supervised_evaluator",
        "Engine",
        "DeterministicEngine",
        "Events",
        "EventsList",
        "EventEnum",
        "CallableEventWithFilter",
        "RemovableEventHandle",
        "supervised_training_step",
        "supervised_training_step_amp",
        "supervised_training_step_apex",
        "supervised_training_step_tpu",
        "supervised_evaluation_step",
        "supervised_evaluation_step_amp",
    ]
    import ignite

    assert ignite.engine.Engine is Engine


def test_prepare_batch():
    x, y = torch.ones(2, 3), torch.zeros(2)
    px, py = _prepare_batch((x, y))
    assert px is x and py is y
    px, py = _prepare_batch([x, y], device="cpu", non_blocking=True)
    assert torch.equal(px, x) and torch.equal(py, y)
    px, py = _prepare_batch(({"a": x}, [y]), device=torch.device("cpu"))
    assert torch.equal(px["a"], x) and torch.equal(py[0], y)
    # without a device: collections and tensor subclasses take the general path, bad leaves still raise
    px, py = _prepare_batch(({"a": x}, nn.Parameter(y)))
    assert px == {"a": x} and px["a"] is x and type(py) is nn.Parameter and torch.equal(py, y)
    with pytest.raises(TypeError):
        _prepare_batch((x, 1.5))


# ---------------------------------------------------------------------------------------------- numeric checks

XS = [1.0, 2.0, 3.0, 4.0, 5.0]
YS = [2.0, 3.5, 5.0, 8.0, 9.0]


def _linear_data():
    return [(torch.tensor([[x]]), torch.tensor([[y]])) for x, y in zip(XS, YS)]


@pytest.mark.parametrize("boundary", ["epoch", "global"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_training_step_formula_with_accumulation(k, boundary):
    """5 samples an epoch. ``"global"``: a step every k iterations of the run (upstream's rule, windows straddle
    epochs). ``"epoch"``: windows restart each epoch, the last one (5 mod k samples) steps at the epoch end, and
    every window's update is the mean gradient of its samples."""
    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(
        model,
        optimizer,
        nn.functional.mse_loss,
        gradient_accumulation_steps=k,
        output_transform=lambda x, y, y_pred, loss: (y_pred, loss.item()),
        accumulation_boundary=boundary,
    )
    theta = 0.0
    acc = 0.0
    count = 0
    losses = []

    @trainer.on(ie.Events.ITERATION_COMPLETED)
    def check(engine):
        nonlocal theta, acc, count
        i = engine.state.iteration
        x, y = XS[(i - 1) % 5], YS[(i - 1) % 5]
        assert engine.state.output[1] == pytest.approx((theta * x - y) ** 2, rel=1e-5, abs=1e-5)
        losses.append(engine.state.output[1])
        acc += 2 * 0.1 * x * (theta * x - y)
        count += 1
        step = i % k == 0 if boundary == "global" else count == k or i % 5 == 0
        if step:
            theta -= acc / count
            acc, count = 0.0, 0
        assert model.weight.item() == pytest.approx(theta, rel=1e-5, abs=1e-5)

    trainer.run(_linear_data(), max_epochs=2)
    assert len(losses) == 10


class _MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))

    def forward(self, x):
        return self.net(x)


def _mlp_data():
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(4, 3, generator=g), torch.randn(4, 2, generator=g)) for _ in range(5)]


@pytest.mark.parametrize("k", [1, 3])
def test_trainer_matches_hand_written_loop(k):
    torch.manual_seed(1)
    model = _MLP()
    ref_model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    ref_opt = torch.optim.SGD(ref_model.parameters(), lr=0.05, momentum=0.9)
    data = _mlp_data()
    epochs = 3

    trainer = create_supervised_trainer(
        model, optimizer, nn.functional.mse_loss, gradient_accumulation_steps=k, accumulation_boundary="global"
    )
    outputs = []
    trainer.add_event_handler(ie.Events.ITERATION_COMPLETED, lambda e: outputs.append(e.state.output))
    trainer.run(data, max_epochs=epochs)

    ref_outputs = []
    i = 0
    for _ in range(epochs):
        for x, y in data:
            i += 1
            if (i - 1) % k == 0:
                ref_opt.zero_grad()
            ref_model.train()
            loss = nn.functional.mse_loss(ref_model(x), y)
            (loss / k).backward()
            if i % k == 0:
                ref_opt.step()
            ref_outputs.append(loss.item())

    for p, q in zip(model.parameters(), ref_model.parameters()):
        assert torch.allclose(p, q, atol=1e-6)
    assert outputs == pytest.approx(ref_outputs, abs=1e-6)
    assert isinstance(trainer.state.output, float)


def test_gradient_accumulation_errors():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for bad in (0, -1):
        with pytest.raises(ValueError, match=GRAD_ACC_MSG):
            supervised_training_step(model, opt, nn.functional.mse_loss, gradient_accumulation_steps=bad)
        with pytest.raises(ValueError, match=GRAD_ACC_MSG):
            supervised_training_step_amp(model, opt, nn.functional.mse_loss, gradient_accumulation_steps=bad)
        with pytest.raises(ValueError, match=GRAD_ACC_MSG):
            create_supervised_trainer(model, opt, nn.functional.mse_loss, gradient_accumulation_steps=bad)


def test_training_step_transforms_and_custom_prepare_batch():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    calls = {}

    def prepare_batch(batch, device=None, non_blocking=False):
        calls["prepare"] = (device, non_blocking)
        return batch["x"], batch["y"]

    def model_fn(m, x):
        calls["model_fn"] = True
        return {"out": m(x)}

    def model_transform(output):
        return output["out"]

    def output_transform(x, y, y_pred, loss):
        return {"x": x, "y": y, "y_pred": y_pred, "loss": loss}

    step = supervised_training_step(
        model,
        opt,
        nn.functional.mse_loss,
        device="cpu",
        non_blocking=True,
        prepare_batch=prepare_batch,
        model_transform=model_transform,
        output_transform=output_transform,
        model_fn=model_fn,
    )
    engine = Engine(step)
    model.eval()
    batch = {"x": torch.ones(3, 2), "y": torch.zeros(3, 1)}
    state = engine.run([batch])
    assert calls == {"prepare": ("cpu", True), "model_fn": True}
    assert model.training  # model.train() was called
    out = state.output
    assert out["y_pred"].shape == (3, 1)
    assert out["loss"].item() == pytest.approx(nn.functional.mse_loss(out["y_pred"], out["y"]).item())


def test_training_step_unscaled_loss_returned():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    step = supervised_training_step(
        model, opt, nn.functional.mse_loss, gradient_accumulation_steps=4, output_transform=lambda x, y, yp, loss: loss
    )
    engine = Engine(step)
    x, y = torch.ones(2, 1), torch.full((2, 1), 3.0)
    out = engine.run([(x, y)]).output
    assert out.item() == pytest.approx(nn.functional.mse_loss(model(x), y).item(), rel=1e-5)


def test_evaluation_step():
    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    seen = {}

    def output_transform(x, y, y_pred):
        seen["grad"] = torch.is_grad_enabled()
        return y_pred, y

    step = supervised_evaluation_step(model, output_transform=output_transform)
    model.train()
    state = Engine(step).run([(torch.tensor([[1.0], [2.0]]), torch.tensor([[3.0], [4.0]]))])
    assert not model.training and seen["grad"] is False
    y_pred, y = state.output
    assert torch.equal(y_pred, torch.zeros(2, 1)) and torch.equal(y, torch.tensor([[3.0], [4.0]]))
    assert not y_pred.requires_grad


def test_create_supervised_evaluator_metrics_and_defaults():
    from ignite.metrics import MeanSquaredError

    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    evaluator = create_supervised_evaluator(model, metrics={"mse": MeanSquaredError()})
    assert type(evaluator) is Engine
    data = [(torch.tensor([[1.0], [2.0]]), torch.tensor([[3.0], [4.0]]))]
    state = evaluator.run(data)
    assert state.metrics["mse"] == pytest.approx(12.5)
    y_pred, y = state.output
    assert torch.equal(y, torch.tensor([[3.0], [4.0]]))

    ev2 = create_supervised_evaluator(
        model,
        model_fn=lambda m, x: m(x) + 1,
        model_transform=lambda out: out * 2,
        output_transform=lambda x, y, y_pred: y_pred.sum().item(),
        device="cpu",
    )
    assert ev2.run(data).output == pytest.approx(4.0)
    assert create_supervised_evaluator(model).state.metrics == {}


def test_create_supervised_trainer_engine_types():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss)
    assert type(trainer) is Engine
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss, deterministic=True)
    assert isinstance(trainer, DeterministicEngine)
    assert not hasattr(trainer.state, "scaler")


def test_create_supervised_trainer_device_not_moving_model():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss, device=torch.device("cpu"))
    trainer.run(_linear_data())
    assert next(model.parameters()).device.type == "cpu"


# ---------------------------------------------------------------------------------------------- _check_arg


def test_check_arg():
    with pytest.raises(
        ValueError,
        match=r"^amp_mode cannot be used with mps device. Consider using amp_mode=None or device='cuda'.$",
    ):
        _check_arg(False, True, "amp", None)
    import ignite.distributed as idist

    if not idist.has_xla_support:
        with pytest.raises(RuntimeError, match=r"^In order to run on TPU, please install PyTorch XLA$"):
            _check_arg(True, False, None, None)
    with pytest.raises(
        ValueError, match=r"^scaler argument is True, but amp_mode is None. Consider using amp_mode='amp'.$"
    ):
        _check_arg(False, False, None, True)
    with pytest.raises(ValueError, match=r"^scaler argument is True, but amp_mode is apex."):
        _check_arg(False, False, "apex", True)
    assert _check_arg(False, False, None, None) == (None, None)
    assert _check_arg(False, False, "apex", False) == ("apex", None)
    assert _check_arg(False, True, None, False) == (None, None)
    mode, scaler = _check_arg(False, False, "amp", True)
    assert mode == "amp" and isinstance(scaler, torch.amp.GradScaler)
    user_scaler = torch.amp.GradScaler(enabled=False)
    assert _check_arg(False, False, "amp", user_scaler) == ("amp", user_scaler)
    assert _check_arg(False, False, "amp", False) == ("amp", None)


def test_check_arg_tpu_with_xla(monkeypatch):
    import ignite.distributed as idist

    monkeypatch.setattr(idist, "has_xla_support", True)
    with pytest.raises(
        ValueError, match=r"^amp_mode cannot be used with xla device. Consider using amp_mode=None or device='cuda'.$"
    ):
        _check_arg(True, False, "amp", None)
    assert _check_arg(True, False, None, None) == ("tpu", None)


def test_check_arg_scaler_import_error(monkeypatch):
    import torch.amp

    monkeypatch.delattr(torch.amp, "GradScaler")
    with pytest.raises(ImportError, match=r"^Please install torch>=2.3.1 to use scaler argument.$"):
        _check_arg(False, False, "amp", True)


def test_create_supervised_trainer_scaler_on_state():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss, amp_mode="amp", scaler=True)
    assert isinstance(trainer.state.scaler, torch.amp.GradScaler)
    user_scaler = torch.amp.GradScaler(enabled=False)
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss, amp_mode="amp", scaler=user_scaler)
    assert not hasattr(trainer.state, "scaler")
    with pytest.raises(ValueError, match=r"scaler argument is True, but amp_mode is None"):
        create_supervised_trainer(model, opt, nn.functional.mse_loss, scaler=True)


def test_check_arg_looked_up_at_call_time(monkeypatch):
    """Frameworks replace ``ignite.engine._check_arg``: the factories use the replacement's answer."""
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler(enabled=False)
    received = []

    def replacement(on_tpu, on_mps, amp_mode, scaler_arg):
        received.append((on_tpu, on_mps, amp_mode, scaler_arg))
        return None, scaler

    monkeypatch.setattr(ie, "_check_arg", replacement)
    # scaler=True with amp_mode=None: the real check raises, the replacement lets it through with its scaler
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss, scaler=True)
    assert trainer.state.scaler is scaler
    assert trainer.run(_linear_data()).iteration == len(XS)
    # the mps flag reaches the check: the real one would refuse amp on mps
    create_supervised_evaluator(model, device="mps:0")
    assert received == [(False, False, None, True), (False, True, None, None)]


def test_device_flags_reach_the_check():
    """``device`` decides the TPU/MPS flags: xla refuses to run without torch_xla, mps refuses amp."""
    import ignite.distributed as idist

    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    if not idist.has_xla_support:
        for device in ("xla:0", torch.device("xla", 0)):
            with pytest.raises(RuntimeError, match=r"^In order to run on TPU, please install PyTorch XLA$"):
                create_supervised_trainer(model, opt, nn.functional.mse_loss, device=device)
    for factory in (
        lambda: create_supervised_trainer(model, opt, nn.functional.mse_loss, device="mps:0", amp_mode="amp"),
        lambda: create_supervised_evaluator(model, device=torch.device("mps"), amp_mode="amp"),
    ):
        with pytest.raises(ValueError, match=r"^amp_mode cannot be used with mps device"):
            factory()
    trainer = create_supervised_trainer(model, opt, nn.functional.mse_loss, device=torch.device("cpu"))
    assert trainer.run(_linear_data()).iteration == len(XS)


@pytest.mark.parametrize(
    "mode, name, with_scaler",
    [
        (None, "supervised_training_step", False),
        ("unknown", "supervised_training_step", False),
        ("amp", "supervised_training_step_amp", True),
        ("apex", "supervised_training_step_apex", False),
        ("tpu", "supervised_training_step_tpu", False),
    ],
)
def test_step_factories_looked_up_at_call_time(monkeypatch, mode, name, with_scaler):
    """Frameworks replace the step factories of ``ignite.engine``: the trainer runs the replacement's step,
    built from the trainer's arguments in upstream's positional order."""
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler(enabled=False) if with_scaler else None
    monkeypatch.setattr(ie, "_check_arg", lambda *args: (mode, scaler))
    built = []

    def factory(*args):
        built.append(args)
        return lambda engine, batch: ("custom step", batch)

    monkeypatch.setattr(ie, name, factory)

    def loss_fn(y_pred, y):
        return nn.functional.mse_loss(y_pred, y)

    def prepare(batch, device=None, non_blocking=False):
        return batch

    def model_transform(out):
        return out

    def output_transform(x, y, y_pred, loss):
        return loss

    def model_fn(m, x):
        return m(x)

    trainer = create_supervised_trainer(
        model,
        opt,
        loss_fn,
        "cpu",
        True,
        prepare,
        model_transform,
        output_transform,
        gradient_accumulation_steps=3,
        model_fn=model_fn,
        **({"amp_mode": "amp"} if with_scaler else {}),
    )
    assert isinstance(trainer, Engine)
    assert trainer.run(["b0", "b1"]).output == ("custom step", "b1")
    (args,) = built
    assert args[:8] == (model, opt, loss_fn, "cpu", True, prepare, model_transform, output_transform)
    assert args[8:] == ((scaler, 3, model_fn) if with_scaler else (3, model_fn))


@pytest.mark.parametrize(
    "mode, name", [(None, "supervised_evaluation_step"), ("amp", "supervised_evaluation_step_amp")]
)
def test_evaluation_factories_looked_up_at_call_time(monkeypatch, mode, name):
    model = nn.Linear(1, 1)
    monkeypatch.setattr(ie, "_check_arg", lambda *args: (mode, None))
    built = []

    def factory(*args, **kwargs):
        built.append((args, kwargs))
        return lambda engine, batch: ("custom evaluation", batch)

    monkeypatch.setattr(ie, name, factory)

    def prepare(batch, device=None, non_blocking=False):
        return batch

    def model_transform(out):
        return out

    def output_transform(x, y, y_pred):
        return y_pred

    def model_fn(m, x):
        return m(x)

    evaluator = create_supervised_evaluator(
        model,
        device="cpu",
        non_blocking=True,
        prepare_batch=prepare,
        model_transform=model_transform,
        output_transform=output_transform,
        model_fn=model_fn,
    )
    assert evaluator.run(["b0"]).output == ("custom evaluation", "b0")
    ((args, kwargs),) = built
    assert args[0] is model
    assert (args[1] if len(args) > 1 else kwargs["device"]) == "cpu"
    assert kwargs["non_blocking"] is True and kwargs["prepare_batch"] is prepare
    assert kwargs["model_transform"] is model_transform
    assert kwargs["output_transform"] is output_transform and kwargs["model_fn"] is model_fn


# ---------------------------------------------------------------------------------------------- optional backends


def test_apex_missing():
    try:
        import apex  # noqa: F401

        pytest.skip("apex installed")
    except ModuleNotFoundError:
        pass
    with pytest.raises(
        ModuleNotFoundError, match=r"^Please install apex from https://github.com/nvidia/apex to use amp_mode='apex'.$"
    ):
        supervised_training_step_apex(None, None, None)
    model = nn.Linear(1, 1)
    with pytest.raises(ModuleNotFoundError, match="Please install apex"):
        create_supervised_trainer(
            model, torch.optim.SGD(model.parameters(), lr=0.1), nn.functional.mse_loss, amp_mode="apex"
        )


def test_tpu_missing():
    try:
        import torch_xla  # noqa: F401

        pytest.skip("torch_xla installed")
    except ModuleNotFoundError:
        pass
    with pytest.raises(ModuleNotFoundError, match=r"^torch_xla cannot be imported, please install PyTorch XLA.$"):
        supervised_training_step_tpu(model=None, optimizer=None, loss_fn=None)


def test_amp_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.amp", None)
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ImportError, match=r"^Please install torch>=1.12.0 to use amp_mode='amp'.$"):
        supervised_training_step_amp(model, opt, nn.functional.mse_loss)
    with pytest.raises(ImportError, match=r"^Please install torch>=1.12.0 to use amp_mode='amp'.$"):
        supervised_training_step_amp(model, opt, nn.functional.mse_loss, gradient_accumulation_steps=0)
    with pytest.raises(ImportError, match=r"^Please install torch>=1.12.0 to use amp_mode='amp'.$"):
        supervised_evaluation_step_amp(model)


def test_amp_autocast_looked_up_at_factory_call(monkeypatch):
    import torch.amp

    entered = []

    class FakeAutocast:
        def __init__(self, device_type, enabled=True, **kwargs):
            entered.append((device_type, enabled))

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

    monkeypatch.setattr(torch.amp, "autocast", FakeAutocast)
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    step = supervised_training_step_amp(model, opt, nn.functional.mse_loss)
    Engine(step).run(_linear_data()[:2])
    assert entered == [("cuda", True), ("cuda", True)]
    entered.clear()
    step = supervised_evaluation_step_amp(model)
    Engine(step).run(_linear_data()[:1])
    assert entered == [("cuda", True)]


def test_amp_with_scaler_trains_as_without_and_steps_every_k():
    """A real (CPU) GradScaler: the loss is scaled for backward and unscaled for the step, so a power-of-two scale
    leaves the trained parameters exactly as without a scaler; with accumulation over 2 of 4 batches it steps
    (and grows its scale) twice."""

    def train(scaler):
        torch.manual_seed(0)
        model = nn.Linear(1, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        before = [p.detach().clone() for p in model.parameters()]
        step = supervised_training_step_amp(
            model, opt, nn.functional.mse_loss, device="cpu", scaler=scaler, gradient_accumulation_steps=2
        )
        Engine(step).run(_linear_data()[:4])
        assert any(not torch.equal(p, b) for p, b in zip(model.parameters(), before))
        return list(model.parameters())

    scaler = torch.amp.GradScaler("cpu", init_scale=16.0, growth_interval=1)
    for p, q in zip(train(scaler), train(False)):
        assert torch.equal(p, q)
    assert scaler.get_scale() == 16.0 * 2 * 2  # two steps, each growing the scale (growth_interval=1)


def test_amp_on_cpu_runs():
    """Beyond upstream (spec §13.20): autocast follows ``device``, so amp works on CPU."""
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(
        model,
        opt,
        nn.functional.mse_loss,
        device="cpu",
        amp_mode="amp",
        output_transform=lambda x, y, y_pred, loss: (y_pred, loss.item()),
    )
    state = trainer.run([(torch.randn(3, 4), torch.randn(3, 2))])
    assert state.output[0].dtype == torch.bfloat16
    evaluator = create_supervised_evaluator(model, device="cpu", amp_mode="amp")
    assert evaluator.run([(torch.randn(3, 4), torch.randn(3, 2))]).output[0].dtype == torch.bfloat16


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_amp_and_device_mismatch():
    model = nn.Linear(4, 2).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(
        model,
        opt,
        nn.functional.mse_loss,
        device="cuda",
        amp_mode="amp",
        scaler=True,
        output_transform=lambda x, y, y_pred, loss: (y_pred, loss.item()),
    )
    state = trainer.run([(torch.randn(3, 4), torch.randn(3, 2))])
    assert state.output[0].dtype is torch.half
    assert isinstance(trainer.state.scaler, torch.amp.GradScaler)
    bad = create_supervised_trainer(model, opt, nn.functional.mse_loss)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        bad.run([(torch.randn(3, 4), torch.randn(3, 2))])


def test_trainer_and_evaluator_set_the_mode_of_every_submodule():
    # the steps skip model.train()/eval() only when no flag would change: a submodule switched by hand is
    # switched back, as with an unconditional call
    model = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    seen = []
    model[1].register_forward_hook(lambda m, i, o: seen.append((model.training, m.training)))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, opt, nn.MSELoss())
    evaluator = create_supervised_evaluator(model)
    data = [(torch.randn(3, 2), torch.randn(3, 1)) for _ in range(2)]

    @trainer.on(ie.Events.ITERATION_STARTED)
    def switch_dropout_off(_):
        model[1].eval()

    trainer.run(data, max_epochs=1)
    assert seen == [(True, True), (True, True)]
    seen.clear()
    model[1].train()  # one submodule training, the root in eval: eval() must still run
    model.training = False
    evaluator.run(data)
    assert seen == [(False, False), (False, False)]
    seen.clear()
    trainer.run(data, max_epochs=1)  # back from eval mode
    assert seen == [(True, True), (True, True)]


@pytest.mark.parametrize("k", [1, 3])
def test_trainer_output_transform_gets_the_undivided_loss(k):
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    got = []

    def out(x, y, y_pred, loss):
        got.append((loss.item(), nn.functional.mse_loss(y_pred, y).item()))
        return loss.item()

    trainer = create_supervised_trainer(model, opt, nn.MSELoss(), output_transform=out, gradient_accumulation_steps=k)
    trainer.run([(torch.randn(4, 2), torch.randn(4, 1)) for _ in range(3)], max_epochs=1)
    assert len(got) == 3 and all(abs(a - b) < 1e-6 for a, b in got)


def test_step_mode_switch_reaches_nested_submodules_and_skips_none_children():
    # a grandchild switched by hand is switched back by both steps; a ``None`` child (register_module(name,
    # None)) is skipped
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = nn.Linear(2, 4)
            self.inner = nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 1))
            self.register_module("absent", None)

        def forward(self, x):
            return self.inner(self.first(x))

    model = Net()
    inner = model.inner
    seen = []
    inner[0].register_forward_hook(lambda m, i, o: seen.append(m.training))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, opt, nn.MSELoss())
    evaluator = create_supervised_evaluator(model)
    data = [(torch.randn(3, 2), torch.randn(3, 1))]
    inner[0].eval()
    trainer.run(data, max_epochs=1)
    inner[0].train()
    evaluator.run(data)
    assert seen == [True, False]
    assert all(not m.training for m in model.modules())
