"""Recall (spec metrics.md §3.3); the shared machinery is covered with Precision in test_precision.py."""

import pytest
import torch
from metric_checks import assert_close, run_engine, run_updates
from sklearn.metrics import recall_score

from ignite.metrics import Recall
from ignite.metrics.precision import _BasePrecisionRecall


def test_recall_counts_actual_members():
    # class 0 is predicted but never true, class 2 true but never predicted
    y_pred = torch.tensor([[0.9, 0.1, 0.0], [0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.8, 0.1]])
    y = torch.tensor([1, 1, 1, 2])
    value = run_updates(Recall(), [(y_pred, y)])
    assert value.tolist() == pytest.approx([0.0, 1 / 3, 0.0])
    assert run_updates(Recall(average="weighted"), [(y_pred, y)]) == pytest.approx(0.25)
    assert isinstance(Recall(), _BasePrecisionRecall) and Recall._count_predicted is False


@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_recall_binary_long_inputs_match_sklearn(average):
    g = torch.Generator().manual_seed(3)
    batches = [(torch.randint(0, 2, (20,), generator=g), torch.randint(0, 2, (20,), generator=g)) for _ in range(3)]
    y_pred = torch.cat([b[0] for b in batches]).numpy()
    y = torch.cat([b[1] for b in batches]).numpy()
    assert_close(run_engine(Recall(average=average), batches), recall_score(y, y_pred, average=average, labels=[0, 1]))


def test_recall_docstring_example():
    recall = Recall(average="macro")
    recall.update((torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1])))
    assert recall.compute() == pytest.approx(0.25)
