"""State parameter schedulers: hand-worked values, attach rules, history, simulate == engine, exact resume."""

from __future__ import annotations

import io
from bisect import bisect_right

import pytest
import torch

from ignite.engine import Engine, Events
from ignite.handlers.state_param_scheduler import (
    ExpStateScheduler,
    LambdaStateScheduler,
    MultiStepStateScheduler,
    PiecewiseLinearStateScheduler,
    StateParamScheduler,
    StepStateScheduler,
)


class Halving:
    """A picklable callable: 1, 0.5, 0.25, ..."""

    def __init__(self, start: float) -> None:
        self.start = start

    def __call__(self, k: int) -> float:
        return self.start * 0.5 ** (k - 1)


def collect(scheduler, n, event=Events.ITERATION_COMPLETED):
    seen = []
    engine = Engine(lambda e, b: None)
    scheduler.attach(engine, event)
    engine.add_event_handler(event, lambda e: seen.append(getattr(e.state, scheduler.param_name)))
    engine.run([0] * n, max_epochs=1)
    return seen, engine


CASES = {
    "lambda": (
        lambda: LambdaStateScheduler(Halving(1.0), param_name="p", create_new=True),
        lambda k: 1.0 * 0.5 ** (k - 1),
    ),
    "exp": (
        lambda: ExpStateScheduler(initial_value=2.0, gamma=0.9, param_name="p", create_new=True),
        lambda k: 2.0 * 0.9**k,
    ),
    "step": (
        lambda: StepStateScheduler(initial_value=1.0, gamma=0.5, step_size=3, param_name="p", create_new=True),
        lambda k: 1.0 * 0.5 ** (k // 3),
    ),
    "multistep": (
        lambda: MultiStepStateScheduler(1.0, 0.1, milestones=[3, 6, 9], param_name="p", create_new=True),
        lambda k: 1.0 * 0.1 ** bisect_right([3, 6, 9], k),
    ),
    "piecewise": (
        lambda: PiecewiseLinearStateScheduler([(2, 0.0), (6, 8.0), (10, 4.0)], param_name="p", create_new=True),
        lambda k: 0.0 if k <= 2 else (2.0 * (k - 2) if k <= 6 else (8.0 - (k - 6) if k <= 10 else 4.0)),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_first_call_sees_one(name):
    make, formula = CASES[name]
    seen, _ = collect(make(), 14)
    assert seen == pytest.approx([formula(k) for k in range(1, 15)], rel=1e-15)


@pytest.mark.parametrize("name", list(CASES))
def test_simulate_values_match_engine(name):
    make, _ = CASES[name]
    scheduler = make()
    kwargs = {
        k: getattr(scheduler, k) for k in ("initial_value", "gamma", "step_size", "lambda_obj") if hasattr(scheduler, k)
    }
    if name == "multistep":
        kwargs["milestones"] = scheduler.milestones
    if name == "piecewise":
        kwargs["milestones_values"] = list(zip(scheduler.milestones, scheduler.values))
    rows = type(scheduler).simulate_values(num_events=14, param_name="p", save_history=True, **kwargs)
    seen, _ = collect(make(), 14)
    assert [r[1] for r in rows] == seen
    assert [r[0] for r in rows] == list(range(14))


@pytest.mark.parametrize("name", list(CASES))
def test_resume_is_exact(name):
    make, _ = CASES[name]
    scheduler = make()
    engine = Engine(lambda e, b: None)
    full = []
    for _ in range(12):
        scheduler(engine)
        full.append(engine.state.p)

    scheduler = make()
    first = []
    for _ in range(5):
        scheduler(engine)
        first.append(engine.state.p)
    buffer = io.BytesIO()
    torch.save(scheduler.state_dict(), buffer)
    buffer.seek(0)
    weights_only = name != "lambda"  # a callable object needs full unpickling
    state = torch.load(buffer, weights_only=weights_only)
    resumed = make()
    resumed.load_state_dict(state)
    second = []
    for _ in range(7):
        resumed(engine)
        second.append(engine.state.p)
    assert first + second == full


def test_lambda_state_dict_round_trip_keeps_callable():
    s = LambdaStateScheduler(Halving(3.0), param_name="p", create_new=True)
    buffer = io.BytesIO()
    torch.save(s.state_dict(), buffer)
    buffer.seek(0)
    sd = torch.load(buffer, weights_only=False)
    s2 = LambdaStateScheduler(Halving(1.0), param_name="p", create_new=True)
    s2.load_state_dict(sd)
    assert isinstance(s2.lambda_obj, Halving) and s2.lambda_obj.start == 3.0
    with pytest.raises(ValueError, match=r"Expected lambda_obj to be callable."):
        LambdaStateScheduler(12, param_name="p")


def test_piecewise_spec_example_with_history():
    s = PiecewiseLinearStateScheduler(milestones_values=[(2, 0), (5, 10)], param_name="p", save_history=True)
    engine = Engine(lambda e, b: None)
    with pytest.warns(UserWarning, match=r"Attribute 'p' is not defined in the engine.state. "
                                         r"PiecewiseLinearStateScheduler will create it. Remove this warning by "
                                         r"setting create_new=True."):  # fmt: skip
        s.attach(engine, Events.EPOCH_COMPLETED)
    engine.run([0] * 2, max_epochs=3)
    assert engine.state.param_history["p"] == [0.0, 0.0, 3.3333333333333335]
    with pytest.raises(ValueError, match=r"Milestones should be increasing integers"):
        PiecewiseLinearStateScheduler([(5, 0), (2, 1)], param_name="q")


def test_attach_rules():
    engine = Engine(lambda e, b: None)
    engine.state.existing = 1
    with pytest.raises(
        ValueError,
        match=r"Attribute 'existing' already exists in the engine.state. This may be a conflict between multiple "
        r"handlers. Please choose another name.",
    ):
        ExpStateScheduler(1.0, 0.5, param_name="existing", create_new=True).attach(engine)
    ExpStateScheduler(1.0, 0.5, param_name="existing").attach(engine)  # reuses the attribute silently
    s = ExpStateScheduler(1.0, 0.5, param_name="fresh", create_new=True)
    s.attach(engine)
    assert engine.state.fresh is None and engine.has_event_handler(s, Events.ITERATION_COMPLETED)


def test_history_enabled_after_attach():
    s = StepStateScheduler(1.0, 0.5, step_size=2, param_name="p", create_new=True)
    engine = Engine(lambda e, b: None)
    s.attach(engine)
    s.save_history = True
    engine.run([0] * 3)
    assert engine.state.param_history["p"] == [1.0, 0.5, 0.5]


def test_state_dict_keys_and_errors():
    s = MultiStepStateScheduler(1.0, 0.1, milestones=[2], param_name="p")
    assert list(s.state_dict()) == ["event_index", "param_name", "save_history", "initial_value", "gamma", "milestones"]
    with pytest.raises(ValueError, match=r"Required state attribute 'milestones' is absent"):
        s.load_state_dict({"event_index": 0, "param_name": "p", "save_history": False, "initial_value": 1.0,
                           "gamma": 0.1})  # fmt: skip
    with pytest.raises(TypeError):
        StateParamScheduler("p")  # abstract get_param
