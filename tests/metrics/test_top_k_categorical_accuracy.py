"""TopKCategoricalAccuracy (spec metrics.md §3.6) against scikit-learn's top_k_accuracy_score."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import check_state_dict_roundtrip, run_engine, run_updates, split_batches
from sklearn.metrics import top_k_accuracy_score

from ignite.exceptions import NotComputableError
from ignite.metrics import TopKCategoricalAccuracy


def _batches(seed, num_classes, n=32, count=4, extra=()):
    g = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(n, num_classes, *extra, generator=g), torch.randint(0, num_classes, (n, *extra), generator=g))
        for _ in range(count)
    ]


def test_spec_worked_example_and_docstring():
    y_pred = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.5, 0.1]])
    y = torch.tensor([1, 2, 2, 0])
    assert run_updates(TopKCategoricalAccuracy(k=2), [(y_pred, y)]) == 0.75
    top2 = TopKCategoricalAccuracy(k=2)
    top2.update((torch.tensor([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1]]), torch.tensor([2, 2])))
    assert top2.compute() == 0.5


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_matches_sklearn(k):
    batches = _batches(1, 10)
    y_score = torch.cat([b[0] for b in batches]).numpy()
    y = torch.cat([b[1] for b in batches]).numpy()
    expected = top_k_accuracy_score(y, y_score, k=k, labels=list(range(10)))
    assert run_engine(TopKCategoricalAccuracy(k=k), batches) == pytest.approx(expected)


def test_k_one_is_accuracy_and_extra_dims_count_every_element():
    batches = _batches(2, 4, extra=(3,))
    y_pred = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    expected = (y_pred.argmax(1) == y).double().mean().item()
    assert run_updates(TopKCategoricalAccuracy(k=1), batches) == pytest.approx(expected)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=6), k=st.integers(1, 5), seed=st.integers(0, 2**16)
)
def test_many_small_updates_equal_one_big(n, cuts, k, seed):
    g = torch.Generator().manual_seed(seed)
    tensors = [torch.randn(n, 6, generator=g), torch.randint(0, 6, (n,), generator=g)]
    whole = run_updates(TopKCategoricalAccuracy(k=k), [tuple(tensors)])
    assert run_updates(TopKCategoricalAccuracy(k=k), split_batches(tensors, cuts)) == whole
    assert whole == pytest.approx(
        top_k_accuracy_score(tensors[1].numpy(), tensors[0].numpy(), k=k, labels=list(range(6)))
    )


def test_not_computable_state_and_many_batches():
    m = TopKCategoricalAccuracy()
    with pytest.raises(
        NotComputableError, match="TopKCategoricalAccuracy must have at least one example before it can be computed."
    ):
        m.compute()
    assert m._state_dict_all_req_keys == ("_num_correct", "_num_examples") and m._k == 5
    check_state_dict_roundtrip(lambda: TopKCategoricalAccuracy(k=3), _batches(3, 7, count=5))
    batches = _batches(4, 10, n=8, count=150)  # more batches than the fold queue
    y_score = torch.cat([b[0] for b in batches]).numpy()
    y = torch.cat([b[1] for b in batches]).numpy()
    assert run_updates(TopKCategoricalAccuracy(k=3), batches) == pytest.approx(top_k_accuracy_score(y, y_score, k=3))


def test_int32_targets_and_grad_inputs():
    y_pred = torch.randn(12, 5, requires_grad=True)
    y = torch.randint(0, 5, (12,), dtype=torch.int32)
    expected = top_k_accuracy_score(y.numpy(), y_pred.detach().numpy(), k=2, labels=list(range(5)))
    assert run_updates(TopKCategoricalAccuracy(k=2), [(y_pred, y)]) == pytest.approx(expected)


def test_ties_count_only_the_indices_topk_returns():
    # constant scores: torch.topk returns k of the 5 tied classes; the targets cover each class once -> k / 5
    y = torch.arange(5)
    for k in (1, 2, 4):
        assert run_updates(TopKCategoricalAccuracy(k=k), [(torch.zeros(5, 5), y)]) == k / 5
    # ties inside the top k all count; a tie straddling the k-th place counts only where topk picks the target:
    # [0, 3, 3, 3] with k=2 gives two of classes 1, 2, 3, so one of the three targets 1, 2, 3 misses
    y_pred = torch.tensor([[1.0, 2.0, 2.0, 0.0]] * 2 + [[0.0, 3.0, 3.0, 3.0]] * 3)
    y = torch.tensor([1, 2, 1, 2, 3])
    assert run_updates(TopKCategoricalAccuracy(k=2), [(y_pred, y)]) == 4 / 5


def test_nan_scores_are_not_hits_unless_topk_returns_them():
    nan = float("nan")
    # a row of NaN: topk returns k of its classes, so k of the 5 targets hit
    y_pred = torch.full((5, 5), nan)
    assert run_updates(TopKCategoricalAccuracy(k=1), [(y_pred, torch.arange(5))]) == 1 / 5
    assert run_updates(TopKCategoricalAccuracy(k=3), [(y_pred, torch.arange(5))]) == 3 / 5
    # NaN ranks above every number (torch.topk's order): it takes a place in the top k
    y_pred = torch.tensor([[0.1, nan, 0.9, 0.5], [0.1, nan, 0.9, 0.5], [0.1, nan, 0.9, 0.5]])
    assert run_updates(TopKCategoricalAccuracy(k=2), [(y_pred, torch.tensor([1, 2, 3]))]) == 2 / 3


def test_k_is_checked():
    for k in (0, -1):
        with pytest.raises(ValueError, match=rf"Argument k should be a positive integer, but given {k}"):
            TopKCategoricalAccuracy(k=k)
    with pytest.raises(TypeError, match=r"Argument k should be an integer, but given float"):
        TopKCategoricalAccuracy(k=2.0)
    m = TopKCategoricalAccuracy(k=4)
    with pytest.raises(ValueError, match=r"Argument k should be at most the number of classes, but given k=4"):
        m.update((torch.randn(6, 3), torch.randint(0, 3, (6,))))
    m.update((torch.randn(6, 4), torch.randint(0, 4, (6,))))  # k == number of classes: every target is a hit
    assert m.compute() == 1.0
