"""MatthewsCorrCoef (spec metrics.md §3.10), computed in torch, against scikit-learn's matthews_corrcoef."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import check_state_dict_roundtrip, run_engine, run_updates, split_batches
from sklearn.metrics import matthews_corrcoef

from ignite.exceptions import NotComputableError
from ignite.metrics import EpochMetric, MatthewsCorrCoef
from ignite.metrics.matthews_corrcoef import matthews_corrcoef_compute_fn


def test_docstring_example():
    mcc = MatthewsCorrCoef()
    mcc.update((torch.tensor([1, 0, 1, 1]), torch.tensor([1, 0, 0, 1])))
    assert mcc.compute() == pytest.approx(matthews_corrcoef([1, 0, 0, 1], [1, 0, 1, 1]))
    assert isinstance(mcc, EpochMetric)


@pytest.mark.parametrize("num_classes", [2, 3, 6])
def test_labels_match_sklearn(num_classes):
    g = torch.Generator().manual_seed(num_classes)
    batches = []
    for _ in range(4):
        y = torch.randint(0, num_classes, (25,), generator=g)
        y_pred = torch.where(torch.rand(25, generator=g) < 0.5, y, torch.randint(0, num_classes, (25,), generator=g))
        batches.append((y_pred, y))
    y_pred = torch.cat([b[0] for b in batches]).numpy()
    y = torch.cat([b[1] for b in batches]).numpy()
    assert run_engine(MatthewsCorrCoef(), batches) == pytest.approx(matthews_corrcoef(y, y_pred), abs=1e-12)


def test_score_inputs_and_one_hot_targets():
    g = torch.Generator().manual_seed(7)
    scores = torch.randn(50, 4, generator=g)
    y = torch.randint(0, 4, (50,), generator=g)
    expected = matthews_corrcoef(y.numpy(), scores.argmax(1).numpy())
    assert run_updates(MatthewsCorrCoef(), [(scores, y)]) == pytest.approx(expected)
    one_hot = torch.nn.functional.one_hot(y, 4)
    assert run_updates(MatthewsCorrCoef(), [(scores, one_hot)]) == pytest.approx(expected)
    # float labels with integral values, and labels that are not 0..C-1
    assert matthews_corrcoef_compute_fn(y.double() * 3 + 1, y * 3 + 1) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="y_pred is 1D while y_target is 2D"):
        matthews_corrcoef_compute_fn(y, one_hot)


def test_edge_cases_as_sklearn():
    cases = [
        ([1, 1, 1, 1], [0, 1, 0, 1]),  # constant prediction -> 0.0
        ([0, 1, 0, 1], [1, 1, 1, 1]),  # constant target -> 0.0
        ([2, 2, 2], [2, 2, 2]),  # one label -> 0.0
        ([0, 1, 0, 1], [1, 0, 1, 0]),  # perfectly wrong -> -1
        ([0, 2, 1], [0, 2, 1]),  # perfect -> 1
    ]
    for y_pred, y in cases:
        value = matthews_corrcoef_compute_fn(torch.tensor(y_pred), torch.tensor(y))
        assert value == pytest.approx(matthews_corrcoef(y, y_pred))
    with pytest.raises(ValueError, match="Classification metrics can't handle a mix of binary and continuous targets"):
        matthews_corrcoef_compute_fn(torch.tensor([0.2, 0.7, 0.4]), torch.tensor([0, 1, 1]))
    with pytest.raises(
        NotComputableError, match="MatthewsCorrCoef must have at least one example before it can be computed."
    ):
        MatthewsCorrCoef().compute()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), cuts=st.lists(st.integers(1, 39), max_size=5), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    g = torch.Generator().manual_seed(seed)
    tensors = [torch.randint(0, 3, (n,), generator=g), torch.randint(0, 3, (n,), generator=g)]
    whole = run_updates(MatthewsCorrCoef(), [tuple(tensors)])
    assert run_updates(MatthewsCorrCoef(), split_batches(tensors, cuts)) == pytest.approx(whole, abs=1e-12)
    assert whole == pytest.approx(matthews_corrcoef(tensors[1].numpy(), tensors[0].numpy()), abs=1e-12)


def test_state_dict_roundtrip():
    g = torch.Generator().manual_seed(9)
    batches = [(torch.randint(0, 3, (10,), generator=g), torch.randint(0, 3, (10,), generator=g)) for _ in range(3)]
    check_state_dict_roundtrip(MatthewsCorrCoef, batches)
