"""``torch.compile`` with the supervised factories: a compiled model works unchanged, ``compile=`` compiles the
step, and nothing attached to the engines makes torch compile again during a run.

Compilation is counted by ``torch._dynamo.testing.CompileCounter`` used as the backend (it runs the captured
graphs eagerly, so these tests stay cheap on CPU) and cross-checked against ``torch._dynamo``'s own counters.
"""

import copy

import pytest
import torch
import torch._dynamo
from torch import nn
from torch._dynamo.testing import CompileCounter

from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import EMAHandler, ProgressBar
from ignite.handlers.param_scheduler import CosineAnnealingScheduler
from ignite.metrics import Accuracy, Loss


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))


def _data(n=4, batch=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(batch, 6, generator=g), torch.randint(0, 3, (batch,), generator=g)) for _ in range(n)]


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    yield
    torch._dynamo.reset()


def _train(model, optimizer, epochs=2, **kwargs):
    trainer = create_supervised_trainer(model, optimizer, nn.functional.cross_entropy, **kwargs)
    trainer.run(_data(), max_epochs=epochs)
    return trainer


def test_compiled_model_works_unchanged_and_compiles_once_per_mode():
    plain = _model()
    ref = copy.deepcopy(plain)
    counter = CompileCounter()
    compiled = torch.compile(plain, backend=counter)
    opt = torch.optim.SGD(compiled.parameters(), lr=0.1, momentum=0.9)
    trainer = create_supervised_trainer(compiled, opt, nn.functional.cross_entropy)
    evaluator = create_supervised_evaluator(compiled, metrics={"acc": Accuracy()})
    counts = []

    @trainer.on(Events.EPOCH_COMPLETED)
    def _validate():
        evaluator.run(_data(2, seed=1))
        counts.append(counter.frame_count)

    trainer.run(_data(), max_epochs=3)
    # one graph for training, one for evaluation (eval mode, no grad); later epochs add none
    assert counts == [2, 2, 2]
    assert not torch._dynamo.utils.counters["recompiles"]

    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    _train(ref, ref_opt, epochs=3)
    for p, q in zip(plain.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q)


def test_compile_option_matches_eager_training():
    eager_model, compiled_model = _model(), _model()
    eager_opt = torch.optim.SGD(eager_model.parameters(), lr=0.05)
    compiled_opt = torch.optim.SGD(compiled_model.parameters(), lr=torch.tensor(0.05))
    _train(eager_model, eager_opt, gradient_accumulation_steps=3)
    _train(compiled_model, compiled_opt, gradient_accumulation_steps=3, compile={"backend": "aot_eager"})
    for p, q in zip(eager_model.parameters(), compiled_model.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 1


@pytest.mark.parametrize("tensor_lr", [True, False])
def test_whole_run_with_handlers_compiles_once(tensor_lr, tmp_path):
    """Metrics, a scheduler, EMA, a progress bar and a validation each epoch: the trainer's step is compiled
    in the first epoch and never again (with a tensor lr the optimizer step is compiled too, once)."""
    from ignite.handlers import Checkpoint, DiskSaver

    model = _model()
    lr = torch.tensor(0.1) if tensor_lr else 0.1
    # Adam: dynamo builds its state when tracing; SGD's momentum buffers appear after a first step, so torch
    # compiles a momentum SGD step twice
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    train_counter, eval_counter = CompileCounter(), CompileCounter()
    trainer = create_supervised_trainer(
        model,
        opt,
        nn.functional.cross_entropy,
        compile={"backend": train_counter, "fullgraph": True},  # the step itself has no graph break
        gradient_accumulation_steps=3,
    )
    evaluator = create_supervised_evaluator(
        model, metrics={"acc": Accuracy(), "loss": Loss(nn.functional.cross_entropy)}, compile={"backend": eval_counter}
    )
    scheduler = CosineAnnealingScheduler(opt, "lr", start_value=0.01, end_value=0.001, cycle_size=5, save_history=True)
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    EMAHandler(model, momentum=0.1).attach(trainer)
    ProgressBar(persist=False).attach(trainer, output_transform=lambda loss: {"loss": loss})
    checkpoint = Checkpoint({"model": model, "optimizer": opt}, DiskSaver(tmp_path, require_empty=False), n_saved=1)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, checkpoint)
    after_first = []
    trainer.add_event_handler(Events.EPOCH_COMPLETED(once=1), lambda: after_first.append(train_counter.frame_count))
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run(_data(2, seed=1)))

    trainer.run(_data(n=5), max_epochs=3)

    step_graphs = 2 if tensor_lr else 1  # forward+loss (+ the optimizer step)
    assert after_first == [step_graphs]
    assert train_counter.frame_count == step_graphs
    assert eval_counter.frame_count == 1
    assert not torch._dynamo.utils.counters["recompiles"]
    lrs = [v[0] for v in trainer.state.param_history["lr"]]
    assert len(set(lrs)) > 3  # the scheduler did change the learning rate
    if tensor_lr:
        assert isinstance(opt.param_groups[0]["lr"], torch.Tensor)  # updated in place, never replaced
    assert 0.0 <= evaluator.state.metrics["acc"] <= 1.0


def test_compile_with_amp_matches_eager_amp():
    models = [_model(), _model()]
    opts = [torch.optim.SGD(m.parameters(), lr=0.05) for m in models]
    amp = {"amp_mode": "amp", "device": "cpu", "amp_dtype": torch.bfloat16}
    _train(models[0], opts[0], epochs=1, **amp)
    counter = CompileCounter()
    _train(models[1], opts[1], epochs=1, compile={"backend": counter}, **amp)
    assert counter.frame_count == 1
    for p, q in zip(*(m.parameters() for m in models)):
        torch.testing.assert_close(p, q)
    evaluator = create_supervised_evaluator(models[1], compile={"backend": counter}, **amp)
    y_pred, _ = evaluator.run(_data(2)).output
    assert y_pred.dtype == torch.bfloat16  # the compiled forward ran under autocast
    assert counter.frame_count == 2


def test_compile_bad_input():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = nn.functional.cross_entropy
    with pytest.raises(RuntimeError, match="compile backend 'no-such-backend' is not available"):
        create_supervised_trainer(model, opt, loss, compile={"backend": "no-such-backend"})
    with pytest.raises(RuntimeError, match="compile backend 'no-such-backend'"):
        create_supervised_evaluator(model, compile={"backend": "no-such-backend"})
    with pytest.raises(TypeError, match="Argument compile should be a bool or a dict"):
        create_supervised_trainer(model, opt, loss, compile="inductor")
    with pytest.raises(TypeError, match="option 'backend'"):
        create_supervised_trainer(model, opt, loss, compile={"backend": 3})
    with pytest.raises(ValueError, match="compile is not supported with 'apex'"):
        create_supervised_trainer(model, opt, loss, amp_mode="apex", compile=True)


def test_compile_inductor_without_cpp_compiler_names_it(monkeypatch):
    import torch._inductor.config as inductor_config

    monkeypatch.setattr(inductor_config.cpp, "cxx", ("no-such-compiler++",))
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(RuntimeError, match="needs a C\\+\\+ compiler"):
        create_supervised_trainer(model, opt, nn.functional.cross_entropy, device="cpu", compile=True)
