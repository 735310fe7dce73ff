"""EarlyStopping: the spec's examples, modes, deprecated names, state_dict, attach, restore of the best weights."""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from ignite.engine import Engine, Events
from ignite.handlers.early_stopping import EarlyStopping


def feed(handler, scores):
    """Call the handler once per score; return the call (1-based) at which it stopped the trainer, or None."""
    it = iter(scores)
    engine = Engine(lambda e, b: None)
    for i, _ in enumerate(scores, start=1):
        score = next(it)
        handler.score_function = lambda e, s=score: s
        handler(engine)
        if handler.trainer.should_terminate:
            return i
    return None


def make(**kwargs):
    return EarlyStopping(score_function=lambda e: 0.0, trainer=Engine(lambda e, b: None), **kwargs)


def test_spec_examples():
    assert feed(make(patience=2), [1.0, 0.8, 0.88]) == 3
    h = make(patience=2, threshold=0.4)
    assert feed(h, [0.0, 0.3, 0.6]) == 3 and h.counter == 2
    h = make(patience=2, threshold=0.4, cumulative=True)
    assert feed(h, [0.0, 0.3, 0.6]) is None and h.counter == 0 and h.best_score == 0.6
    h = make(patience=5, threshold=0.1, threshold_mode="rel")
    feed(h, [2.0, 2.1])
    assert h.counter == 1 and h.best_score == 2.1  # bound 2.2; the reference still moves to 2.1
    feed(h, [2.3])
    assert h.counter == 2 and h.best_score == 2.3  # bound 2.31
    feed(h, [2.6])
    assert h.counter == 0 and h.best_score == 2.6  # bound 2.53


def test_min_mode():
    h = make(patience=2, mode="min", threshold=0.1)
    assert feed(h, [1.0, 0.95, 0.8, 0.79, 0.85]) == 5
    assert h.best_score == 0.79  # non-cumulative: moves to every better score
    h = make(patience=1, mode="min", threshold=0.5, threshold_mode="rel")
    assert feed(h, [1.0, 0.4]) is None and feed(h, [0.3]) == 1


def test_terminates_a_real_run():
    trainer = Engine(lambda e, b: None)
    scores = iter([0.5, 0.6, 0.55, 0.58, 0.59, 0.7])
    handler = EarlyStopping(patience=3, score_function=lambda e: next(scores), trainer=trainer)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, handler)
    trainer.run([0] * 2, max_epochs=10)
    assert trainer.state.epoch == 5


def test_validation_messages():
    trainer = Engine(lambda e, b: None)
    with pytest.raises(TypeError, match=r"Argument score_function should be a function."):
        EarlyStopping(2, 12, trainer)
    with pytest.raises(ValueError, match=r"Argument patience should be positive integer."):
        EarlyStopping(0, lambda e: 0, trainer)
    with pytest.raises(TypeError, match=r"Argument trainer should be an instance of Engine."):
        EarlyStopping(2, lambda e: 0, None)
    with pytest.raises(ValueError, match=r"Argument threshold should not be a negative number."):
        EarlyStopping(2, lambda e: 0, trainer, threshold=-1)
    with pytest.raises(ValueError, match=r"Argument threshold_mode should be either 'abs' or 'rel'."):
        EarlyStopping(2, lambda e: 0, trainer, threshold_mode="x")
    with pytest.raises(ValueError, match=r"Argument mode should be either 'min' or 'max'."):
        EarlyStopping(2, lambda e: 0, trainer, mode="x")


def test_deprecated_names():
    trainer = Engine(lambda e, b: None)
    with pytest.warns(DeprecationWarning, match=r"'min_delta' is deprecated and will be removed in a future version. "
                                                r"Please use 'threshold' instead."):  # fmt: skip
        h = EarlyStopping(2, lambda e: 0, trainer, threshold=0.5, min_delta=0.2)
    assert h.threshold == 0.2  # the deprecated name overrides
    with pytest.warns(DeprecationWarning, match=r"'min_delta_mode' is deprecated.*Please use 'threshold_mode'"):
        h = EarlyStopping(2, lambda e: 0, trainer, min_delta_mode="rel")
    assert h.threshold_mode == "rel"
    with pytest.warns(DeprecationWarning, match=r"'cumulative_delta' is deprecated.*Please use 'cumulative'"):
        h = EarlyStopping(2, lambda e: 0, trainer, cumulative_delta=True)
    assert h.cumulative is True
    with pytest.warns(DeprecationWarning, match="min_delta"):
        assert h.min_delta == 0.0
    with pytest.warns(DeprecationWarning, match="min_delta"):
        h.min_delta = 0.3
    assert h.threshold == 0.3
    with pytest.warns(DeprecationWarning, match="min_delta_mode"):
        h.min_delta_mode = "abs"
    with pytest.warns(DeprecationWarning, match="min_delta_mode"):
        assert h.min_delta_mode == "abs"
    with pytest.warns(DeprecationWarning, match="cumulative_delta"):
        h.cumulative_delta = False
    with pytest.warns(DeprecationWarning, match="cumulative_delta"):
        assert h.cumulative_delta is False


def test_state_dict_round_trip_and_old_format():
    h = make(patience=3, threshold_mode="rel")
    feed(h, [1.0, 0.9])
    sd = h.state_dict()
    assert list(sd) == ["counter", "best_score", "threshold_mode"] and sd["counter"] == 1
    buffer = io.BytesIO()
    torch.save(sd, buffer)
    buffer.seek(0)
    h2 = make(patience=3)
    h2.load_state_dict(torch.load(buffer, weights_only=True))
    assert (h2.counter, h2.best_score, h2.threshold_mode) == (1, 1.0, "rel")
    h3 = make(patience=3)
    h3.load_state_dict({"counter": 2, "best_score": 0.5})  # earlier releases had no threshold_mode
    assert (h3.counter, h3.best_score, h3.threshold_mode) == (2, 0.5, "abs")
    with pytest.raises(ValueError, match=r"Required state attribute 'best_score' is absent in provided state_dict"):
        h3.load_state_dict({"counter": 2})
    with pytest.raises(TypeError, match=r"Argument state_dict should be a dictionary"):
        h3.load_state_dict(1)


def test_attach_reset_and_resume():
    trainer = Engine(lambda e, b: None)
    scores = {}
    h = EarlyStopping(patience=5, score_function=lambda e: scores[e.state.epoch], trainer=trainer)
    h.attach(trainer, event=Events.EPOCH_COMPLETED)
    assert trainer.has_event_handler(h, Events.EPOCH_COMPLETED)
    assert trainer.has_event_handler(h.reset, Events.STARTED)  # spec §2: self.reset on reset_event
    scores.update({1: 1.0, 2: 0.5, 3: 0.4})
    trainer.run([0], max_epochs=3)
    assert (h.counter, h.best_score) == (2, 1.0)
    trainer.run([0], max_epochs=3)  # a new run: reset at STARTED
    assert (h.counter, h.best_score) == (2, 1.0)  # same scores again from a reset state

    # as upstream, the reset at STARTED also clears a state loaded before a resumed run
    trainer2 = Engine(lambda e, b: None)
    h2 = EarlyStopping(patience=5, score_function=lambda e: scores[e.state.epoch], trainer=trainer2)
    h2.attach(trainer2, event=Events.EPOCH_COMPLETED)
    trainer2.load_state_dict({"iteration": 2, "epoch_length": 1, "max_epochs": 4})
    h2.load_state_dict({"counter": 1, "best_score": 1.0, "threshold_mode": "abs"})
    scores[4] = 0.3
    trainer2.run([0])
    assert (h2.counter, h2.best_score) == (1, 0.4)  # epochs 3, 4 seen from scratch: 0.4 then 0.3

    evaluator = Engine(lambda e, b: None)
    h3 = EarlyStopping(patience=5, score_function=lambda e: 1.0, trainer=trainer)
    h3.attach(evaluator, reset_engine=trainer, reset_event=Events.EPOCH_STARTED)
    assert evaluator.has_event_handler(h3, Events.COMPLETED)
    assert trainer.has_event_handler(h3.reset, Events.EPOCH_STARTED)


def _train_with_evaluation(scores, **attach_kwargs):
    trainer = Engine(lambda e, b: None)
    evaluator = Engine(lambda e, b: None)
    h = EarlyStopping(patience=2, score_function=lambda e: scores[trainer.state.epoch - 1], trainer=trainer)
    h.attach(evaluator, **attach_kwargs)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run([0]))
    trainer.run([0], max_epochs=len(scores))
    return trainer, evaluator, h


def test_attached_to_evaluator_resets_every_evaluation_by_default():
    """Spec handlers.md §2 and wart 8: the default reset engine is the evaluator, patience never builds up."""
    trainer, evaluator, h = _train_with_evaluation([1.0, 0.5, 0.4, 0.3, 0.2])
    assert evaluator.has_event_handler(h.reset, Events.STARTED)
    assert not trainer.has_event_handler(h.reset) and not trainer.has_event_handler(h._reset_unless_resuming)
    assert trainer.state.epoch == 5  # never stopped


def test_reset_with_trainer_lets_patience_accumulate_across_evaluations():
    """Wart 8 fix, opt-in: reset when the training run starts; scores 1.0, 0.5, 0.4 stop it at epoch 3."""
    trainer, evaluator, h = _train_with_evaluation([1.0, 0.5, 0.4, 0.3, 0.2], reset_with_trainer=True)
    assert trainer.state.epoch == 3 and h.counter == 2
    assert not evaluator.has_event_handler(h.reset) and not evaluator.has_event_handler(h._reset_unless_resuming)

    # a new training run starts from a reset state; a resumed one keeps the loaded state
    trainer.state.max_epochs = None
    trainer.run([0], max_epochs=5)
    assert trainer.state.epoch == 3 and h.counter == 2
    h.load_state_dict({"counter": 1, "best_score": 1.0, "threshold_mode": "abs"})
    trainer.load_state_dict({"iteration": 2, "epoch_length": 1, "max_epochs": 5})
    trainer.run([0])
    assert trainer.state.epoch == 3 and h.counter == 2  # 0.4 at epoch 3 is the second epoch without progress

    with pytest.raises(TypeError, match=r"^Argument reset_with_trainer should be a bool"):
        h.attach(Engine(lambda e, b: None), reset_with_trainer="yes")


def test_restore_best_weights():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    trainer = Engine(lambda e, b: None)
    scores = [0.5, 0.9, 0.7, 0.8, 0.6]
    snapshots = []

    def score_fn(engine):
        with torch.no_grad():
            model.weight.add_(1.0)  # the weights change at every evaluation
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return scores[len(snapshots) - 1]

    h = EarlyStopping(patience=3, score_function=score_fn, trainer=trainer, restore_best_weights=model)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, h)
    trainer.run([0], max_epochs=10)
    assert trainer.state.epoch == 5
    for k, v in model.state_dict().items():
        assert torch.equal(v, snapshots[1][k])  # the weights of the best score, 0.9
    sd = h.state_dict()
    assert sd["best_weights_score"] == 0.9 and torch.equal(sd["best_weights"]["weight"], snapshots[1]["weight"])

    h2 = EarlyStopping(patience=3, score_function=score_fn, trainer=trainer, restore_best_weights=nn.Linear(3, 1))
    h2.load_state_dict(sd)
    assert h2._best_weights_score == 0.9
    h2.reset()
    assert h2._best_weights is None
    with pytest.raises(TypeError, match=r"Argument restore_best_weights should be a torch.nn.Module or None"):
        EarlyStopping(2, score_fn, trainer, restore_best_weights={"a": 1})

    # without the option the weights are left as they are
    model2 = nn.Linear(3, 1)
    before = model2.weight.clone()
    EarlyStopping(1, lambda e: 0.0, trainer)(trainer)
    assert torch.equal(model2.weight, before)
