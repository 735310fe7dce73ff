"""FID and fid_score against the scipy formula (``sqrtm`` of the covariance product) and numpy statistics."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ignite.engine import Engine
from ignite.exceptions import NotComputableError
from ignite.metrics import FID
from ignite.metrics.gan.fid import fid_score

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import assert_close, check_chunked, check_state_dict_roundtrip  # noqa: E402


def scipy_fid(train: np.ndarray, test: np.ndarray) -> float:
    """The reference formula (as pytorch-fid): means, ``np.cov``, ``scipy.linalg.sqrtm(sigma1 @ sigma2)``."""
    mu1, mu2 = train.mean(axis=0), test.mean(axis=0)
    sigma1 = np.atleast_2d(np.cov(train, rowvar=False))
    sigma2 = np.atleast_2d(np.cov(test, rowvar=False))
    return scipy_fid_from_stats(mu1, mu2, sigma1, sigma2)


def scipy_fid_from_stats(mu1, mu2, sigma1, sigma2) -> float:
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def features(n: int, f: int, seed: int, dtype: torch.dtype = torch.float64, shift: float = 0.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(f, f, generator=g, dtype=torch.float64)
    return (torch.randn(n, f, generator=g, dtype=torch.float64) @ mixing + shift).to(dtype)


def identity_fid(f: int) -> FID:
    return FID(num_features=f, feature_extractor=torch.nn.Identity())


def test_worked_example():
    fid = identity_fid(2)
    fid.update((torch.tensor([[1.0, 0], [0, 1], [1, 1], [2, 0]]), torch.tensor([[0.5, 0.5], [1, 0], [0, 2], [1, 1]])))
    assert fid.compute() == pytest.approx(0.473402, abs=1e-6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int64])
@pytest.mark.parametrize("n, f", [(50, 4), (200, 16), (30, 1)])
def test_matches_scipy_formula(dtype, n, f):
    train = features(n, f, seed=1, dtype=dtype)
    test = features(n, f, seed=2, dtype=dtype, shift=0.5)
    fid = identity_fid(f)
    fid.update((train, test))
    expected = scipy_fid(train.double().numpy().reshape(n, f), test.double().numpy().reshape(n, f))
    assert fid.compute() == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_image_extractor_matches_scipy_on_its_features():
    torch.manual_seed(0)
    extractor = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    fake, real = torch.rand(40, 3, 8, 8), torch.rand(40, 3, 8, 8) * 0.8
    fid = FID(num_features=4, feature_extractor=extractor)
    fid.update((fake, real))
    with torch.no_grad():
        expected = scipy_fid(extractor(fake).double().numpy(), extractor(real).double().numpy())
    assert fid.compute() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_fid_score_well_conditioned_equals_scipy(seed):
    g = torch.Generator().manual_seed(seed)
    f = 24
    a, b = torch.randn(f, f, generator=g, dtype=torch.float64), torch.randn(f, f, generator=g, dtype=torch.float64)
    sigma1, sigma2 = a @ a.T + torch.eye(f, dtype=torch.float64), b @ b.T / f + 0.5 * torch.eye(f, dtype=torch.float64)
    mu1, mu2 = torch.randn(f, generator=g, dtype=torch.float64), torch.randn(f, generator=g, dtype=torch.float64)
    expected = scipy_fid_from_stats(*(x.numpy() for x in (mu1, mu2, sigma1, sigma2)))
    assert fid_score(mu1, mu2, sigma1, sigma2) == pytest.approx(expected, abs=1e-6, rel=0)


@pytest.mark.parametrize("seed", range(5))
def test_fid_rank_deficient_covariances_within_1e_3_of_scipy(seed):
    # fewer samples than features: both covariances are singular
    n, f = 12, 40
    train = features(n, f, seed=seed)
    test = features(n, f, seed=seed + 100, shift=0.3)
    fid = identity_fid(f)
    fid.update((train, test))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that the product is singular
        expected = scipy_fid(train.numpy(), test.numpy())
    assert fid.compute() == pytest.approx(expected, abs=1e-3, rel=0)


def test_fid_score_accepts_arrays_and_needs_no_scipy(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.linalg", None)
    value = fid_score(np.zeros(2), np.ones(2), np.eye(2), np.eye(2))
    assert value == pytest.approx(2.0, abs=1e-12)
    fid = identity_fid(3)
    fid.update((features(10, 3, 0), features(10, 3, 1)))
    assert np.isfinite(fid.compute())


def test_fid_score_falls_back_to_the_diagonal_when_the_root_is_not_finite():
    sigma = torch.tensor([[1.0, 0.0], [0.0, float("inf")]], dtype=torch.float64)
    assert not np.isfinite(fid_score(torch.zeros(2), torch.zeros(2), sigma, torch.eye(2)))


CHUNK_DATA = features(40, 5, 3), features(40, 5, 4, shift=1.0)
CHUNK_EXPECTED = scipy_fid(CHUNK_DATA[0].numpy(), CHUNK_DATA[1].numpy())


@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(1, 39), max_size=6))
def test_chunked_equals_whole(cuts):
    check_chunked(lambda: identity_fid(5), CHUNK_DATA, cuts, CHUNK_EXPECTED)


def test_state_dict_roundtrip():
    batches = [(features(10, 3, i), features(10, 3, i + 10)) for i in range(3)]
    check_state_dict_roundtrip(lambda: identity_fid(3), batches)


def test_attached_to_an_engine():
    train, test = features(30, 4, 5), features(30, 4, 6)
    engine = Engine(lambda e, b: b)
    identity_fid(4).attach(engine, "fid")
    state = engine.run([(train[i : i + 7], test[i : i + 7]) for i in range(0, 30, 7)])
    assert state.metrics["fid"] == pytest.approx(scipy_fid(train.numpy(), test.numpy()), rel=1e-9)


def test_inputs_are_not_modified():
    train, test = features(10, 3, 0), features(10, 3, 1)
    copies = train.clone(), test.clone()
    fid = identity_fid(3)
    fid.update((train, test))
    fid.compute()
    assert torch.equal(train, copies[0]) and torch.equal(test, copies[1])


def test_compute_does_not_change_the_state():
    fid = identity_fid(3)
    fid.update((features(10, 3, 0), features(10, 3, 1)))
    assert fid.compute() == fid.compute()


def test_not_computable_before_two_samples():
    fid = identity_fid(2)
    with pytest.raises(NotComputableError, match="FID must have at least two examples before it can be computed."):
        fid.compute()
    fid.update((torch.ones(1, 2), torch.zeros(1, 2)))
    with pytest.raises(NotComputableError, match="at least two examples"):
        fid.compute()


def test_non_finite_result_warns():
    fid = identity_fid(2)
    fid.update((torch.tensor([[1.0, float("inf")], [0.0, 1.0]]), torch.zeros(2, 2)))
    with pytest.warns(UserWarning, match="The product of covariance of train and test features is out of bounds."):
        fid.compute()


def test_constructor_errors():
    with pytest.raises(ValueError, match="Argument num_features must be provided, if feature_extractor is specified."):
        FID(feature_extractor=torch.nn.Identity())
    with pytest.raises(ValueError, match="Argument num_features must be greater to zero, got: 0"):
        FID(num_features=0)
    with pytest.raises(TypeError, match="Argument feature_extractor must be of type torch.nn.Module, got "):
        FID(num_features=2, feature_extractor=lambda x: x)
    with pytest.raises(TypeError, match="num_features"):
        FID(num_features=2.5)


def test_update_errors():
    fid = identity_fid(2)
    with pytest.raises(ValueError, match="feature_extractor output must be a tensor of dim 2, got: 3"):
        fid.update((torch.ones(2, 2, 1), torch.ones(2, 2, 1)))
    with pytest.raises(ValueError, match="Batch size should be greater than one, got: 0"):
        fid.update((torch.ones(0, 2), torch.ones(0, 2)))
    with pytest.raises(ValueError, match="num_features returned by feature_extractor should be 2, got: 3"):
        fid.update((torch.ones(2, 3), torch.ones(2, 3)))
    with pytest.raises(ValueError, match=r"Number of Training Features and Testing Features should be equal \("):
        fid.update((torch.ones(2, 2), torch.ones(3, 2)))
    assert fid._num_examples == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda_matches_cpu():
    train, test = features(30, 6, 0), features(30, 6, 1, shift=0.2)
    cpu, cuda = identity_fid(6), FID(num_features=6, feature_extractor=torch.nn.Identity(), device="cuda")
    cpu.update((train, test))
    cuda.update((train.cuda(), test.cuda()))
    assert cuda._train_sigma.device.type == "cuda"
    assert_close(cuda.compute(), cpu.compute(), rtol=1e-9)
