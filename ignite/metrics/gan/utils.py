"""The default feature extractor (Inception v3 through torchvision) and the base of the GAN metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ignite.metrics.metric import Metric, _identity

__all__ = ["InceptionModel"]

_TORCHVISION_MISSING = (
    "This module requires torchvision to be installed. "
    "Install it with: pip install 'ignite-ng[torchvision]' (or pass your own feature_extractor)."
)


def _torchvision_models() -> Any:
    """``torchvision.models``, or a ``ModuleNotFoundError`` naming the extra that provides it."""
    try:
        from torchvision import models
    except ImportError:
        raise ModuleNotFoundError(_TORCHVISION_MISSING) from None
    return models


class InceptionModel(torch.nn.Module):
    """Inception v3 with ImageNet weights (loaded by torchvision, downloaded on first use) as a feature extractor.

    Args:
        return_features: output the 2048 pooled features (the final ``fc`` becomes an identity) instead of the
            1000 class probabilities (``fc`` followed by a softmax).
        device: where the network lives; inputs are moved there.

    ``forward`` takes images ``(N, 3, H, W)`` and runs without gradients.
    """

    def __init__(self, return_features: bool, device: str | torch.device = "cpu") -> None:
        models = _torchvision_models()
        super().__init__()
        self._device = torch.device(device)
        weights_enum = getattr(models, "Inception_V3_Weights", None)
        if weights_enum is not None:
            model = models.inception_v3(weights=weights_enum.DEFAULT)
        else:  # torchvision < 0.13
            model = models.inception_v3(pretrained=True)
        self.model = model.to(self._device)
        if return_features:
            self.model.fc = torch.nn.Identity()
        else:
            self.model.fc = torch.nn.Sequential(self.model.fc, torch.nn.Softmax(dim=1))
        self.eval()

    @torch.no_grad()
    def forward(self, data: torch.Tensor) -> torch.Tensor:
        if data.dim() != 4:
            raise ValueError(f"Inputs should be a tensor of dim 4, got {data.dim()}")
        if data.shape[1] != 3:
            raise ValueError(f"Inputs should be a tensor with 3 channels, got {data.shape}")
        return self.model(data.to(self._device))


class _BaseInceptionMetric(Metric):
    """Shared by :class:`~ignite.metrics.FID` and :class:`~ignite.metrics.InceptionScore`: a feature extractor
    whose ``(N, num_features)`` output the metric accumulates in float64."""

    def __init__(
        self,
        num_features: int | None,
        feature_extractor: torch.nn.Module | None,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        if num_features is None:
            raise ValueError("Argument num_features must be provided, if feature_extractor is specified.")
        if feature_extractor is None:
            feature_extractor = torch.nn.Identity()
        if isinstance(num_features, bool) or not isinstance(num_features, int):
            raise TypeError(f"Argument num_features should be an int, got {type(num_features)}")
        if num_features <= 0:
            raise ValueError(f"Argument num_features must be greater to zero, got: {num_features}")
        if not isinstance(feature_extractor, torch.nn.Module):
            raise TypeError(
                f"Argument feature_extractor must be of type torch.nn.Module, got {type(feature_extractor)}"
            )
        self._num_features = num_features
        self._feature_extractor = feature_extractor.to(device)
        super().__init__(output_transform=output_transform, device=device)

    def _extract_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """Features of ``inputs`` as ``(N, num_features)`` in float64 (float32 on MPS) on the metric's device."""
        inputs = inputs.detach()
        if inputs.device != self._device:
            inputs = inputs.to(self._device)
        with torch.no_grad():
            outputs = self._feature_extractor(inputs).to(self._double_dtype)
        if outputs.dim() != 2:
            raise ValueError(f"feature_extractor output must be a tensor of dim 2, got: {outputs.dim()}")
        if outputs.shape[0] == 0:
            raise ValueError(f"Batch size should be greater than one, got: {outputs.shape[0]}")
        if outputs.shape[1] != self._num_features:
            raise ValueError(
                f"num_features returned by feature_extractor should be {self._num_features}, got: {outputs.shape[1]}"
            )
        return outputs
