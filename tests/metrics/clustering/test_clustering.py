"""SilhouetteScore, DaviesBouldinScore, CalinskiHarabaszScore (spec metrics.md §6.2), computed in torch, against
scikit-learn's functions."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from ignite.exceptions import NotComputableError
from ignite.metrics import clustering
from ignite.metrics.clustering import CalinskiHarabaszScore, DaviesBouldinScore, SilhouetteScore
from ignite.metrics.epoch_metric import EpochMetricWarning

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import check_chunked, check_state_dict_roundtrip, run_engine  # noqa: E402

METRICS = [
    (SilhouetteScore, skm.silhouette_score),
    (DaviesBouldinScore, skm.davies_bouldin_score),
    (CalinskiHarabaszScore, skm.calinski_harabasz_score),
]
IDS = ["silhouette", "davies_bouldin", "calinski_harabasz"]


def data(seed, n=60, d=3, k=4, dtype=torch.float32, label_dtype=torch.int64):
    g = torch.Generator().manual_seed(seed)
    centers = 3 * torch.randn(k, d, generator=g)
    labels = torch.randint(0, k, (n,), generator=g)
    features = centers[labels] + torch.randn(n, d, generator=g)
    if dtype in (torch.int32, torch.int64):
        features = (4 * features).round()
    # cluster ids with gaps and a negative one: only their distinctness matters
    ids = torch.tensor([-3, 0, 7, 12, 40, 41, 99])[:k]
    return features.to(dtype), ids[labels].to(label_dtype)


def sk(fn, features, labels, **kwargs):
    return fn(features.double().numpy(), labels.numpy(), **kwargs)


def test_hand_worked_two_pairs():
    # clusters {0, 1} and {10, 11} on a line
    x, labels = torch.tensor([[0.0], [1.0], [10.0], [11.0]]), torch.tensor([0, 0, 1, 1])
    values = {}
    for cls in (SilhouetteScore, DaviesBouldinScore, CalinskiHarabaszScore):
        m = cls()
        m.update((x, labels))
        values[cls] = m.compute()
    # silhouette: a = 1 for every point; b = 10.5 for the outer points (0, 11), 9.5 for the inner ones (1, 10)
    sil = np.mean([(10.5 - 1) / 10.5, (9.5 - 1) / 9.5, (9.5 - 1) / 9.5, (10.5 - 1) / 10.5])
    assert values[SilhouetteScore] == pytest.approx(sil)
    assert values[DaviesBouldinScore] == pytest.approx((0.5 + 0.5) / 10)  # spreads 0.5, centroids 10 apart
    assert values[CalinskiHarabaszScore] == pytest.approx((4 * 25.0 / 1) / (4 * 0.25 / 2))  # B=100, W=1


@pytest.mark.parametrize("cls,fn", METRICS, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.float16])
@pytest.mark.parametrize("label_dtype", [torch.int64, torch.int32, torch.float32])
@pytest.mark.parametrize("shape", [(60, 3, 4), (45, 1, 2), (80, 6, 7)])
def test_matches_sklearn(cls, fn, dtype, label_dtype, shape):
    n, d, k = shape
    features, labels = data(0, n, d, k, dtype, label_dtype)
    m = cls()
    m.update((features[:20], labels[:20]))
    m.update((features[20:], labels[20:]))
    result = m.compute()
    assert isinstance(result, float)
    assert result == pytest.approx(sk(fn, features, labels), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("metric", ["euclidean", "l2", "manhattan", "cityblock", "l1", "cosine"])
def test_silhouette_torch_distances_match_sklearn(metric):
    features, labels = data(1)
    features[3] = 0  # a zero vector (cosine distance 1 to everything)
    m = SilhouetteScore(silhouette_kwargs={"metric": metric})
    m.update((features, labels))
    assert m.compute() == pytest.approx(sk(skm.silhouette_score, features, labels, metric=metric), rel=1e-10)


def test_silhouette_other_kwargs_go_to_sklearn():
    features, labels = data(2, n=100)
    kwargs = {"metric": "chebyshev", "sample_size": 50, "random_state": 0}
    m = SilhouetteScore(silhouette_kwargs=kwargs)
    assert m._use_sklearn
    m.update((features, labels))
    labels_0k = torch.unique(labels, return_inverse=True)[1]
    assert m.compute() == pytest.approx(sk(skm.silhouette_score, features, labels_0k, **kwargs), rel=1e-12)


def test_silhouette_in_row_chunks(monkeypatch):
    from ignite.metrics.clustering import silhouette_score

    features, labels = data(3, n=50)
    monkeypatch.setattr(silhouette_score, "_CHUNK_ELEMENTS", 7 * 50)  # 7 rows at a time
    m = SilhouetteScore()
    m.update((features, labels))
    assert m.compute() == pytest.approx(sk(skm.silhouette_score, features, labels), rel=1e-10)


def test_degenerate_clusterings_hand_worked():
    # singletons score 0 in the silhouette; identical points: DB 0, CH 1 (scikit-learn's conventions)
    x = torch.tensor([[0.0], [0.0], [5.0], [7.0]])
    labels = torch.tensor([0, 0, 1, 2])
    for cls, fn in METRICS:
        m = cls()
        m.update((x, labels))
        assert m.compute() == pytest.approx(sk(fn, x, labels))
    same = torch.tensor([[1.0, 1.0]] * 4)
    for cls, expected in ((DaviesBouldinScore, 0.0), (CalinskiHarabaszScore, 1.0), (SilhouetteScore, 0.0)):
        m = cls()
        m.update((same, torch.tensor([0, 0, 1, 1])))
        assert m.compute() == expected


@pytest.mark.parametrize("cls", [SilhouetteScore, DaviesBouldinScore, CalinskiHarabaszScore])
def test_undefined_number_of_clusters_gives_nan(cls):
    m = cls(check_compute_fn=False)
    m.update((torch.randn(5, 2), torch.zeros(5, dtype=torch.long)))  # one cluster
    assert np.isnan(m.compute())
    m.reset()
    m.update((torch.randn(3, 2), torch.tensor([0, 1, 2])))  # as many clusters as samples
    assert np.isnan(m.compute())


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), cuts=st.lists(st.integers(1, 39), max_size=4), which=st.integers(0, 2))
def test_many_small_updates_equal_one_big(seed, cuts, which):
    cls, fn = METRICS[which]
    features, labels = data(seed, n=40)
    if torch.unique(labels).numel() >= 2:
        check_chunked(cls, (features, labels), cuts, sk(fn, features, labels), rtol=1e-10)


@pytest.mark.parametrize("cls,fn", METRICS, ids=IDS)
def test_state_dict_roundtrip_engine_and_dict_output(cls, fn):
    features, labels = data(4)
    batches = [(features[:25], labels[:25]), (features[25:], labels[25:])]
    check_state_dict_roundtrip(cls, batches)
    dict_batches = [{"features": f, "labels": lab} for f, lab in batches]
    assert run_engine(cls(), dict_batches) == pytest.approx(sk(fn, features, labels), rel=1e-10)


def test_subpackage_exports():
    assert {CalinskiHarabaszScore, DaviesBouldinScore, SilhouetteScore} == {
        getattr(clustering, n) for n in ("CalinskiHarabaszScore", "DaviesBouldinScore", "SilhouetteScore")
    }


@pytest.mark.parametrize("cls", [SilhouetteScore, DaviesBouldinScore, CalinskiHarabaszScore])
def test_errors(cls):
    m = cls()
    with pytest.raises(ValueError, match=r"^Features should be of shape \(batch_size, n_targets\).$"):
        m.update((torch.zeros(4), torch.zeros(4)))
    with pytest.raises(ValueError, match=r"^Labels should be of shape \(batch_size, \).$"):
        m.update((torch.zeros(4, 2), torch.zeros(4, 1)))
    with pytest.raises(ValueError, match=r"^features and labels should hold as many samples, got 4 and 3.$"):
        m.update((torch.zeros(4, 2), torch.zeros(3)))
    with pytest.raises(
        NotComputableError, match=rf"^{cls.__name__} must have at least one example before it can be computed.$"
    ):
        m.compute()
    m.update((torch.randn(4, 2), torch.tensor([0, 0, 1, 1])))
    with pytest.raises(
        ValueError,
        match=r"^Incoherent types between input features and stored features: torch.float32 vs torch.float64$",
    ):
        m.update((torch.randn(4, 2, dtype=torch.float64), torch.tensor([0, 0, 1, 1])))
    with pytest.raises(
        ValueError, match=r"^Incoherent types between input labels and stored labels: torch.int64 vs torch.int32$"
    ):
        m.update((torch.randn(4, 2), torch.tensor([0, 0, 1, 1], dtype=torch.int32)))


@pytest.mark.parametrize("cls", [SilhouetteScore, DaviesBouldinScore, CalinskiHarabaszScore])
def test_non_finite_features_are_refused(cls):
    m = cls()
    x = torch.randn(6, 2)
    x[2, 1] = float("nan")
    with pytest.warns(EpochMetricWarning, match="features should hold finite values only"):
        m.update((x, torch.tensor([0, 0, 0, 1, 1, 1])))
    with pytest.raises(
        ValueError, match=rf"^{cls.__name__}: features should hold finite values only, got NaN or inf.$"
    ):
        m.compute()


def test_empty_batches_only_are_not_computable():
    m = SilhouetteScore()
    with pytest.warns(EpochMetricWarning, match="SilhouetteScore must have at least one example"):
        m.update((torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)))
    with pytest.raises(NotComputableError, match="SilhouetteScore must have at least one example"):
        m.compute()


def test_inputs_are_not_modified():
    features, labels = data(5)
    copies = features.clone(), labels.clone()
    for cls, _ in METRICS:
        m = cls()
        m.update((features, labels))
        m.compute()
    assert torch.equal(features, copies[0]) and torch.equal(labels, copies[1])


def test_scikit_learn_only_needed_for_its_own_kwargs(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now fails
    features, labels = data(6)
    for m in (SilhouetteScore(silhouette_kwargs={"metric": "cosine"}), DaviesBouldinScore(), CalinskiHarabaszScore()):
        m.update((features, labels))
        assert np.isfinite(m.compute())
    with pytest.raises(ModuleNotFoundError, match=r"^This module requires scikit-learn to be installed.$"):
        SilhouetteScore(silhouette_kwargs={"sample_size": 10})
