"""Parameter schedulers: values against hand-worked formulas and torch's own schedulers, simulate_values against
what an engine run sets, state_dict round trips (through torch.save with weights_only=True) and exact resume."""

from __future__ import annotations

import io
import math
import sys
import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as torch_sched
from torch.utils.data import DataLoader

from ignite.engine import Engine, Events
from ignite.handlers.param_scheduler import (
    BaseParamScheduler,
    BatchSizeScheduler,
    ConcatScheduler,
    CosineAnnealingScheduler,
    CyclicalScheduler,
    LinearCyclicalScheduler,
    LRScheduler,
    ParamGroupScheduler,
    ParamScheduler,
    PiecewiseLinear,
    ReduceLROnPlateauScheduler,
    _get_fake_optimizer,
    create_lr_scheduler_with_warmup,
)


def make_optimizer(lrs=(0.1,), momentum=0.0):
    params = [torch.zeros(1, requires_grad=True) for _ in lrs]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=lrs[0], momentum=momentum)


def lrs_of(optimizer, name="lr"):
    values = [g[name] for g in optimizer.param_groups]
    return values[0] if len(values) == 1 else values


def engine_values(scheduler, optimizer, n, name="lr", event=Events.ITERATION_STARTED):
    """The value each iteration trains with, scheduler attached to ``event``."""
    seen = []
    engine = Engine(lambda e, b: seen.append(lrs_of(optimizer, name)))
    engine.add_event_handler(event, scheduler)
    engine.run([0] * n, max_epochs=1)
    return seen


def call_values(scheduler, optimizer, n, name="lr"):
    out = []
    for _ in range(n):
        scheduler(None)
        out.append(lrs_of(optimizer, name))
    return out


def weights_only_round_trip(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


# ------------------------------------------------------------------------------------------ hand-worked formulas


def test_linear_cyclical_values():
    opt = make_optimizer()
    s = LinearCyclicalScheduler(opt, "lr", start_value=1.0, end_value=0.0, cycle_size=10)
    expected = [1.0, 0.8, 0.6, 0.4, 0.2, 0.0, 0.2, 0.4, 0.6, 0.8] * 2
    assert engine_values(s, opt, 20) == pytest.approx(expected, abs=1e-12)


def test_linear_cyclical_cycle_mult_and_value_mults():
    opt = make_optimizer()
    s = LinearCyclicalScheduler(
        opt, "lr", start_value=1.0, end_value=0.0, cycle_size=10, cycle_mult=2, start_value_mult=0.5, end_value_mult=2
    )
    # without warm-up the multipliers apply when the cycle restarts: cycle 2 runs 0.5 -> 0.0 * 2 -> 0.5 over 20 events
    first = [abs(k / 10 - 0.5) * 2 for k in range(10)]
    second = [0.0 + (0.5 - 0.0) * abs(k / 20 - 0.5) * 2 for k in range(20)]
    values = call_values(s, opt, 30)
    assert values == pytest.approx(first + second, abs=1e-12)
    assert s.cycle == 1 and s.cycle_size == 20


def test_linear_cyclical_monotonic_with_warmup():
    opt = make_optimizer()
    s = LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=10, warmup_duration=5, monotonic=True)
    down = [1.0 - k / 10 for k in range(11)]
    up = [0.2, 0.4, 0.6, 0.8]
    assert call_values(s, opt, 16) == pytest.approx(down + up + [1.0], abs=1e-12)


def test_linear_cyclical_errors():
    opt = make_optimizer()
    with pytest.raises(ValueError, match=r"Argument cycle_size should be positive and larger than 1, but given 1"):
        LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=1)
    with pytest.raises(ValueError, match=r"Invalid combination when warmup_duration > 0 and monotonic=False"):
        LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=10, warmup_duration=2)
    with pytest.raises(TypeError, match=r"Argument optimizer should be torch.optim.Optimizer or has attribute"):
        LinearCyclicalScheduler(object(), "lr", 1.0, 0.0, cycle_size=10)
    with pytest.raises(TypeError):
        CyclicalScheduler(opt, "lr", 1.0, 0.0, 10)  # abstract


def test_cosine_annealing_values_against_numpy():
    opt = make_optimizer()
    s = CosineAnnealingScheduler(opt, "lr", start_value=0.0, end_value=1.0, cycle_size=10)
    k = np.arange(10)
    one_cycle = 0.0 + (1.0 - 0.0) / 2 * (1 - np.cos(np.pi * k / 10))
    assert engine_values(s, opt, 30) == pytest.approx(np.tile(one_cycle, 3).tolist(), abs=1e-15)
    assert one_cycle[1] == pytest.approx(0.0244717418)
    assert one_cycle[9] == pytest.approx(0.9755282581)


def test_cosine_annealing_warmup():
    opt = make_optimizer()
    s = CosineAnnealingScheduler(opt, "lr", 0.0, 1.0, cycle_size=10, warmup_duration=2)
    k = np.arange(11)
    expected = (0.5 * (1 - np.cos(np.pi * k / 10))).tolist() + [0.5, 0.0]
    assert call_values(s, opt, 13) == pytest.approx(expected, abs=1e-15)


def test_cosine_annealing_multipliers():
    opt = make_optimizer()
    s = CosineAnnealingScheduler(
        opt, "lr", 1.0, 0.0, cycle_size=4, cycle_mult=1.5, start_value_mult=0.5, end_value_mult=1.0
    )
    c1 = [1.0 + (0.0 - 1.0) / 2 * (1 - math.cos(math.pi * k / 4)) for k in range(4)]
    c2 = [0.5 + (0.0 - 0.5) / 2 * (1 - math.cos(math.pi * k / 6)) for k in range(6)]
    assert call_values(s, opt, 10) == pytest.approx(c1 + c2, abs=1e-15)


def test_piecewise_linear_spec_example():
    opt = make_optimizer()
    s = PiecewiseLinear(opt, "lr", milestones_values=[(5, 0.5), (15, 1.0), (25, 0.0), (35, 1.0), (40, 0.5)])
    values = call_values(s, opt, 50)

    def expected(k):
        pts = [(5, 0.5), (15, 1.0), (25, 0.0), (35, 1.0), (40, 0.5)]
        if k <= 5:
            return 0.5
        if k >= 40:
            return 0.5
        for (m0, v0), (m1, v1) in zip(pts, pts[1:]):
            if m0 <= k < m1:
                return v0 + (v1 - v0) * (k - m0) / (m1 - m0)

    assert values == pytest.approx([expected(k) for k in range(50)], abs=1e-12)
    assert values[6] == pytest.approx(0.55)
    assert values[15] == 1.0 and values[25] == 0.0 and values[35] == 1.0


def test_piecewise_linear_jump_and_integers():
    opt = make_optimizer()
    s = PiecewiseLinear(opt, "lr", milestones_values=[(0, 1), (2, 1), (2, 3), (4, 5)])
    assert call_values(s, opt, 6) == [1.0, 1.0, 3.0, 4.0, 5.0, 5.0]
    assert all(isinstance(v, float) for v in call_values(PiecewiseLinear(opt, "lr", [(0, 1), (2, 3)]), opt, 3))
    # numpy integers are integral milestones
    PiecewiseLinear(opt, "lr", milestones_values=[(np.int64(0), 1.0), (np.int32(3), 0.0)])


def test_piecewise_linear_errors():
    opt = make_optimizer()
    with pytest.raises(TypeError, match=r"Argument milestones_values should be a list or tuple, but given"):
        PiecewiseLinear(opt, "lr", milestones_values=None)
    with pytest.raises(ValueError, match=r"Argument milestones_values should be with at least one value"):
        PiecewiseLinear(opt, "lr", milestones_values=[])
    with pytest.raises(ValueError, match=r"Argument milestones_values should be a list of pairs"):
        PiecewiseLinear(opt, "lr", milestones_values=[(0.5,)])
    with pytest.raises(ValueError, match=r"Argument milestones_values should be a list of pairs"):
        PiecewiseLinear(opt, "lr", milestones_values=[[0, 1.0]])
    with pytest.raises(TypeError, match=r"Value of a milestone should be integer, but given <class 'float'>"):
        PiecewiseLinear(opt, "lr", milestones_values=[(0.5, 1)])
    with pytest.raises(
        ValueError, match=r"Milestones should be increasing integers, but given 5 is smaller than the previous mi"
    ):
        PiecewiseLinear(opt, "lr", milestones_values=[(10, 0.5), (5, 0.6)])


# ------------------------------------------------------------------------------------------------ base behaviour


def test_param_group_index_and_list_values():
    opt = make_optimizer((0.1, 0.2))
    s = LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=4, param_group_index=1)
    s(None)
    s(None)
    assert lrs_of(opt) == [0.1, 0.5]

    class TwoValues(ParamScheduler):
        def get_param(self):
            return [0.3, 0.4]

    TwoValues(opt, "lr")(None)
    assert lrs_of(opt) == [0.3, 0.4]
    with pytest.raises(ValueError, match=r"size of value is different than optimizer_param_groups 2 != 1"):
        TwoValues(opt, "lr", param_group_index=0)(None)


def test_duck_typed_optimizer():
    class Wrapper:
        def __init__(self):
            self.param_groups = [{"lr": 0.0}]

    w = Wrapper()
    s = LinearCyclicalScheduler(w, "lr", 1.0, 0.0, cycle_size=2)
    s(None)
    assert w.param_groups[0]["lr"] == 1.0


def test_save_history_in_engine_state():
    opt = make_optimizer()
    s = LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=4, save_history=True)
    engine = Engine(lambda e, b: None)
    s.attach(engine)
    engine.run([0] * 5, max_epochs=1)
    assert engine.state.param_history["lr"] == [[1.0], [0.5], [0.0], [0.5], [1.0]]


def test_base_state_dict_errors():
    s = LinearCyclicalScheduler(make_optimizer(), "lr", 1.0, 0.0, cycle_size=4)
    with pytest.raises(TypeError, match=r"Argument state_dict should be a dictionary, but given <class 'list'>"):
        s.load_state_dict([])
    with pytest.raises(ValueError, match=r"Required state attribute 'event_index' is absent in provided state_dict"):
        s.load_state_dict({})
    sd = s.state_dict()
    assert list(sd)[:4] == ["event_index", "param_name", "save_history", "param_group_index"]
    with pytest.raises(TypeError):
        BaseParamScheduler("lr")


def test_fake_optimizer():
    opt = _get_fake_optimizer()
    assert isinstance(opt, torch.optim.SGD) and opt.param_groups[0]["lr"] == 0.01
    assert torch.equal(opt.param_groups[0]["params"][0], torch.zeros(1))
    adam = _get_fake_optimizer(torch.optim.Adam, lr=0.5)
    assert isinstance(adam, torch.optim.Adam) and adam.param_groups[0]["lr"] == 0.5


# --------------------------------------------------------------------------------------------------- concat


def test_concat_values_and_internals():
    opt = make_optimizer()
    s1 = LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=4)
    s2 = CosineAnnealingScheduler(opt, "lr", 0.5, 0.0, cycle_size=4)
    s3 = PiecewiseLinear(opt, "lr", [(0, 0.3), (2, 0.1)])
    concat = ConcatScheduler([s1, s2, s3], durations=[3, 2])
    assert concat._current_scheduler is s1 and concat._current_duration == 3 and concat._scheduler_index == 0
    cos = [0.5 - 0.25 * (1 - math.cos(math.pi * k / 4)) for k in range(2)]
    expected = [1.0, 0.5, 0.0] + cos + [0.3, 0.2, 0.1, 0.1]
    assert engine_values(concat, opt, 9) == pytest.approx(expected, abs=1e-12)
    assert concat._scheduler_index == 2 and concat._current_duration < 0


def test_concat_sub_schedulers_keep_their_counters():
    opt = make_optimizer()
    s1 = LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=10)
    s2 = LinearCyclicalScheduler(opt, "lr", 0.0, 1.0, cycle_size=10)
    concat = ConcatScheduler([s1, s2], durations=[2])
    call_values(concat, opt, 5)
    assert (s1.event_index, s2.event_index, concat.event_index) == (2, 3, 0)


def test_concat_errors():
    opt = make_optimizer()
    s = LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=4)
    with pytest.raises(TypeError, match=r"Argument schedulers should be a sequence, but given"):
        ConcatScheduler(schedulers=None, durations=[])
    with pytest.raises(ValueError, match=r"Argument schedulers should be of more than one parameter schedulers"):
        ConcatScheduler(schedulers=[s], durations=[])
    with pytest.raises(TypeError, match=r"Argument durations should be list/tuple, but given 10"):
        ConcatScheduler(schedulers=[s, s], durations=10)
    with pytest.raises(ValueError, match=r"Argument durations should be list/tuple of integers, but given \[1.5\]"):
        ConcatScheduler(schedulers=[s, s], durations=[1.5])
    with pytest.raises(ValueError, match=r"Incorrect number schedulers or duration values, given 2 and 2"):
        ConcatScheduler(schedulers=[s, s], durations=[1, 2])
    with pytest.raises(TypeError, match=r"Value at index 1 of schedulers should be a parameter scheduler"):
        ConcatScheduler(schedulers=[s, 12], durations=[10])
    other = LinearCyclicalScheduler(make_optimizer(), "lr", 1.0, 0.0, cycle_size=4)
    with pytest.raises(ValueError, match=r"schedulers should be related to same optimizer"):
        ConcatScheduler([s, other], durations=[10])
    mom = LinearCyclicalScheduler(opt, "momentum", 1.0, 0.0, cycle_size=4)
    with pytest.raises(ValueError, match=r"schedulers should be related to same param_name"):
        ConcatScheduler([s, mom], durations=[10])
    ConcatScheduler([s, s], durations=[np.int64(3)])  # numpy integers accepted

    concat = ConcatScheduler([s, s], durations=[3])
    with pytest.raises(TypeError, match=r"Argument state_dict should be a dictionary"):
        concat.load_state_dict(None)
    with pytest.raises(ValueError, match=r"Required state attribute 'schedulers' is absent in provided state_dict"):
        concat.load_state_dict({"a": 1})
    with pytest.raises(
        ValueError, match=r"Input state_dict contains 0 state_dicts of concatenated schedulers, but 2 needed"
    ):
        concat.load_state_dict({"schedulers": []})


def test_concat_save_history_and_simulate_param_names():
    opt = make_optimizer((0.1, 0.2), momentum=0.9)
    s1 = LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=4)
    s2 = CosineAnnealingScheduler(opt, "lr", 1.0, 0.0, cycle_size=4)
    concat = ConcatScheduler([s1, s2], durations=[2], save_history=True)
    assert s1.save_history and s2.save_history and concat.save_history
    concat.save_history = False
    assert not s1.save_history and not s2.save_history

    before = [dict(g) for g in opt.param_groups]
    sd_before = (s1.state_dict(), s2.state_dict())
    rows = ConcatScheduler.simulate_values(4, [s1, s2], durations=[2], param_names=["lr", "momentum"])
    cos1 = 1.0 - 0.5 * (1 - math.cos(math.pi / 4))
    expected = [[0, 1.0, 1.0, 0.9, 0.9], [1, 0.5, 0.5, 0.9, 0.9], [2, 1.0, 1.0, 0.9, 0.9], [3, cos1, cos1, 0.9, 0.9]]
    assert np.allclose(rows, expected, rtol=0, atol=1e-15)
    assert [dict(g) for g in opt.param_groups] == before
    assert (s1.state_dict(), s2.state_dict()) == sd_before
    with pytest.raises(TypeError, match=r"Argument param_names should be list or tuple, but given <class 'str'>"):
        ConcatScheduler.simulate_values(3, [s1, s2], durations=[2], param_names="lr")
    with pytest.raises(ValueError, match=r"Argument param_names should be list or tuple of strings, but given \[1\]"):
        ConcatScheduler.simulate_values(3, [s1, s2], durations=[2], param_names=[1])


# ------------------------------------------------------------------------------------------------- LRScheduler

TORCH_SCHEDULERS = {
    "StepLR": lambda o: torch_sched.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: torch_sched.MultiStepLR(o, milestones=[2, 5], gamma=0.1),
    "ExponentialLR": lambda o: torch_sched.ExponentialLR(o, gamma=0.9),
    "ConstantLR": lambda o: torch_sched.ConstantLR(o, factor=0.5, total_iters=3),
    "LinearLR": lambda o: torch_sched.LinearLR(o, start_factor=0.2, total_iters=4),
    "CosineAnnealingLR": lambda o: torch_sched.CosineAnnealingLR(o, T_max=5, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda o: torch_sched.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3),
    "PolynomialLR": lambda o: torch_sched.PolynomialLR(o, total_iters=6, power=2.0),
    "LambdaLR": lambda o: torch_sched.LambdaLR(o, lambda k: 0.95**k),
    "MultiplicativeLR": lambda o: torch_sched.MultiplicativeLR(o, lambda k: 0.9),
    "OneCycleLR": lambda o: torch_sched.OneCycleLR(o, max_lr=1.0, total_steps=25),
}


def torch_reference(make, n, lrs):
    """The lr of each iteration when torch's scheduler is stepped after every iteration."""
    opt = make_optimizer(lrs)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(lrs_of(opt))
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("lrs", [(0.1,), (0.1, 0.3)])
@pytest.mark.parametrize("name", list(TORCH_SCHEDULERS))
def test_lr_scheduler_matches_torch_exactly(name, lrs):
    make = TORCH_SCHEDULERS[name]
    n = 20
    expected = torch_reference(make, n, lrs)
    opt = make_optimizer(lrs)
    assert engine_values(LRScheduler(make(opt)), opt, n) == expected
    opt = make_optimizer(lrs)
    sim = LRScheduler.simulate_values(n, make(opt))
    assert [row[1:] if len(lrs) > 1 else row[1] for row in sim] == expected
    assert [row[0] for row in sim] == list(range(n))


def test_lr_scheduler_simulate_leaves_scheduler_untouched():
    opt = make_optimizer()
    sched = torch_sched.StepLR(opt, step_size=2, gamma=0.5)
    sd = dict(sched.state_dict())
    LRScheduler.simulate_values(10, sched)
    assert sched.state_dict() == sd and opt.param_groups[0]["lr"] == 0.1 and sched.last_epoch == 0


def test_lr_scheduler_legacy():
    opt = make_optimizer()
    with pytest.warns(UserWarning, match=r"Please make sure to attach scheduler to Events.ITERATION_COMPLETED"):
        s = LRScheduler(torch_sched.StepLR(opt, step_size=2, gamma=0.5), use_legacy=True)
    # attached to ITERATION_COMPLETED: iteration 1 trains with the optimizer's lr, then torch's sequence
    assert engine_values(s, opt, 6, event=Events.ITERATION_COMPLETED) == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]


def test_lr_scheduler_errors():
    with pytest.raises(TypeError, match=r"Argument lr_scheduler should be a subclass of torch.optim.lr_scheduler"):
        LRScheduler(123)
    with pytest.raises(TypeError, match=r"Argument lr_scheduler should be a subclass of torch.optim.lr_scheduler"):
        LRScheduler.simulate_values(3, lr_scheduler="x")
    with pytest.raises(TypeError, match=r"Argument lr_scheduler should be a subclass of torch.optim.lr_scheduler"):
        LRScheduler(torch_sched.ReduceLROnPlateau(make_optimizer()))


def test_lr_scheduler_state_dict_has_torch_state():
    opt = make_optimizer()
    s = LRScheduler(torch_sched.CosineAnnealingWarmRestarts(opt, T_0=3))
    call_values(s, opt, 4)
    sd = weights_only_round_trip(s.state_dict())
    assert sd["lr_scheduler"]["last_epoch"] == 4 and sd["lr_scheduler"]["T_cur"] == 0
    assert s.lr_scheduler.get_last_lr() == [opt.param_groups[0]["lr"]]


# -------------------------------------------------------------------------------------------- ParamGroupScheduler


def test_param_group_scheduler():
    opt = make_optimizer((0.0, 0.0))
    s0 = LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=2, param_group_index=0)
    s1 = PiecewiseLinear(opt, "lr", [(0, 0.0), (2, 1.0)], param_group_index=1)
    group = ParamGroupScheduler([s0, s1], names=["a", "b"], save_history=True)
    assert group.optimizer == [opt, opt] and group.param_name == ["lr", "lr"]
    assert group.get_param() == [1.0, 0.0]
    values = engine_values(group, opt, 4)
    assert values == [[1.0, 0.0], [0.0, 0.5], [1.0, 1.0], [0.0, 1.0]]
    sim = ParamGroupScheduler.simulate_values(3, [s0, s1], names=["a", "b"])
    # read before each call, continuing from the current state (restored afterwards)
    assert sim == [[0, 1.0, 1.0], [1, 0.0, 1.0], [2, 1.0, 1.0]]
    assert s0.event_index == 2 and s1.event_index == 4  # the cyclical one wrapped around
    assert len(group.optimizer_param_groups) == 2

    engine = Engine(lambda e, b: None)
    fresh = ParamGroupScheduler(
        [PiecewiseLinear(opt, "lr", [(0, 0.0), (2, 1.0)], param_group_index=i) for i in range(2)], names=["x", "y"]
    )
    fresh.save_history = True
    engine.add_event_handler(Events.ITERATION_STARTED, fresh)
    engine.run([0] * 2)
    assert engine.state.param_history == {"x": [[0.0], [0.5]], "y": [[0.0], [0.5]]}


def test_param_group_scheduler_errors():
    opt = make_optimizer((0.1, 0.2))
    s = PiecewiseLinear(opt, "lr", [(0, 0.0), (2, 1.0)], param_group_index=0)
    with pytest.raises(TypeError, match=r"Argument schedulers should be a list/tuple, but given"):
        ParamGroupScheduler(None)
    with pytest.raises(ValueError, match=r"Argument schedulers should be a list/tuple of parameter schedulers"):
        ParamGroupScheduler([s, 1])
    with pytest.raises(TypeError, match=r"Argument names should be a list/tuple, but given abc"):
        ParamGroupScheduler([s], names="abc")
    with pytest.raises(ValueError, match=r"Argument names should be a list/tuple of parameter scheduler's names"):
        ParamGroupScheduler([s], names=[1])
    with pytest.raises(ValueError, match=r"2 should be equal 1"):
        ParamGroupScheduler([s, s], names=["a"])
    group = ParamGroupScheduler([s, s], names=["a", "b"])
    with pytest.raises(TypeError, match=r"Argument state_dict should be a dictionary"):
        group.load_state_dict(None)
    with pytest.raises(ValueError, match=r"Required state attribute 'schedulers' is absent"):
        group.load_state_dict({})
    with pytest.raises(ValueError, match=r"Input state_dict contains 1 state_dicts of param group schedulers, but 2"):
        group.load_state_dict({"schedulers": [("a", s.state_dict())]})
    with pytest.raises(ValueError, match=r"Name of scheduler from input state dict does not correspond to required"):
        group.load_state_dict({"schedulers": [("a", s.state_dict()), ("c", s.state_dict())]})


# ------------------------------------------------------------------------------------------ ReduceLROnPlateau


def test_reduce_lr_on_plateau_spec_example():
    rows = ReduceLROnPlateauScheduler.simulate_values(5, [10, 9, 9, 9, 8.1], 1.0, factor=0.5, patience=2, threshold=0.1)
    assert rows == [[0, 1.0], [1, 1.0], [2, 1.0], [3, 0.5], [4, 0.5]]
    with pytest.raises(ValueError, match=r"Length of argument metric_values should be equal to num_events. 2 != 3"):
        ReduceLROnPlateauScheduler.simulate_values(3, [1, 2], 1.0)


def test_reduce_lr_on_plateau_matches_torch_and_records_history():
    rng = np.random.default_rng(0)
    metrics = (1.0 / np.arange(1, 41) + rng.uniform(0, 0.05, 40)).tolist()
    kwargs = dict(mode="min", factor=0.3, patience=1, threshold=0.01, cooldown=1, min_lr=1e-4)

    opt_ref = make_optimizer((1.0, 0.5))
    ref = torch_sched.ReduceLROnPlateau(opt_ref, **kwargs)
    expected = []
    for m in metrics:
        ref.step(m)
        expected.append(lrs_of(opt_ref))

    opt = make_optimizer((1.0, 0.5))
    trainer = Engine(lambda e, b: None)
    s = ReduceLROnPlateauScheduler(opt, "loss", trainer=trainer, save_history=True, **kwargs)
    evaluator = Engine(lambda e, b: None)
    got = []

    @evaluator.on(Events.COMPLETED)
    def set_metric(engine):
        engine.state.metrics["loss"] = metrics[len(got)]
        s(engine)
        got.append(lrs_of(opt))

    for _ in metrics:
        evaluator.run([0])
    assert got == expected
    assert trainer.state.param_history["lr"] == expected
    assert min(min(v) for v in expected) < 0.5  # the sequence did reduce


def test_reduce_lr_on_plateau_param_group_index_and_min_lr():
    opt = make_optimizer((1.0, 1.0))
    s = ReduceLROnPlateauScheduler(opt, "m", param_group_index=1, factor=0.5, patience=0, min_lr=0.3)
    engine = Engine(lambda e, b: None)
    for _ in range(4):
        engine.state.metrics["m"] = 1.0
        s(engine)
    # only group 1 moves and it stops at its own min_lr (upstream used group 0's zero)
    assert lrs_of(opt) == [1.0, 0.3]
    assert s.get_param() == 0.3

    opt = make_optimizer((1.0,))
    s = ReduceLROnPlateauScheduler(opt, "m", factor=0.5, patience=0, min_lr=0.2)
    for _ in range(5):
        engine.state.metrics["m"] = 1.0
        s(engine)
    assert lrs_of(opt) == 0.2  # the user's min_lr is honoured without param_group_index too

    with pytest.raises(TypeError, match=r"When param_group_index is given, min_lr should be a float, but given"):
        ReduceLROnPlateauScheduler(make_optimizer((1.0, 1.0)), "m", param_group_index=0, min_lr=1)
    with pytest.warns(UserWarning, match=r"Found verbose=True in provided scheduler_kwargs"):
        ReduceLROnPlateauScheduler(make_optimizer(), "m", verbose=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ReduceLROnPlateauScheduler(make_optimizer(), "m", verbose=False)
    with pytest.raises(ValueError, match=r"Argument engine should have in its 'state', attribute 'metrics' which"):
        s(Engine(lambda e, b: None))


# ---------------------------------------------------------------------------------------------- batch size


def test_batch_size_scheduler_changes_loader_batches():
    loader = DataLoader(list(range(48)), batch_size=4)
    sizes = {}
    trainer = Engine(lambda e, b: sizes.setdefault(e.state.epoch, []).append(len(b)))
    s = BatchSizeScheduler(loader, lambda k: [4, 8, 16][k], save_history=True)
    s.attach(trainer)
    assert trainer.has_event_handler(s, Events.EPOCH_STARTED)
    trainer.run(loader, max_epochs=3)
    # each epoch draws its batches at the scheduled size (the epoch length stays the first one, 12 iterations)
    assert sizes == {1: [4] * 12, 2: [8] * 12, 3: [16] * 12}
    assert loader.batch_sampler.batch_size == 16
    assert trainer.state.param_history["batch_size"] == [4, 8, 16]
    assert BatchSizeScheduler.simulate_values(3, scheduler_fn=lambda k: 2**k) == [[0, 1], [1, 2], [2, 4]]


def test_batch_size_scheduler_errors():
    loader = DataLoader(list(range(8)), batch_size=2)
    with pytest.raises(TypeError, match=r"Argument dataloader should be torch.utils.data.DataLoader, but given"):
        BatchSizeScheduler([1, 2], lambda k: 2)
    with pytest.raises(ValueError, match=r"Argument dataloader should have a BatchSampler"):
        BatchSizeScheduler(DataLoader(list(range(8)), batch_size=None), lambda k: 2)
    with pytest.raises(TypeError, match=r"Argument scheduler_fn should be callable, but given"):
        BatchSizeScheduler(loader, 2)
    for bad in (0, 2.0, True):
        s = BatchSizeScheduler(loader, lambda k, v=bad: v)
        with pytest.raises(ValueError, match=r"Batch size returned by scheduler_fn should be a positive integer"):
            s(None)
    with pytest.raises(ValueError, match=r"Argument scheduler_kwargs must contain 'scheduler_fn'"):
        BatchSizeScheduler.simulate_values(3)


# ---------------------------------------------------------------------------------------------------- warm-up


def test_warmup_with_torch_scheduler_spec_example():
    opt = make_optimizer((0.2,))
    out = [None] * 14
    s = create_lr_scheduler_with_warmup(
        torch_sched.ExponentialLR(opt, gamma=0.98), 0.01, 10, warmup_end_value=0.05, output_simulated_values=out
    )
    warm = [0.01 + (0.05 - 0.01) * k / 9 for k in range(10)]
    torch_part = torch_reference(lambda o: torch_sched.ExponentialLR(o, gamma=0.98), 4, (0.2,))
    expected = warm + torch_part
    assert engine_values(s, opt, 14) == pytest.approx(expected, abs=1e-15)
    assert [row[1] for row in out] == pytest.approx(expected, abs=1e-15)
    assert expected[9] == pytest.approx(0.05) and expected[10] == 0.2 and expected[11] == pytest.approx(0.196)


def test_warmup_end_value_none_with_torch_scheduler():
    opt = make_optimizer((0.2,))
    s = create_lr_scheduler_with_warmup(torch_sched.ExponentialLR(opt, gamma=0.98), 0.01, 10)
    values = engine_values(s, opt, 12)
    assert values[9] == 0.2 and values[10] == pytest.approx(0.196) and values[11] == pytest.approx(0.196 * 0.98)
    assert values[:9] == pytest.approx([0.01 + (0.2 - 0.01) * k / 9 for k in range(9)])


def test_warmup_with_param_scheduler_spec_example():
    opt = make_optimizer((0.0,))
    lin = LinearCyclicalScheduler(opt, "lr", 0.8, 0.0, cycle_size=10)
    out = [None] * 20
    s = create_lr_scheduler_with_warmup(lin, 0.01, 10, warmup_end_value=0.8, output_simulated_values=out)
    values = engine_values(s, opt, 20)
    d = (0.8 - 0.01) / 9
    warm = [0.01 + (0.8 - d - 0.01) * k / 8 for k in range(9)]
    cyc = [0.8 * abs(k / 10 - 0.5) * 2 for k in range(11)]
    assert values == pytest.approx(warm + cyc, abs=1e-12)
    assert values[9] == pytest.approx(0.8) and values[10] == pytest.approx(0.64)
    assert [row[1] for row in out] == pytest.approx(values, abs=1e-15)


def test_warmup_duration_two_with_param_scheduler():
    opt = make_optimizer((0.0,))
    lin = LinearCyclicalScheduler(opt, "lr", 0.8, 0.0, cycle_size=10)
    s = create_lr_scheduler_with_warmup(lin, 0.1, 2, warmup_end_value=0.8)
    assert engine_values(s, opt, 3) == pytest.approx([0.1, 0.8, 0.64])


def test_warmup_multi_group_torch_scheduler():
    # groups 0.2 (differs from the warm-up end 0.1) and 0.1 (equals it): both switch at the same event
    opt = make_optimizer((0.2, 0.1))
    s = create_lr_scheduler_with_warmup(torch_sched.StepLR(opt, step_size=2, gamma=0.5), 0.0, 4, warmup_end_value=0.1)
    values = engine_values(s, opt, 8)
    torch_part = torch_reference(lambda o: torch_sched.StepLR(o, step_size=2, gamma=0.5), 4, (0.2, 0.1))
    g0 = [0.0, 0.1 / 3, 0.2 / 3, 0.1, 0.2]
    g1 = [0.0, 0.025, 0.05, 0.075, 0.1]
    assert [v[0] for v in values] == pytest.approx(g0 + [r[0] for r in torch_part[1:]])
    assert [v[1] for v in values] == pytest.approx(g1 + [r[1] for r in torch_part[1:]])


def test_warmup_errors():
    opt = make_optimizer()
    sched = torch_sched.StepLR(opt, step_size=2)
    with pytest.raises(TypeError, match=r"Argument lr_scheduler should be a subclass of torch.optim.lr_scheduler"):
        create_lr_scheduler_with_warmup(12, 0.0, 10)
    with pytest.raises(TypeError, match=r"Argument warmup_duration should be integer, but given 2.5"):
        create_lr_scheduler_with_warmup(sched, 0.0, 2.5)
    with pytest.raises(ValueError, match=r"Argument warmup_duration should be at least 2 events, but given 1"):
        create_lr_scheduler_with_warmup(sched, 0.0, 1)
    with pytest.raises(TypeError, match=r"Argument output_simulated_values should be a list of None"):
        create_lr_scheduler_with_warmup(sched, 0.0, 5, output_simulated_values=10)


def test_warmup_cosine_annealing_warm_restarts():
    opt = make_optimizer((0.5,))
    s = create_lr_scheduler_with_warmup(
        torch_sched.CosineAnnealingWarmRestarts(opt, T_0=4, eta_min=0.0), 0.0, 3, warmup_end_value=0.25
    )
    torch_part = torch_reference(lambda o: torch_sched.CosineAnnealingWarmRestarts(o, T_0=4), 9, (0.5,))
    assert engine_values(s, opt, 12) == pytest.approx([0.0, 0.125, 0.25] + torch_part, abs=1e-15)


# ---------------------------------------------------------------------------- simulate == engine, exact resume


def _reduce_factory(opt):
    return ReduceLROnPlateauScheduler(opt, "m", factor=0.5, patience=1)


FACTORIES = {
    "linear_cyclical": lambda opt: LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, cycle_size=6, cycle_mult=2),
    "linear_warmup": lambda opt: LinearCyclicalScheduler(opt, "lr", 1.0, 0.0, 6, warmup_duration=3, monotonic=True),
    "cosine": lambda opt: CosineAnnealingScheduler(opt, "lr", 0.5, 0.01, cycle_size=7, start_value_mult=0.9),
    "piecewise": lambda opt: PiecewiseLinear(opt, "lr", [(2, 0.1), (6, 1.0), (9, 0.2), (9, 0.5), (20, 0.0)]),
    "concat": lambda opt: ConcatScheduler(
        [
            LinearCyclicalScheduler(opt, "lr", 0.0, 1.0, cycle_size=8),
            CosineAnnealingScheduler(opt, "lr", 1.0, 0.0, cycle_size=10),
        ],
        durations=[5],
    ),
    "lr_exponential": lambda opt: LRScheduler(torch_sched.ExponentialLR(opt, gamma=0.9)),
    "lr_cosine": lambda opt: LRScheduler(torch_sched.CosineAnnealingLR(opt, T_max=7)),
    "lr_warm_restarts": lambda opt: LRScheduler(torch_sched.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)),
    "lr_onecycle": lambda opt: LRScheduler(torch_sched.OneCycleLR(opt, max_lr=1.0, total_steps=30)),
    "warmup_torch": lambda opt: create_lr_scheduler_with_warmup(
        torch_sched.ExponentialLR(opt, gamma=0.9), 0.0, 5, warmup_end_value=0.05
    ),
    "warmup_param": lambda opt: create_lr_scheduler_with_warmup(
        CosineAnnealingScheduler(opt, "lr", 0.5, 0.0, cycle_size=9), 0.0, 4
    ),
    "param_group": lambda opt: ParamGroupScheduler(
        [PiecewiseLinear(opt, "lr", [(0, 0.0), (11, 1.0)], param_group_index=0)]
    ),
}


def _simulate_kwargs(scheduler):
    names = ["param_name", "start_value", "end_value", "cycle_size", "cycle_mult", "start_value_mult"]
    names += ["end_value_mult", "warmup_duration", "monotonic"]
    if isinstance(scheduler, PiecewiseLinear):
        return dict(param_name="lr", milestones_values=list(zip(scheduler.milestones, scheduler.values)))
    return {k: getattr(scheduler, k) for k in names if hasattr(scheduler, k)}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_simulate_values_match_engine_run(name):
    make = FACTORIES[name]
    n = 25
    opt = make_optimizer((0.5,))
    actual = engine_values(make(opt), opt, n)
    opt2 = make_optimizer((0.5,))
    scheduler = make(opt2)
    before = scheduler.state_dict()
    lr_before = opt2.param_groups[0]["lr"]
    if isinstance(scheduler, ConcatScheduler):
        rows = ConcatScheduler.simulate_values(n, scheduler.schedulers, scheduler.durations)
        assert [r[1] for r in rows] == actual
    elif isinstance(scheduler, LRScheduler):
        rows = LRScheduler.simulate_values(n, scheduler.lr_scheduler)
        assert [r[1] for r in rows] == actual
    elif isinstance(scheduler, ParamGroupScheduler):
        rows = ParamGroupScheduler.simulate_values(n, scheduler.schedulers)
        assert [r[1] for r in rows] == actual
    else:
        rows = type(scheduler).simulate_values(n, **_simulate_kwargs(scheduler))
        assert [r[1] for r in rows] == actual
    assert scheduler.state_dict() == before
    assert opt2.param_groups[0]["lr"] == lr_before


def test_simulate_values_classmethods_match_engine():
    kwargs = dict(param_name="lr", start_value=1.0, end_value=0.0, cycle_size=6, cycle_mult=1.5)
    rows = LinearCyclicalScheduler.simulate_values(num_events=20, **kwargs)
    opt = make_optimizer()
    assert [r[1] for r in rows] == engine_values(LinearCyclicalScheduler(opt, **kwargs), opt, 20)
    kwargs = dict(param_name="momentum", start_value=0.9, end_value=0.5, cycle_size=5)
    rows = CosineAnnealingScheduler.simulate_values(num_events=12, optimizer="ignored", save_history=True, **kwargs)
    opt = make_optimizer(momentum=0.1)
    assert [r[1] for r in rows] == engine_values(CosineAnnealingScheduler(opt, **kwargs), opt, 12, name="momentum")
    assert [r[0] for r in rows] == list(range(12))


@pytest.mark.parametrize("cut", [3, 11])
@pytest.mark.parametrize("name", list(FACTORIES) + ["reduce_on_plateau"])
def test_resume_mid_schedule_is_exact(name, cut):
    make = FACTORIES.get(name, _reduce_factory)
    n = 24
    metrics = [1.0 / (1 + k % 5) for k in range(n)]
    engine = Engine(lambda e, b: None)

    def step(s, opt, k):
        if name == "reduce_on_plateau":
            engine.state.metrics["m"] = metrics[k]
            s(engine)
        else:
            s(None)
        return lrs_of(opt)

    opt = make_optimizer((0.5,))
    s = make(opt)
    full = [step(s, opt, k) for k in range(n)]

    opt = make_optimizer((0.5,))
    s = make(opt)
    first = [step(s, opt, k) for k in range(cut)]
    checkpoint = weights_only_round_trip({"scheduler": s.state_dict(), "optimizer": opt.state_dict()})

    opt = make_optimizer((0.5,))
    s = make(opt)  # built first (torch schedulers set the lr), then the checkpoint is loaded
    opt.load_state_dict(checkpoint["optimizer"])
    s.load_state_dict(checkpoint["scheduler"])
    second = [step(s, opt, k) for k in range(cut, n)]
    assert first + second == full


def test_state_dict_is_a_copy():
    opt = make_optimizer()
    s = PiecewiseLinear(opt, "lr", [(0, 0.0), (4, 1.0)])
    sd = s.state_dict()
    s.milestones.append(10)
    s.values.append(0.0)
    assert sd["milestones"] == [0, 4] and sd["values"] == [0.0, 1.0]
    s.load_state_dict(sd)
    s.milestones.append(20)
    assert sd["milestones"] == [0, 4]


# -------------------------------------------------------------------------------------------------- plotting


def test_plot_values(monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = LinearCyclicalScheduler.plot_values(
        num_events=20, param_name="lr", start_value=1.0, end_value=0.0, cycle_size=10
    )
    assert len(lines) == 1 and lines[0].get_label() == "lr"
    assert list(lines[0].get_ydata()) == pytest.approx([r[1] for r in LinearCyclicalScheduler.simulate_values(
        20, param_name="lr", start_value=1.0, end_value=0.0, cycle_size=10)])  # fmt: skip
    plt.close("all")

    opt = make_optimizer((0.1, 0.2))
    lines = LRScheduler.plot_values(num_events=10, lr_scheduler=torch_sched.StepLR(opt, step_size=3))
    assert len(lines) == 2 and lines[1].get_label() == "learning rate [1]"  # multi-column rows (upstream failed)
    assert list(lines[1].get_ydata()) == pytest.approx([0.2] * 3 + [0.02] * 3 + [0.002] * 3 + [0.0002])
    plt.close("all")

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ModuleNotFoundError, match=r"This method requires matplotlib to be installed"):
        LinearCyclicalScheduler.plot_values(10, param_name="lr", start_value=1.0, end_value=0.0, cycle_size=10)
