"""ClassificationReport (spec metrics.md §3.5) against scikit-learn's classification_report."""

import json

import pytest
import torch
from metric_checks import check_state_dict_roundtrip, run_updates
from sklearn.metrics import classification_report

from ignite.engine import Engine
from ignite.metrics import ClassificationReport


def _check_against_sklearn(report, expected, beta=1):
    key = f"f{beta}-score"
    for label, row in report.items():
        ref = expected[label]
        assert row["precision"] == pytest.approx(ref["precision"], abs=1e-6)
        assert row["recall"] == pytest.approx(ref["recall"], abs=1e-6)
        assert row[key] == pytest.approx(ref["f1-score"], abs=1e-6)


def test_spec_worked_example():
    y_pred = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.5, 0.1]])
    y = torch.tensor([1, 2, 2, 0])
    report = run_updates(ClassificationReport(output_dict=True, beta=2), [(y_pred, y)])
    assert list(report) == ["0", "1", "2", "macro avg"]
    assert report["0"] == {"precision": 0.0, "recall": 0.0, "f2-score": 0.0}
    assert report["1"]["f2-score"] == pytest.approx(0.833333, abs=1e-6)
    assert report["2"]["f2-score"] == pytest.approx(0.555556, abs=1e-6)
    assert report["macro avg"]["precision"] == 0.5 and report["macro avg"]["recall"] == 0.5
    assert report["macro avg"]["f2-score"] == pytest.approx(0.462963, abs=1e-6)


def test_multiclass_matches_sklearn_and_json():
    g = torch.Generator().manual_seed(1)
    y_pred, y = torch.randn(60, 4, generator=g), torch.randint(0, 4, (60,), generator=g)
    expected = classification_report(y.numpy(), y_pred.argmax(1).numpy(), output_dict=True, zero_division=0)
    text = run_updates(ClassificationReport(), [(y_pred, y)])
    assert isinstance(text, str)
    report = json.loads(text)
    _check_against_sklearn(report, expected)


def test_binary_input_reports_both_classes():
    # upstream failed here (iteration over a 0-d tensor); the report now covers classes 0 and 1 as sklearn does
    g = torch.Generator().manual_seed(2)
    y_pred, y = torch.randint(0, 2, (50,), generator=g), torch.randint(0, 2, (50,), generator=g)
    report = run_updates(ClassificationReport(output_dict=True), [(y_pred, y)])
    assert list(report) == ["0", "1", "macro avg"]
    _check_against_sklearn(report, classification_report(y.numpy(), y_pred.numpy(), output_dict=True))


def test_multilabel_matches_sklearn_and_labels():
    g = torch.Generator().manual_seed(3)
    y_pred, y = torch.randint(0, 2, (40, 3), generator=g), torch.randint(0, 2, (40, 3), generator=g)
    labels = ["cat", "dog", "bird"]
    report = run_updates(ClassificationReport(output_dict=True, is_multilabel=True, labels=labels), [(y_pred, y)])
    assert list(report) == ["cat", "dog", "bird", "macro avg"]
    expected = classification_report(y.numpy(), y_pred.numpy(), output_dict=True, target_names=labels, zero_division=0)
    _check_against_sklearn(report, expected)
    with pytest.raises(ValueError, match="Argument labels should name every class"):
        run_updates(ClassificationReport(is_multilabel=True, labels=["a"]), [(y_pred, y)])


@pytest.mark.parametrize(
    "mode, keys",
    [("both", {"0", "1", "macro avg", "report"}), ("named", {"report"}), ("flatten", {"0", "1", "macro avg"})],
)
def test_engine_result_modes(mode, keys):
    engine = Engine(lambda e, b: b)
    ClassificationReport(output_dict=True, metrics_result_mode=mode).attach(engine, "report")
    state = engine.run([(torch.rand(8, 2), torch.randint(0, 2, (8,)))])
    assert set(state.metrics) == keys


def test_state_dict_roundtrip():
    g = torch.Generator().manual_seed(4)
    batches = [(torch.randn(10, 3, generator=g), torch.randint(0, 3, (10,), generator=g)) for _ in range(3)]
    check_state_dict_roundtrip(lambda: ClassificationReport(output_dict=True), batches)
