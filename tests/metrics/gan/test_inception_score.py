"""InceptionScore against a numpy implementation of its formula."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ignite.engine import Engine
from ignite.exceptions import NotComputableError
from ignite.metrics import InceptionScore

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import check_chunked, check_state_dict_roundtrip  # noqa: E402


def numpy_inception_score(p: np.ndarray, eps: float = 1e-16) -> float:
    """``exp(mean_i KL(p_i || mean_j p_j))``."""
    marginal = p.mean(axis=0, keepdims=True)
    kl = (p * (np.log(p + eps) - np.log(marginal + eps))).sum(axis=1)
    return float(np.exp(kl.mean()))


def probabilities(n: int, c: int, seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(3 * torch.randn(n, c, generator=g, dtype=torch.float64), dim=1).to(dtype)


def identity_score(c: int) -> InceptionScore:
    return InceptionScore(num_features=c, feature_extractor=torch.nn.Identity())


def test_worked_example():
    score = identity_score(2)
    score.update(torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]))
    assert score.compute() == pytest.approx(1.202873, abs=1e-6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
@pytest.mark.parametrize("n, c", [(1, 3), (64, 10), (200, 1000)])
def test_matches_numpy(dtype, n, c):
    p = probabilities(n, c, seed=n + c, dtype=dtype)
    score = identity_score(c)
    score.update(p)
    assert score.compute() == pytest.approx(numpy_inception_score(p.double().numpy()), rel=1e-9)


def test_one_hot_predictions_give_the_number_of_classes():
    score = identity_score(4)
    score.update(torch.eye(4).repeat(3, 1))
    assert score.compute() == pytest.approx(4.0, rel=1e-12)


def test_image_extractor():
    torch.manual_seed(0)
    extractor = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48, 5), torch.nn.Softmax(dim=1))
    images = torch.rand(20, 3, 4, 4)
    score = InceptionScore(num_features=5, feature_extractor=extractor)
    score.update(images)
    with torch.no_grad():
        expected = numpy_inception_score(extractor(images).double().numpy())
    assert score.compute() == pytest.approx(expected, rel=1e-6)


CHUNK_DATA = probabilities(30, 6, seed=7)
CHUNK_EXPECTED = numpy_inception_score(CHUNK_DATA.numpy())


class _Single(InceptionScore):
    """Takes the ``(probabilities,)`` tuples that the shared chunk check passes."""

    def update(self, output):
        super().update(output[0])


@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(1, 29), max_size=6))
def test_chunked_equals_whole(cuts):
    check_chunked(
        lambda: _Single(num_features=6, feature_extractor=torch.nn.Identity()), (CHUNK_DATA,), cuts, CHUNK_EXPECTED
    )


def test_state_dict_roundtrip():
    check_state_dict_roundtrip(lambda: identity_score(4), [probabilities(5, 4, seed=i) for i in range(3)])


def test_attached_to_an_engine_with_output_transform():
    p = probabilities(25, 3, seed=1)
    engine = Engine(lambda e, b: {"y_pred": b, "y": None})
    InceptionScore(
        num_features=3, feature_extractor=torch.nn.Identity(), output_transform=lambda o: o["y_pred"]
    ).attach(engine, "is")
    state = engine.run([p[i : i + 6] for i in range(0, 25, 6)])
    assert state.metrics["is"] == pytest.approx(numpy_inception_score(p.numpy()), rel=1e-9)


def test_inputs_are_not_modified():
    p = probabilities(8, 3, seed=2)
    copy = p.clone()
    score = identity_score(3)
    score.update(p)
    score.compute()
    assert torch.equal(p, copy)


@pytest.mark.parametrize("bad", [float("nan"), -0.5])
def test_invalid_probabilities_raise_instead_of_a_silent_nan(bad):
    score = identity_score(2)
    score.update(torch.tensor([[0.5, 0.5], [bad, 1.0]]))
    with pytest.raises(ValueError, match="InceptionScore is NaN: the probabilities given to update contain NaN"):
        score.compute()


def test_errors():
    score = identity_score(3)
    with pytest.raises(
        NotComputableError, match="InceptionScore must have at least one example before it can be computed."
    ):
        score.compute()
    with pytest.raises(ValueError, match="Batch size should be greater than one, got: 0"):
        score.update(torch.ones(0, 3))
    with pytest.raises(ValueError, match="num_features returned by feature_extractor should be 3, got: 2"):
        score.update(torch.ones(4, 2))
    with pytest.raises(ValueError, match="feature_extractor output must be a tensor of dim 2, got: 1"):
        score.update(torch.ones(3))
    with pytest.raises(ValueError, match="Argument num_features must be provided, if feature_extractor is specified."):
        InceptionScore(feature_extractor=torch.nn.Identity())
    with pytest.raises(ValueError, match="Argument num_features must be greater to zero, got: -1"):
        InceptionScore(num_features=-1)
    with pytest.raises(TypeError, match="Argument feature_extractor must be of type torch.nn.Module, got "):
        InceptionScore(num_features=3, feature_extractor="inception")
