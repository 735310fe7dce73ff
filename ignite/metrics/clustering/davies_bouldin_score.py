"""Davies-Bouldin index: mean over clusters of the worst similarity to another cluster."""

from __future__ import annotations

import torch

from ignite.metrics.clustering._base import _centroids, _ClusteringMetricBase

__all__ = ["DaviesBouldinScore"]


class DaviesBouldinScore(_ClusteringMetricBase):
    r"""Davies-Bouldin score of the clustering given by ``labels``, as in scikit-learn's
    ``davies_bouldin_score`` but computed in torch (float64) on the stored samples.

    With ``s_i`` the mean distance of cluster ``i``'s samples to its centroid and ``d_ij`` the distance between
    centroids: the mean over ``i`` of ``max_{j != i} (s_i + s_j) / d_ij``; ``0.0`` when every ``s_i`` or every
    ``d_ij`` is (close to) zero. Lower is better. Input ``(features, labels)``: ``(N, D)`` and ``(N,)``.

    Args:
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        check_compute_fn: score the first batch alone and warn if it fails.
        device: where the samples are stored.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    db = DaviesBouldinScore()
    db.update((torch.tensor([[0.0], [1.0], [10.0], [11.0]]), torch.tensor([0, 0, 1, 1])))
    db.compute()  # 0.1
    ```
    """

    def _score(self, x: torch.Tensor, index: torch.Tensor, k: int) -> torch.Tensor:
        centroids, sizes = _centroids(x, index, k)
        to_centroid = torch.linalg.vector_norm(x - centroids[index], dim=1)
        spread = torch.zeros(k, dtype=x.dtype, device=x.device).index_add_(0, index, to_centroid) / sizes
        between = torch.cdist(centroids, centroids, compute_mode="donot_use_mm_for_euclid_dist")
        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        if torch.allclose(spread, zero.expand_as(spread)) or torch.allclose(between, zero.expand_as(between)):
            return zero
        between = torch.where(between == 0, torch.inf, between)
        ratio = (spread[:, None] + spread[None, :]) / between
        return ratio.max(dim=1).values.mean()
