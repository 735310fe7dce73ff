"""InceptionModel and the default extractor of FID/InceptionScore, through a small stand-in for torchvision.

The real constructor downloads ImageNet weights; tests never do. The stand-in records how the weights were
asked for and returns a tiny network with an ``fc`` head, as ``torchvision.models.inception_v3`` does.
"""

from __future__ import annotations

import sys
import types

import pytest
import torch

from ignite.metrics import FID, InceptionScore
from ignite.metrics.gan.utils import InceptionModel


class TinyInception(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
        self.fc = torch.nn.Linear(8, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


def stand_in_torchvision(with_weights_enum: bool = True) -> tuple[types.ModuleType, list[dict]]:
    calls: list[dict] = []
    models = types.ModuleType("torchvision.models")

    def inception_v3(**kwargs):
        calls.append(kwargs)
        torch.manual_seed(0)
        return TinyInception()

    models.inception_v3 = inception_v3
    if with_weights_enum:
        models.Inception_V3_Weights = types.SimpleNamespace(DEFAULT="IMAGENET1K_V1")
    torchvision = types.ModuleType("torchvision")
    torchvision.models = models
    return torchvision, calls


@pytest.fixture
def torchvision(monkeypatch):
    module, calls = stand_in_torchvision()
    monkeypatch.setitem(sys.modules, "torchvision", module)
    monkeypatch.setitem(sys.modules, "torchvision.models", module.models)
    return calls


def test_loads_the_default_weights_and_returns_probabilities(torchvision):
    model = InceptionModel(return_features=False)
    assert torchvision == [{"weights": "IMAGENET1K_V1"}]
    assert not model.training and not model.model.training
    out = model(torch.rand(5, 3, 16, 16))
    assert out.shape == (5, 1000) and not out.requires_grad
    torch.testing.assert_close(out.sum(dim=1), torch.ones(5))


def test_return_features_drops_the_classifier(torchvision):
    model = InceptionModel(return_features=True)
    assert isinstance(model.model.fc, torch.nn.Identity)
    x = torch.rand(2, 3, 8, 8)
    with torch.no_grad():
        torch.manual_seed(0)
        reference = TinyInception().features(x)
    torch.testing.assert_close(model(x), reference)


def test_old_torchvision_uses_pretrained(monkeypatch):
    module, calls = stand_in_torchvision(with_weights_enum=False)
    monkeypatch.setitem(sys.modules, "torchvision", module)
    InceptionModel(return_features=True)
    assert calls == [{"pretrained": True}]


def test_forward_errors(torchvision):
    model = InceptionModel(return_features=False)
    with pytest.raises(ValueError, match="Inputs should be a tensor of dim 4, got 3"):
        model(torch.rand(3, 8, 8))
    with pytest.raises(
        ValueError, match=r"Inputs should be a tensor with 3 channels, got torch.Size\(\[2, 1, 8, 8\]\)"
    ):
        model(torch.rand(2, 1, 8, 8))


def test_fid_and_inception_score_default_to_the_inception_probabilities(torchvision):
    fid = FID()
    score = InceptionScore()
    assert len(torchvision) == 2 and fid._num_features == 1000 and score._num_features == 1000
    images = torch.rand(6, 3, 12, 12)
    fid.update((images, images.flip(0)))  # the same images on both sides, in another order
    torch.testing.assert_close(fid._train_total, fid._test_total)
    torch.testing.assert_close(fid._train_total.sum(), torch.tensor(6.0, dtype=torch.float64))  # probabilities
    score.update(images)
    assert score.compute() >= 1.0


def test_missing_torchvision_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    for build in (lambda: InceptionModel(return_features=True), FID, InceptionScore):
        with pytest.raises(
            ModuleNotFoundError, match=r"requires torchvision to be installed.*ignite-ng\[torchvision\]"
        ):
            build()
    # a custom extractor needs no torchvision
    FID(num_features=2, feature_extractor=torch.nn.Identity())
    InceptionScore(num_features=2)
