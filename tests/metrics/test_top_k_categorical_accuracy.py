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
