"""Loss (spec metrics.md §2.11, wart 24)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, split_batches
from sklearn.metrics import log_loss, mean_squared_error

from ignite.engine import Engine
from ignite.exceptions import NotComputableError
from ignite.metrics import Loss


def cls_batches(n=4, seed=0, c=5):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(7, c, generator=g), torch.randint(0, c, (7,), generator=g)) for _ in range(n)]


def test_worked_example():
    m = Loss(F.mse_loss)
    m.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    assert m.compute() == pytest.approx((0.25 + 0.25 + 0.25 + 1.0) / 4)


def test_cross_entropy_matches_sklearn_log_loss():
    batches = cls_batches()
    logits = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    expected = log_loss(y.numpy(), torch.softmax(logits.double(), 1).numpy(), labels=list(range(5)))
    assert run_engine(Loss(torch.nn.CrossEntropyLoss()), batches) == pytest.approx(expected, rel=1e-5)


def test_batch_weighting_and_batch_size_fn():
    m = Loss(F.mse_loss)
    m.update((torch.zeros(1), torch.ones(1)))  # loss 1 over 1 sample
    m.update((torch.zeros(3), torch.zeros(3)))  # loss 0 over 3 samples
    assert m.compute() == pytest.approx(0.25)
    m = Loss(F.mse_loss, batch_size=lambda y: 10)
    m.update((torch.zeros(1), torch.ones(1)))
    assert m._num_examples == 10 and m.compute() == pytest.approx(1.0)


def test_criterion_kwargs_tuple_and_dict_output():
    def weighted(y_pred, y, scale=1.0):
        return F.mse_loss(y_pred, y) * scale

    m = Loss(weighted)
    m.update((torch.zeros(2), torch.ones(2), {"scale": 3.0}))
    assert m.compute() == pytest.approx(3.0)

    engine = Engine(lambda e, b: {"y_pred": torch.zeros(2), "y": torch.ones(2), "criterion_kwargs": {"scale": 2.0}})
    Loss(weighted).attach(engine, "loss")
    assert engine.run([0]).metrics["loss"] == pytest.approx(2.0)
    # upstream required ``criterion_kwargs`` in every dict output
    engine = Engine(lambda e, b: {"y_pred": torch.zeros(2), "y": torch.ones(2)})
    Loss(weighted).attach(engine, "loss")
    assert engine.run([0]).metrics["loss"] == pytest.approx(1.0)
    engine = Engine(lambda e, b: {"y_pred": torch.zeros(2)})
    Loss(weighted).attach(engine, "loss")
    with pytest.raises(ValueError, match="it should contain"):
        engine.run([0])


def test_errors():
    m = Loss(lambda p, y: F.mse_loss(p, y, reduction="none"))
    with pytest.raises(ValueError, match="loss_fn did not return the average loss."):
        m.update((torch.zeros(2), torch.ones(2)))
    with pytest.raises(NotComputableError, match="Loss must have at least one example before it can be computed."):
        Loss(F.mse_loss).compute()
    assert Loss.required_output_keys == ("y_pred", "y", "criterion_kwargs")
    m = Loss(F.mse_loss)
    assert m._loss_fn is F.mse_loss and m._batch_size is len


def test_loss_with_grad_inputs_is_detached():
    m = Loss(F.mse_loss)
    y_pred = torch.zeros(3, requires_grad=True)
    m.update((y_pred, torch.ones(3)))
    assert not m._sum.requires_grad and m.compute() == pytest.approx(1.0)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 30), cuts=st.lists(st.integers(1, 29), max_size=5), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    y_pred, y = torch.randn(n, generator=g), torch.randn(n, generator=g)
    parts = Loss(F.mse_loss)
    for b in split_batches([y_pred, y], cuts):
        parts.update(b)
    whole = Loss(F.mse_loss)
    whole.update((y_pred, y))
    assert_close(parts.compute(), whole.compute())
    assert_close(parts.compute(), mean_squared_error(y.numpy(), y_pred.numpy()))


def test_state_dict_roundtrip():
    check_state_dict_roundtrip(lambda: Loss(torch.nn.CrossEntropyLoss()), cls_batches())
    assert np.isfinite(Loss(F.mse_loss)._sum.item())


def test_loss_folds_its_queue_with_the_batch_weights():
    # more batches than the queue holds (folds mid-epoch), batch sizes all different: a weighted mean
    from ignite.metrics import Loss, MeanSquaredError

    g = torch.Generator().manual_seed(3)
    loss, mse = Loss(F.mse_loss), MeanSquaredError()
    preds, targets, weights, averages = [], [], [], []
    for i in range(2500):
        n = 1 + i % 7
        p, t = torch.randn(n, generator=g), torch.randn(n, generator=g)
        loss.update((p, t))
        mse.update((p, t))
        preds.append(p.numpy())
        targets.append(t.numpy())
        weights.append(n)
        averages.append(float(F.mse_loss(p, t)))
        if i == 1500:
            assert len(loss._pending) < 1024 and len(mse._pending) < 1024  # folded at least once
    assert_close(loss.compute(), np.average(averages, weights=weights), rtol=1e-9)
    assert_close(mse.compute(), mean_squared_error(np.concatenate(targets), np.concatenate(preds)), rtol=1e-9)
