"""Calinski-Harabasz index: between-cluster over within-cluster dispersion."""

from __future__ import annotations

import torch

from ignite.metrics.clustering._base import _centroids, _ClusteringMetricBase

__all__ = ["CalinskiHarabaszScore"]


class CalinskiHarabaszScore(_ClusteringMetricBase):
    r"""Calinski-Harabasz score (variance ratio criterion) of the clustering given by ``labels``, as in
    scikit-learn's ``calinski_harabasz_score`` but computed in torch (float64) on the stored samples.

    ``(B / (K - 1)) / (W / (N - K))`` with ``B`` the size-weighted squared distances of the cluster centroids to
    the overall mean and ``W`` the squared distances of the samples to their centroid; ``1.0`` when ``W == 0``.
    Higher is better. Input ``(features, labels)``: ``(N, D)`` features and ``(N,)`` cluster ids.

    Args:
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        check_compute_fn: score the first batch alone and warn if it fails.
        device: where the samples are stored.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    ch = CalinskiHarabaszScore()
    ch.update((torch.tensor([[0.0], [1.0], [10.0], [11.0]]), torch.tensor([0, 0, 1, 1])))
    ch.compute()  # 200.0
    ```
    """

    def _score(self, x: torch.Tensor, index: torch.Tensor, k: int) -> torch.Tensor:
        centroids, sizes = _centroids(x, index, k)
        between = (sizes * ((centroids - x.mean(dim=0)) ** 2).sum(dim=1)).sum()
        within = ((x - centroids[index]) ** 2).sum()
        if within == 0:
            return torch.tensor(1.0)
        n = x.shape[0]
        return between * (n - k) / (within * (k - 1))
