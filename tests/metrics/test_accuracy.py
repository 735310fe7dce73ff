"""Accuracy and the shared input typing of the classification metrics (spec metrics.md §3.1, §3.2)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, run_updates, split_batches
from sklearn.metrics import accuracy_score

from ignite.exceptions import NotComputableError
from ignite.metrics import Accuracy
from ignite.metrics.accuracy import _BaseClassification, _bincount, _scatter_count


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _rows(t):
    """(N, C, ...) -> (N * ..., C): move dim 1 last and flatten."""
    return t.movedim(1, -1).reshape(-1, t.shape[1]).numpy()


def test_spec_worked_examples():
    y_pred = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.5, 0.1]])
    y = torch.tensor([1, 2, 2, 0])
    assert run_updates(Accuracy(), [(y_pred, y)]) == 0.5
    ml_pred = torch.tensor([[1, 0, 1], [0, 1, 1], [1, 1, 0]])
    ml_true = torch.tensor([[1, 0, 0], [0, 1, 1], [0, 1, 0]])
    assert run_updates(Accuracy(is_multilabel=True), [(ml_pred, ml_true)]) == pytest.approx(1 / 3)
    acc = Accuracy()
    acc.update((torch.tensor([1, 0, 1]), torch.tensor([1, 1, 1])))
    snapshot = acc.state_dict()
    acc.reset()
    acc.load_state_dict(snapshot)
    assert abs(acc.compute() - 2 / 3) < 1e-9


@pytest.mark.parametrize("extra", [(), (5,), (3, 4)])
def test_binary_matches_sklearn(extra):
    g = _gen(1)
    batches = [
        (torch.randint(0, 2, (16, *extra), generator=g), torch.randint(0, 2, (16, *extra), generator=g))
        for _ in range(4)
    ]
    y_pred = torch.cat([b[0] for b in batches]).reshape(-1).numpy()
    y = torch.cat([b[1] for b in batches]).reshape(-1).numpy()
    assert run_engine(Accuracy(), batches) == pytest.approx(accuracy_score(y, y_pred))
    # y_pred with a class dim of size 1, float 0/1 values
    batches_c1 = [(p.unsqueeze(1).float(), t) for p, t in batches]
    assert run_updates(Accuracy(), batches_c1) == pytest.approx(accuracy_score(y, y_pred))


@pytest.mark.parametrize("extra", [(), (5,), (3, 4)])
@pytest.mark.parametrize("num_classes", [2, 7])
def test_multiclass_matches_sklearn(extra, num_classes):
    g = _gen(2)
    batches = [
        (torch.randn(16, num_classes, *extra, generator=g), torch.randint(0, num_classes, (16, *extra), generator=g))
        for _ in range(4)
    ]
    y_pred = torch.cat([b[0] for b in batches]).argmax(dim=1).reshape(-1).numpy()
    y = torch.cat([b[1] for b in batches]).reshape(-1).numpy()
    assert run_engine(Accuracy(), batches) == pytest.approx(accuracy_score(y, y_pred))


@pytest.mark.parametrize("extra", [(), (5,)])
def test_multilabel_matches_sklearn_exact_match_ratio(extra):
    g = _gen(3)
    batches = [
        (torch.randint(0, 2, (16, 3, *extra), generator=g), torch.randint(0, 2, (16, 3, *extra), generator=g))
        for _ in range(4)
    ]
    y_pred = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    expected = accuracy_score(_rows(y), _rows(y_pred))
    assert run_engine(Accuracy(is_multilabel=True), batches) == pytest.approx(expected)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(2, 40),
    cuts=st.lists(st.integers(1, 39), max_size=6),
    kind=st.sampled_from(["binary", "multiclass", "multilabel"]),
    seed=st.integers(0, 2**16),
)
def test_many_small_updates_equal_one_big(n, cuts, kind, seed):
    g = _gen(seed)
    if kind == "multiclass":
        tensors = [torch.randn(n, 4, generator=g), torch.randint(0, 4, (n,), generator=g)]
    elif kind == "binary":
        tensors = [torch.randint(0, 2, (n, 2), generator=g), torch.randint(0, 2, (n, 2), generator=g)]
    else:
        tensors = [torch.randint(0, 2, (n, 3), generator=g), torch.randint(0, 2, (n, 3), generator=g)]
    multilabel = kind == "multilabel"
    whole = run_updates(Accuracy(is_multilabel=multilabel), [tuple(tensors)])
    parts = run_updates(Accuracy(is_multilabel=multilabel), split_batches(tensors, cuts))
    assert parts == whole


def test_many_batches_fold_in_bulk():
    # more batches than the queue holds, and batches big enough to trigger the element budget
    g = _gen(4)
    small = [(torch.randn(3, 5, generator=g), torch.randint(0, 5, (3,), generator=g)) for _ in range(300)]
    big = [(torch.randn(40000, 2, generator=g), torch.randint(0, 2, (40000,), generator=g)) for _ in range(3)]
    for batches in (small, big):
        y_pred = torch.cat([b[0] for b in batches]).argmax(1).numpy()
        y = torch.cat([b[1] for b in batches]).numpy()
        assert run_updates(Accuracy(), batches) == pytest.approx(accuracy_score(y, y_pred))


def test_not_computable_and_reset():
    acc = Accuracy()
    with pytest.raises(NotComputableError, match="Accuracy must have at least one example before it can be computed."):
        acc.compute()
    acc.update((torch.tensor([1, 1]), torch.tensor([1, 0])))
    assert acc.compute() == 0.5
    acc.reset()
    with pytest.raises(NotComputableError):
        acc.compute()


def test_shape_errors():
    acc = Accuracy()
    with pytest.raises(ValueError, match=r"y must have shape of \(batch_size, \.\.\.\) and y_pred must have shape of"):
        acc.update((torch.rand(4, 3, 2, 2), torch.randint(0, 2, (4,))))
    with pytest.raises(ValueError, match="y and y_pred must have compatible shapes."):
        acc.update((torch.rand(4, 3, 5), torch.randint(0, 2, (4, 6))))
    with pytest.raises(ValueError, match="y and y_pred must have compatible shapes."):
        acc.update((torch.randint(0, 2, (4, 5)), torch.randint(0, 2, (4, 6))))
    with pytest.raises(ValueError, match="y and y_pred must have compatible shapes."):
        acc.update((torch.rand(5, 3), torch.randint(0, 2, (4,))))
    ml = Accuracy(is_multilabel=True)
    msg = r"y and y_pred must have same shape of \(batch_size, num_categories, \.\.\.\) and num_categories > 1."
    with pytest.raises(ValueError, match=msg):
        ml.update((torch.randint(0, 2, (4,)), torch.randint(0, 2, (4,))))
    with pytest.raises(ValueError, match=msg):
        ml.update((torch.randint(0, 2, (4, 1)), torch.randint(0, 2, (4, 1))))
    with pytest.raises(ValueError, match=msg):
        ml.update((torch.rand(4, 3), torch.randint(0, 2, (4,))))


def test_binary_value_checks_on_first_update():
    with pytest.raises(ValueError, match="For binary cases, y must be comprised of 0's and 1's."):
        Accuracy().update((torch.tensor([0, 1]), torch.tensor([0, 2])))
    with pytest.raises(ValueError, match="For binary cases, y_pred must be comprised of 0's and 1's."):
        Accuracy().update((torch.tensor([0.5, 1.0]), torch.tensor([0, 1])))
    with pytest.raises(ValueError, match="For binary cases, y must be comprised of 0's and 1's."):
        Accuracy(is_multilabel=True).update((torch.ones(2, 3), torch.full((2, 3), 3)))
    with pytest.raises(ValueError, match="For binary cases, y_pred must be comprised of 0's and 1's."):
        Accuracy().update((torch.full((2, 1), 0.3), torch.tensor([0, 1])))
    # the value check costs a host synchronisation: it runs on the first batch after reset only
    acc = Accuracy()
    acc.update((torch.tensor([0, 1]), torch.tensor([0, 1])))
    acc.update((torch.tensor([0, 1]), torch.tensor([0, 1])))
    acc.reset()
    with pytest.raises(ValueError, match="For binary cases, y must be comprised"):
        acc.update((torch.tensor([0, 1]), torch.tensor([0, 5])))
    # bool inputs are binary by construction
    acc = Accuracy()
    acc.update((torch.tensor([True, False]), torch.tensor([True, True])))
    assert acc.compute() == 0.5


def test_type_and_class_count_changes():
    acc = Accuracy()
    acc.update((torch.rand(4, 3), torch.randint(0, 3, (4,))))
    with pytest.raises(RuntimeError, match="Input data type has changed from multiclass to binary."):
        acc.update((torch.randint(0, 2, (4,)), torch.randint(0, 2, (4,))))
    with pytest.raises(ValueError, match="Input data number of classes has changed from 3 to 4"):
        acc.update((torch.rand(4, 4), torch.randint(0, 3, (4,))))
    acc.reset()
    acc.update((torch.randint(0, 2, (4,)), torch.randint(0, 2, (4,))))  # a new type after reset is fine
    assert acc._type == "binary" and acc._num_classes == 1

    ml = Accuracy(is_multilabel=True)
    ml.update((torch.randint(0, 2, (4, 3)), torch.randint(0, 2, (4, 3))))
    assert ml._type == "multilabel" and ml._num_classes == 3
    with pytest.raises(ValueError, match="Input data number of classes has changed from 3 to 5"):
        ml.update((torch.randint(0, 2, (4, 5)), torch.randint(0, 2, (4, 5))))


def test_base_classification_attributes_and_reset():
    acc = Accuracy(is_multilabel=True)
    assert isinstance(acc, _BaseClassification)
    assert acc._is_multilabel and acc._type is None and acc._num_classes is None
    acc.update((torch.randint(0, 2, (4, 3)), torch.randint(0, 2, (4, 3))))
    acc.reset()
    assert acc._type is None and acc._num_classes is None
    from ignite.metrics import precision

    assert precision._BaseClassification is _BaseClassification


def test_accumulators_and_state_dict():
    acc = Accuracy()
    assert acc._state_dict_all_req_keys == ("_num_correct", "_num_examples")
    assert acc._num_correct.dtype == torch.int64 and acc._num_examples == 0
    g = _gen(5)
    batches = [(torch.randn(8, 4, generator=g), torch.randint(0, 4, (8,), generator=g)) for _ in range(5)]
    check_state_dict_roundtrip(Accuracy, batches)
    # the state dict holds the folded count, not a partial one
    acc = Accuracy()
    for b in batches:
        acc.update(b)
    state = acc.state_dict()["__metric_state_per_rank"][0]
    expected = sum(int((b[0].argmax(1) == b[1]).sum()) for b in batches)
    assert int(state["_num_correct"]) == expected and state["_num_examples"] == 40


def test_compute_does_not_change_state_and_can_repeat():
    acc = Accuracy()
    acc.update((torch.tensor([[0.2, 0.8]]), torch.tensor([1])))
    assert acc.compute() == acc.compute() == 1.0
    acc.update((torch.tensor([[0.2, 0.8]]), torch.tensor([0])))
    assert acc.compute() == 0.5


def test_inputs_with_grad_and_integer_dtypes():
    y_pred = torch.randn(6, 3, requires_grad=True)
    y = torch.randint(0, 3, (6,), dtype=torch.int32)
    acc = Accuracy()
    acc.update((y_pred, y))
    expected = accuracy_score(y.numpy(), y_pred.detach().argmax(1).numpy())
    assert acc.compute() == pytest.approx(expected)


@pytest.mark.parametrize("n", [0, 1, 5, 100])
def test_scatter_count_matches_bincount(n):
    # the accelerator path of _bincount, exercised on the CPU
    x = torch.randint(0, 7, (n,), generator=_gen(6))
    assert torch.equal(_scatter_count(x, 7), torch.bincount(x, minlength=7))
    assert torch.equal(_bincount(x, 7), torch.bincount(x, minlength=7))
    # out-of-range values are dropped by the scatter path
    y = torch.cat((x, torch.tensor([-1, 7, 100])))
    assert torch.equal(_scatter_count(y, 7), torch.bincount(x, minlength=7))


def test_get_sequence_transform():
    g = _gen(7)
    y_pred = torch.randn(2, 5, 4, generator=g)
    y = torch.tensor([[0, 1, -100, 3, 2], [1, -100, 7, 0, 3]])
    tf = Accuracy.get_sequence_transform(ignore_index=-100)
    p, t = tf((y_pred, y))
    assert p.shape == (8, 4) and t.tolist() == [0, 1, 3, 2, 1, 7, 0, 3]
    p, t = Accuracy.get_sequence_transform(ignore_index=[-100, 7])((y_pred, y))
    assert p.shape == (7, 4) and 7 not in t.tolist()
    p, t = Accuracy.get_sequence_transform()((y_pred, y))
    assert p.shape == (10, 4) and t.shape == (10,)
    # output_transform first, then the sequence flattening
    tf = Accuracy.get_sequence_transform(ignore_index=-100, output_transform=lambda out: (out["p"], out["y"]))
    p, t = tf({"p": y_pred, "y": y})
    assert p.shape == (8, 4)
    with pytest.raises(
        ValueError, match=r"Expected y_pred to be 3D \(N, S, C\) and y to be 2D \(N, S\), but got y_pred=2D and y=2D."
    ):
        Accuracy.get_sequence_transform()((torch.rand(2, 5), y))
    with pytest.raises(ValueError, match="y_pred and y have incompatible shapes: y_pred="):
        Accuracy.get_sequence_transform()((torch.rand(2, 4, 3), y))
    # usable as the metric's output_transform
    acc = Accuracy(output_transform=Accuracy.get_sequence_transform(ignore_index=-100))
    value = run_engine(acc, [(y_pred, y)])
    keep = y != -100
    expected = (y_pred.argmax(-1)[keep] == y[keep]).float().mean().item()
    assert value == pytest.approx(expected)


def test_engine_dict_output_and_batch_wise_usage():
    g = _gen(8)
    batches = [
        {"y_pred": torch.randn(4, 3, generator=g), "y": torch.randint(0, 3, (4,), generator=g)} for _ in range(3)
    ]
    from ignite.engine import Engine

    engine = Engine(lambda e, b: b)
    Accuracy().attach(engine, "acc")
    Accuracy().attach(engine, "acc_batch", usage="batch_wise")
    state = engine.run(batches)
    last = batches[-1]
    assert state.metrics["acc_batch"] == pytest.approx((last["y_pred"].argmax(1) == last["y"]).float().mean().item())
    all_pred = torch.cat([b["y_pred"] for b in batches]).argmax(1)
    all_y = torch.cat([b["y"] for b in batches])
    assert state.metrics["acc"] == pytest.approx((all_pred == all_y).float().mean().item())
    assert isinstance(state.metrics["acc"], float)


def test_result_is_numpy_compatible():
    g = _gen(9)
    batches = [(torch.randn(10, 3, generator=g), torch.randint(0, 3, (10,), generator=g))]
    assert_close(run_updates(Accuracy(), batches), np.mean(batches[0][0].argmax(1).numpy() == batches[0][1].numpy()))
