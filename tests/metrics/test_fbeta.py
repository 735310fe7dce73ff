"""Fbeta (spec metrics.md §3.4) against scikit-learn's fbeta_score."""

import pytest
import torch
from metric_checks import assert_close, check_state_dict_roundtrip, run_engine, run_updates
from sklearn.metrics import fbeta_score

from ignite.metrics import Fbeta, MetricsLambda, Precision, Recall


def _batches(seed, num_classes=4, n=32, count=3):
    g = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(n, num_classes, generator=g), torch.randint(0, num_classes, (n,), generator=g))
        for _ in range(count)
    ]


def _labels(batches):
    return torch.cat([b[1] for b in batches]).numpy(), torch.cat([b[0] for b in batches]).argmax(1).numpy()


def test_spec_worked_example():
    y_pred = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.5, 0.1]])
    y = torch.tensor([1, 2, 2, 0])
    assert run_updates(Fbeta(2.0), [(y_pred, y)]) == pytest.approx(0.462963, abs=1e-6)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0, 3])
@pytest.mark.parametrize("average", [True, False])
def test_multiclass_matches_sklearn(beta, average):
    batches = _batches(1)
    y, y_pred = _labels(batches)
    expected = fbeta_score(y, y_pred, beta=beta, average="macro" if average else None, labels=[0, 1, 2, 3])
    f = Fbeta(beta, average=average)
    assert isinstance(f, MetricsLambda)
    result = run_engine(f, batches)
    assert_close(result, expected, atol=1e-7)
    assert isinstance(result, float) if average else result.shape == (4,)


def test_binary_and_multilabel_match_sklearn():
    g = torch.Generator().manual_seed(2)
    y_pred, y = torch.randint(0, 2, (50,), generator=g), torch.randint(0, 2, (50,), generator=g)
    f = run_updates(Fbeta(1.0, average=False), [(y_pred, y)])
    assert f.ndim == 0 and f.item() == pytest.approx(fbeta_score(y.numpy(), y_pred.numpy(), beta=1.0))
    ml_pred, ml_y = torch.randint(0, 2, (40, 5), generator=g), torch.randint(0, 2, (40, 5), generator=g)
    p, r = Precision(is_multilabel=True), Recall(is_multilabel=True)
    f = Fbeta(2.0, precision=p, recall=r)
    expected = fbeta_score(ml_y.numpy(), ml_pred.numpy(), beta=2.0, average="macro", zero_division=0)
    assert run_updates(f, [(ml_pred, ml_y)]) == pytest.approx(expected)


def test_given_metrics_transform_and_device():
    p = Precision(average=False)
    f = Fbeta(1.0, precision=p)
    assert p in f.args and isinstance(f.args[1], Recall) and f.args[1]._device == p._device
    transform = lambda out: (out["p"], out["y"])  # noqa: E731
    f = Fbeta(1.0, output_transform=transform, device="cpu")
    assert f.args[0]._output_transform is transform and f.args[1]._output_transform is transform
    batches = [{"p": b[0], "y": b[1]} for b in _batches(3)]
    y, y_pred = _labels([(b["p"], b["y"]) for b in batches])
    assert run_engine(f, batches) == pytest.approx(fbeta_score(y, y_pred, beta=1.0, average="macro"))
    # average=None metrics are accepted (binary input then gives both classes)
    f = Fbeta(1.0, average=False, precision=Precision(average=None), recall=Recall(average=None))
    value = run_updates(f, [(torch.tensor([1, 0, 1, 1]), torch.tensor([1, 0, 0, 1]))])
    assert value.shape == (2,)


def test_errors():
    with pytest.raises(ValueError, match="Beta should be a positive integer, but given 0"):
        Fbeta(0)
    with pytest.raises(ValueError, match="Beta should be a positive integer, but given -1"):
        Fbeta(-1)
    p, r = Precision(), Recall()
    with pytest.raises(ValueError, match="If precision argument is provided, output_transform should be None"):
        Fbeta(1.0, precision=p, output_transform=lambda x: x)
    with pytest.raises(ValueError, match="If precision argument is provided, device should be None"):
        Fbeta(1.0, precision=p, device="cpu")
    with pytest.raises(ValueError, match="If recall argument is provided, output_transform should be None"):
        Fbeta(1.0, recall=r, output_transform=lambda x: x)
    with pytest.raises(ValueError, match="If recall argument is provided, device should be None"):
        Fbeta(1.0, recall=r, device="cpu")
    with pytest.raises(ValueError, match="Input precision metric should have average=False"):
        Fbeta(1.0, precision=Precision(average="macro"))
    with pytest.raises(ValueError, match="Input recall metric should have average=False"):
        Fbeta(1.0, recall=Recall(average=True))


def test_state_dict_roundtrip():
    check_state_dict_roundtrip(lambda: Fbeta(1.0), _batches(4))
    check_state_dict_roundtrip(lambda: Fbeta(0.5, average=False), _batches(5))
