"""Shared base of the clustering metrics: store ``(features, labels)`` of the epoch, score them at the end."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.epoch_metric import EpochMetric
from ignite.metrics.metric import _identity

__all__ = ["_ClusteringMetricBase"]


class _ClusteringMetricBase(EpochMetric):
    """An :class:`~ignite.metrics.epoch_metric.EpochMetric` on ``(features, labels)`` pairs.

    ``features`` is ``(N, D)``, ``labels`` ``(N,)`` (cluster ids, any values). ``compute()`` gathers the samples
    of every rank (ranks may hold different numbers of samples), checks them, and applies ``_score`` to the
    float64 features and the labels renumbered ``0..K-1``. Every rank computes the score from the same data, so
    an error (non-finite features) is raised on every rank instead of leaving the others waiting. With fewer
    than two clusters, or as many clusters as samples, the result is ``nan`` (the score is undefined).
    """

    required_output_keys = ("features", "labels")
    _compute_on_every_rank = True

    def __init__(
        self,
        output_transform: Callable = _identity,
        check_compute_fn: bool = True,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            self._compute_score,
            output_transform=output_transform,
            check_compute_fn=check_compute_fn,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    def _check_shape(self, output: Sequence[torch.Tensor]) -> None:
        features, labels = output[0], output[1]
        if features.ndimension() != 2:
            raise ValueError("Features should be of shape (batch_size, n_targets).")
        if labels.ndimension() != 1:
            raise ValueError("Labels should be of shape (batch_size, ).")
        if features.shape[0] != labels.shape[0]:
            raise ValueError(
                f"features and labels should hold as many samples, got {features.shape[0]} and {labels.shape[0]}."
            )

    def _check_type(self, output: Sequence[torch.Tensor]) -> None:
        features, labels = output[0], output[1]
        if len(self._predictions) < 1:
            return
        dtype = self._predictions[-1].dtype
        if dtype != features.dtype:
            raise ValueError(
                f"Incoherent types between input features and stored features: {dtype} vs {features.dtype}"
            )
        dtype = self._targets[-1].dtype
        if dtype != labels.dtype:
            raise ValueError(f"Incoherent types between input labels and stored labels: {dtype} vs {labels.dtype}")

    def _store(self, t: torch.Tensor) -> torch.Tensor:
        stored = super()._store(t)
        return stored.reshape(t.shape)  # features of one dimension, (N, 1), stay 2-d

    def _compute_score(self, features: torch.Tensor, labels: torch.Tensor) -> float:
        if features.shape[0] == 0:
            raise NotComputableError(
                f"{self.__class__.__name__} must have at least one example before it can be computed."
            )
        x = features.double()
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"{self.__class__.__name__}: features should hold finite values only, got NaN or inf.")
        clusters, index = torch.unique(labels, return_inverse=True)
        k = clusters.numel()
        if k < 2 or k >= x.shape[0]:
            return float("nan")
        return float(self._score(x, index, k))

    def _score(self, x: torch.Tensor, index: torch.Tensor, k: int) -> Any:
        raise NotImplementedError


def _centroids(x: torch.Tensor, index: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-cluster means ``(K, D)`` and sizes ``(K,)`` (float64)."""
    sizes = torch.bincount(index, minlength=k).to(x.dtype)
    sums = torch.zeros(k, x.shape[1], dtype=x.dtype, device=x.device).index_add_(0, index, x)
    return sums / sizes[:, None], sizes
