"""FastaiLRFinder on a tiny real model: the lr schedule it runs, what it records, and that everything it changed
(model, optimizer with its param group lrs, trainer, handlers, modes, random generators) is restored."""

from __future__ import annotations

import copy
import math
import random
import sys
import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import Engine, Events, create_supervised_trainer
from ignite.handlers.lr_finder import FastaiLRFinder
from ignite.handlers.param_scheduler import PiecewiseLinear


def make_setup(optimizer_cls=torch.optim.Adam, groups=1, seed=0, generator=None):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(8, 16), nn.Dropout(0.2), nn.ReLU(), nn.Linear(16, 3))
    if groups == 1:
        optimizer = optimizer_cls(model.parameters(), lr=1e-3)
    else:
        optimizer = optimizer_cls(
            [{"params": model[0].parameters(), "lr": 1e-3}, {"params": model[3].parameters(), "lr": 2e-3}]
        )
    x = torch.randn(96, 8)
    y = (x[:, :3].argmax(dim=1) + (x[:, 3] > 1).long()) % 3
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=generator)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
    return model, optimizer, trainer, loader


def train_some(trainer, loader, epochs=1):
    trainer.run(loader, max_epochs=epochs)


def assert_same_state(a, b):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same_state(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_state(x, y)
    else:
        assert a == b and type(a) is type(b)


def test_restores_model_optimizer_trainer_and_everything_else():
    model, optimizer, trainer, loader = make_setup()
    train_some(trainer, loader)  # the optimizer has Adam moments, the trainer a finished run
    model.eval()
    model_sd = copy.deepcopy(model.state_dict())
    opt_sd = copy.deepcopy(optimizer.state_dict())
    groups = [dict(g) for g in optimizer.param_groups]
    trainer_sd = dict(trainer.state_dict())
    handlers_before = {e: list(h) for e, h in trainer._event_handlers.items()}
    opt_attrs = set(optimizer.__dict__)
    np.random.seed(3)
    random.seed(4)
    torch_rng, np_rng, py_rng = torch.get_rng_state(), np.random.get_state(), random.getstate()

    finder = FastaiLRFinder()
    with finder.attach(trainer, {"model": model, "optimizer": optimizer}, num_iter=20) as t:
        t.run(loader, max_epochs=3)
        assert len(finder.get_results()["lr"]) == 21
        assert optimizer.param_groups[0]["lr"] != groups[0]["lr"]

    assert_same_state(model.state_dict(), model_sd)
    assert_same_state(optimizer.state_dict(), opt_sd)
    assert [dict(g) for g in optimizer.param_groups] == groups  # no 'initial_lr' left behind either
    assert dict(trainer.state_dict()) == trainer_sd
    assert {e: list(h) for e, h in trainer._event_handlers.items() if h} == {
        e: h for e, h in handlers_before.items() if h
    }
    assert set(optimizer.__dict__) == opt_attrs  # torch's step wrapper removed
    assert not model.training and not model[1].training
    assert torch.equal(torch.get_rng_state(), torch_rng)
    assert random.getstate() == py_rng
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), np_rng))


@pytest.mark.parametrize("seeded_loader", [False, True])
def test_training_after_search_equals_training_without_it(seeded_loader):
    def final_weights(with_finder):
        generator = torch.Generator().manual_seed(7) if seeded_loader else None
        model, optimizer, trainer, loader = make_setup(torch.optim.SGD, seed=5, generator=generator)
        torch.manual_seed(11)
        if with_finder:
            finder = FastaiLRFinder()
            with finder.attach(trainer, {"model": model, "optimizer": optimizer}, end_lr=1.0) as t:
                t.run(loader, max_epochs=2)
        train_some(trainer, loader, epochs=2)
        return model.state_dict(), trainer.state.iteration

    (with_sd, it1), (without_sd, it2) = final_weights(True), final_weights(False)
    assert it1 == it2 == 24
    assert_same_state(with_sd, without_sd)


def test_restores_after_an_exception_in_the_block():
    model, optimizer, trainer, loader = make_setup()
    model_sd = copy.deepcopy(model.state_dict())
    finder = FastaiLRFinder()

    @trainer.on(Events.ITERATION_COMPLETED(once=5))
    def boom(engine):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        with finder.attach(trainer, {"model": model, "optimizer": optimizer}) as t:
            t.run(loader)
    assert_same_state(model.state_dict(), model_sd)
    assert optimizer.param_groups[0]["lr"] == 1e-3
    for handler in (finder._run, finder._warning, finder._detach, finder._log_lr_and_loss):
        assert not trainer.has_event_handler(handler)
    trainer.remove_event_handler(boom, Events.ITERATION_COMPLETED)
    trainer.run(loader, max_epochs=1)
    assert trainer.state.iteration == 12


@pytest.mark.parametrize("step_mode", ["exp", "linear"])
@pytest.mark.parametrize("record_lr_used", [False, True], ids=["spec-record", "record_lr_used"])
def test_schedule_values(step_mode, record_lr_used):
    """Spec handlers.md §7: the recorded lr of iteration i is the one the schedule sets after it (exp: step
    index ``s = i``, the first iteration already at ``s = 1``; linear: ``k = i - 1``). With ``record_lr_used``,
    the lr each iteration trained with, from ``start_lr`` to ``end_lr``."""
    model, optimizer, trainer, loader = make_setup()
    finder = FastaiLRFinder()
    lrs_used = []
    trainer.add_event_handler(Events.ITERATION_STARTED, lambda e: lrs_used.append(optimizer.param_groups[0]["lr"]))
    with finder.attach(
        trainer, {"model": model, "optimizer": optimizer}, num_iter=10, start_lr=1e-4, end_lr=1.0,
        step_mode=step_mode, diverge_th=float("inf"), record_lr_used=record_lr_used,
    ) as t:  # fmt: skip
        with pytest.warns(UserWarning, match=r"Run completed without loss diverging"):
            t.run(loader, max_epochs=2)
    i = np.arange(1, 12)  # 11 iterations: the search stops after num_iter + 1
    results = finder.get_results()
    if record_lr_used:
        k = i - 1
        expected = 1e-4 * (1.0 / 1e-4) ** (k / 10) if step_mode == "exp" else 1e-4 + (1.0 - 1e-4) * k / 10
        assert results["lr"] == pytest.approx(expected.tolist(), rel=1e-12)
        assert results["lr"] == lrs_used  # each recorded lr is the one its iteration trained with
        assert results["lr"][0] == pytest.approx(1e-4) and results["lr"][-1] == pytest.approx(1.0)
    else:
        if step_mode == "exp":
            expected = 1e-4 * (1.0 / 1e-4) ** (i / 10)
            first_used = expected[0]  # the torch scheduler's construction already stepped once
        else:
            expected = 1e-4 + (1.0 - 1e-4) * (i - 1) / 10
            first_used = 1e-4
        assert results["lr"] == pytest.approx(expected.tolist(), rel=1e-12)
        # iteration i + 1 trains with the lr recorded for iteration i
        assert lrs_used == pytest.approx([first_used, *expected[:-1].tolist()], rel=1e-12)
    assert len(results["loss"]) == 11 and all(isinstance(v, float) for v in results["loss"])


def _lr_driven_search(losses_of_lr, num_iter, **kwargs):
    """A search whose loss is a known function of the lr its iteration trains with."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.5)
    used = []

    def step(engine, batch):
        lr = optimizer.param_groups[0]["lr"]
        used.append(lr)
        return losses_of_lr(lr)

    trainer = Engine(step)
    finder = FastaiLRFinder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with finder.attach(trainer, {"optimizer": optimizer}, num_iter=num_iter, **kwargs) as t:
            t.run(range(100))
    return finder, optimizer, used


def test_hand_worked_exp_record_and_suggestion():
    """8-step exponential search from 1e-3 to 1 without smoothing, loss = (log10(lr) + 1.5)^2 + 1."""

    def loss(lr):
        return (math.log10(lr) + 1.5) ** 2 + 1.0

    finder, optimizer, used = _lr_driven_search(
        loss, num_iter=8, start_lr=1e-3, end_lr=1.0, smooth_f=0.0, diverge_th=1e9
    )
    lr = [1e-3 * 1000 ** (s / 8) for s in range(1, 10)]  # lr_s of the spec's formula, s = 1..9
    history = finder.get_results()
    assert history["lr"] == pytest.approx(lr, rel=1e-12)
    assert used == pytest.approx([lr[0], *lr[:-1]], rel=1e-12)
    assert history["loss"] == pytest.approx([loss(v) for v in used], rel=1e-12)

    # lr_suggestion by hand. log10 of the lrs used: -2.625, -2.625, -2.25, -1.875, -1.5, ...; losses - 1:
    # 1.265625, 1.265625, 0.5625, 0.140625, 0 (the minimum, index 4), ...; central differences at indices
    # 1, 2, 3: -0.3515625, -0.5625, -0.28125 -> steepest at index 2 -> the lr recorded at index 2, lr_3
    losses = history["loss"]
    assert losses.index(min(losses)) == 4
    grads = [0.5 * (losses[j + 1] - losses[j - 1]) for j in (1, 2, 3)]
    assert grads == pytest.approx([-0.3515625, -0.5625, -0.28125], rel=1e-9)
    assert finder.lr_suggestion() == pytest.approx(10**-1.875, rel=1e-12) == history["lr"][2]
    finder.apply_suggested_lr(optimizer)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(10**-1.875, rel=1e-12)


def test_hand_worked_exp_record_lr_used():
    def loss(lr):
        return (math.log10(lr) + 1.5) ** 2 + 1.0

    finder, _, used = _lr_driven_search(
        loss, num_iter=8, start_lr=1e-3, end_lr=1.0, smooth_f=0.0, diverge_th=1e9, record_lr_used=True
    )
    lr = [1e-3 * 1000 ** (k / 8) for k in range(0, 9)]  # from start_lr, reaching end_lr at iteration 9
    assert finder.get_results()["lr"] == pytest.approx(lr, rel=1e-12) and used == finder.get_results()["lr"]
    # log10 of the lrs: -3, -2.625, -2.25, -1.875, -1.5 (the minimum, index 4); losses - 1: 2.25, 1.265625,
    # 0.5625, 0.140625, 0; central differences at 1, 2, 3: -0.84375, -0.5625, -0.28125 -> index 1
    assert finder.get_results()["loss"].index(min(finder.get_results()["loss"])) == 4
    assert finder.lr_suggestion() == pytest.approx(10**-2.625, rel=1e-12)


def test_record_lr_used_is_keyword_only_and_checked():
    model, optimizer, trainer, _ = make_setup()
    finder = FastaiLRFinder()
    with pytest.raises(TypeError):
        finder.attach(trainer, {"optimizer": optimizer}, None, None, None, 10.0, "exp", 0.05, 5.0, True)
    with pytest.raises(TypeError, match=r"^Argument record_lr_used should be a bool"):
        with finder.attach(trainer, {"optimizer": optimizer}, record_lr_used="yes"):
            pass


def test_data_without_length_needs_num_iter():
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=1e-3)

    def endless():
        while True:
            yield 1.0

    trainer = Engine(lambda e, b: 1.0)
    finder = FastaiLRFinder()
    with pytest.raises(ValueError, match=r"data has no length\. Please pass num_iter to attach\(\)"):
        with finder.attach(trainer, {"optimizer": optimizer}) as t:
            t.run(endless())
    assert optimizer.param_groups[0]["lr"] == 1e-3  # restored

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with finder.attach(trainer, {"optimizer": optimizer}, num_iter=6, end_lr=1.0) as t:
            t.run(endless())
            assert t.state.iteration == 7  # num_iter + 1, as for sized data
    assert finder.get_results()["lr"] == pytest.approx([1e-3 * 1000 ** (s / 6) for s in range(1, 8)], rel=1e-12)

    # max_iters bounds a run over such data: num_iter defaults to it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with finder.attach(trainer, {"optimizer": optimizer}, end_lr=1.0) as t:
            t.run(endless(), max_iters=5)
    assert len(finder.get_results()["lr"]) == 5


def test_loss_smoothing_and_divergence():
    model, optimizer, trainer, loader = make_setup(torch.optim.SGD)
    raw = []
    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: raw.append(e.state.output))
    finder = FastaiLRFinder()
    with finder.attach(trainer, {"model": model, "optimizer": optimizer}, end_lr=1e6, smooth_f=0.3) as t:
        t.run(loader, max_epochs=5)
    loss = finder.get_results()["loss"]
    smoothed = [raw[0]]
    for value in raw[1 : len(loss)]:
        smoothed.append(0.3 * value + 0.7 * smoothed[-1])
    assert loss == pytest.approx(smoothed, rel=1e-12)
    assert finder._diverge_flag and loss[-1] > 5.0 * min(loss)
    assert trainer.state.iteration < 60  # stopped early; then the trainer state was restored
    assert len(raw) == len(loss)


def test_num_iter_longer_than_the_run():
    model, optimizer, trainer, loader = make_setup()
    finder = FastaiLRFinder()
    with finder.attach(trainer, {"model": model, "optimizer": optimizer}, num_iter=30, diverge_th=1e9) as t:
        t.run(loader, max_epochs=1)  # 12 iterations per epoch
        assert t.state.iteration == 30 and t.state.max_epochs == 3
    assert len(finder.get_results()["lr"]) == 30
    assert trainer.state.max_epochs == 1 or trainer.state.max_epochs is None


def test_multiple_param_groups():
    model, optimizer, trainer, loader = make_setup(torch.optim.SGD, groups=2)
    finder = FastaiLRFinder()
    with finder.attach(
        trainer, {"model": model, "optimizer": optimizer}, num_iter=6, start_lr=[1e-4, 1e-3], end_lr=[1.0, 10.0],
        diverge_th=1e9,
    ) as t:  # fmt: skip
        t.run(loader)
    lrs = finder.get_results()["lr"]
    assert len(lrs) == 7 and all(isinstance(v, list) and len(v) == 2 for v in lrs)
    for s, row in enumerate(lrs, start=1):
        assert row == pytest.approx([1e-4 * 1e4 ** (s / 6), 1e-3 * 1e4 ** (s / 6)], rel=1e-12)
    assert [g["lr"] for g in optimizer.param_groups] == [1e-3, 2e-3]
    with finder.attach(trainer, {"model": model, "optimizer": optimizer}, num_iter=4, step_mode="linear",
                       end_lr=[1.0, 2.0], diverge_th=1e9) as t:  # fmt: skip
        t.run(loader)
    assert finder.get_results()["lr"][-1] == pytest.approx([1.0, 2.0])
    assert finder.get_results()["lr"][0] == pytest.approx([1e-3, 2e-3])
    with finder.attach(trainer, {"model": model, "optimizer": optimizer}, num_iter=6, start_lr=[1e-4, 1e-3],
                       end_lr=[1.0, 10.0], diverge_th=1e9, record_lr_used=True) as t:  # fmt: skip
        t.run(loader)
    lrs = finder.get_results()["lr"]
    assert lrs[0] == pytest.approx([1e-4, 1e-3]) and lrs[-1] == pytest.approx([1.0, 10.0])


def test_lr_suggestion_and_apply():
    finder = FastaiLRFinder()
    with pytest.raises(RuntimeError, match=r"learning rate finder didn't run yet so lr_suggestion can't be returned"):
        finder.lr_suggestion()
    losses = [5.0, 4.9, 4.5, 3.0, 2.0, 1.8, 1.7, 3.0, 9.0]
    finder._history = {"lr": [0.1 * (i + 1) for i in range(9)], "loss": losses}
    # by hand: losses up to the minimum (index 6); central differences at 1..5: -0.25,-0.95,-1.25,-0.6,-0.15
    assert finder.lr_suggestion() == pytest.approx(0.4)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    finder.apply_suggested_lr(optimizer)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.4)
    two = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]}] * 1 + [
        {"params": [torch.zeros(1, requires_grad=True)]}], lr=1.0)  # fmt: skip
    with pytest.raises(RuntimeError, match=r"The number of parameter groups does not match .*: 1 vs 2"):
        finder.apply_suggested_lr(two)
    finder._history = {"lr": [[0.1, 1.0], [0.2, 2.0], [0.3, 3.0], [0.4, 4.0]], "loss": [3.0, 2.0, 0.5, 0.4]}
    assert finder.lr_suggestion() == [0.2, 2.0]  # differences -1.25, -0.8
    finder.apply_suggested_lr(two)
    assert [g["lr"] for g in two.param_groups] == [0.2, 2.0]
    finder._history = {"lr": [0.1, 0.2, 0.3], "loss": [1.0, 0.5, 2.0]}
    with pytest.raises(RuntimeError, match=r"FastaiLRFinder got unexpected curve shape"):
        finder.lr_suggestion()


def test_plot(monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    finder = FastaiLRFinder()
    with pytest.raises(RuntimeError, match=r"learning rate finder didn't run yet so results can't be plotted"):
        finder.plot()
    lrs = (10 ** np.linspace(-4, 0, 30)).tolist()
    losses = (2.0 + np.cos(np.linspace(0, 3.5, 30))).tolist()  # steepest descent near index 13
    finder._history = {"lr": lrs, "loss": losses}
    with pytest.raises(ValueError, match=r"skip_start cannot be negative"):
        finder.plot(skip_start=-1)
    with pytest.raises(ValueError, match=r"skip_end cannot be negative"):
        finder.plot(skip_end=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the suggestion is visible: no warning
        ax = finder.plot(skip_start=2, skip_end=3)
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "Learning rate" and ax.get_ylabel() == "Loss"
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == lrs[2:-3] and list(line.get_ydata()) == losses[2:-3]
    assert ax.get_legend().get_texts()[0].get_text() == "suggested lr for param_groups 0"
    _, given = plt.subplots()
    with pytest.warns(UserWarning, match=r"skip_start is larger than the suggested LR found"):
        assert finder.plot(skip_start=20, skip_end=0, ax=given, log_lr=False) is given
    assert given.get_xscale() == "linear"
    finder._history = {"lr": [[a, 2 * a] for a in lrs], "loss": losses}
    ax = finder.plot(skip_start=0, skip_end=0, display_suggestion=False)
    assert len(ax.get_lines()) == 2 and ax.get_legend() is None
    plt.close("all")
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ModuleNotFoundError, match=r"This method requires matplotlib to be installed"):
        finder.plot()


def test_attach_validation():
    model, optimizer, trainer, _ = make_setup()
    finder = FastaiLRFinder()
    to_save = {"model": model, "optimizer": optimizer}

    def enter(**kwargs):
        args = {"to_save": to_save, **kwargs}
        with finder.attach(trainer, **args):
            pass

    finder.attach(trainer, to_save=None)  # nothing happens before entering
    with pytest.raises(TypeError, match=r"Argument to_save should be a mapping, but given <class 'list'>"):
        enter(to_save=[model])
    with pytest.raises(TypeError, match=r"Object <class 'int'> should have `state_dict` method"):
        enter(to_save={"model": 1, "optimizer": optimizer})
    with pytest.raises(ValueError, match=r"Mapping to_save should contain 'optimizer' key"):
        enter(to_save={"model": model})
    with pytest.raises(TypeError, match=r"Object to_save\['optimizer'\] should be torch optimizer, but given"):
        enter(to_save={"optimizer": model})
    with pytest.raises(ValueError, match=r"smooth_f is outside the range \[0, 1\]"):
        enter(smooth_f=1.0)
    with pytest.raises(ValueError, match=r"diverge_th should be larger than 1"):
        enter(diverge_th=0.5)
    with pytest.raises(ValueError, match=r"step_mode should be 'exp' or 'linear', but given abc"):
        enter(step_mode="abc")
    with pytest.raises(TypeError, match=r"if provided, num_iter should be an integer, but give 1.5"):
        enter(num_iter=1.5)
    with pytest.raises(ValueError, match=r"if provided, num_iter should be positive, but give 0"):
        enter(num_iter=0)
    with pytest.raises(TypeError, match=r"start_lr should be a float or list of floats, but given <class 'int'>"):
        enter(start_lr=1)
    with pytest.raises(TypeError, match=r"end_lr should be a float or list of floats, but given <class 'int'>"):
        enter(end_lr=10)
    with pytest.raises(ValueError, match=r"Number of values of start_lr should be equal to optimizer values"):
        enter(start_lr=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"start_lr must be less than end_lr"):
        enter(start_lr=1.0, end_lr=0.5)
    assert not trainer.has_event_handler(finder._run)


def test_log_lr_and_loss_output_types():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    engine = Engine(lambda e, b: None)
    finder = FastaiLRFinder()
    finder._lr_schedule = PiecewiseLinear(optimizer, "lr", [(0, 0.5), (10, 1.0)])
    finder._history = {"lr": [], "loss": []}
    engine.state.iteration = 1
    for bad in ([10], (10, 5), 3):
        engine.state.output = bad
        with pytest.raises(TypeError, match=r"output of the engine should be of type float or 0d torch.Tensor"):
            finder._log_lr_and_loss(engine, output_transform=lambda x: x, smooth_f=0, diverge_th=1)
    engine.state.output = torch.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"if output of the engine is torch.Tensor, then it must be 0d torch.Tensor"):
        finder._log_lr_and_loss(engine, output_transform=lambda x: x, smooth_f=0, diverge_th=1)
    for good in (torch.tensor(10.0), torch.tensor([10.0]), 10.0):
        engine.state.output = good
        finder._log_lr_and_loss(engine, output_transform=lambda x: x, smooth_f=0, diverge_th=1)
        assert type(finder._history["loss"][-1]) is float and finder._history["loss"][-1] == 10.0
        assert finder._history["lr"][-1] == 0.5
    engine.state.output = {"loss": 4.0}
    finder._log_lr_and_loss(engine, output_transform=lambda x: x["loss"], smooth_f=0, diverge_th=10)
    assert finder._history["loss"][-1] == 4.0
