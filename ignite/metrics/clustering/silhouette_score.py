"""Silhouette coefficient: how much closer samples are to their own cluster than to the nearest other one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ignite.metrics.clustering._base import _ClusteringMetricBase
from ignite.metrics.metric import _identity

__all__ = ["SilhouetteScore"]

# distances computed in torch; any other ``silhouette_kwargs`` are handed to scikit-learn
_TORCH_METRICS = {"euclidean": 2.0, "l2": 2.0, "manhattan": 1.0, "cityblock": 1.0, "l1": 1.0, "cosine": None}
# pairwise distances held at once: rows of the distance matrix are computed in chunks of this many elements
_CHUNK_ELEMENTS = 1 << 24


class SilhouetteScore(_ClusteringMetricBase):
    r"""Mean silhouette coefficient of the clustering given by ``labels``, as scikit-learn's ``silhouette_score``.

    For each sample, ``a`` is its mean distance to the other samples of its cluster and ``b`` the smallest mean
    distance to the samples of another cluster; its coefficient is ``(b - a) / max(a, b)`` (0 in a cluster of
    one). In ``[-1, 1]``, higher is better. Input ``(features, labels)``: ``(N, D)`` and ``(N,)``.

    With ``silhouette_kwargs`` empty or only ``{"metric": m}`` for ``m`` in euclidean/l2, manhattan/cityblock/l1
    or cosine, the score is computed in torch (float64, the distance matrix in row chunks, O(N) extra memory
    per row); other keyword arguments (``sample_size``, ``random_state``, other metrics) are forwarded to
    scikit-learn, which is then required.

    Args:
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        check_compute_fn: score the first batch alone and warn if it fails.
        device: where the samples are stored.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.
        silhouette_kwargs: keyword arguments of scikit-learn's ``silhouette_score``.

    ```python
    sil = SilhouetteScore()
    sil.update((torch.tensor([[0.0], [1.0], [10.0], [11.0]]), torch.tensor([0, 0, 1, 1])))
    sil.compute()  # 0.9
    ```
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        check_compute_fn: bool = True,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
        silhouette_kwargs: dict | None = None,
    ) -> None:
        self._silhouette_kwargs = dict(silhouette_kwargs or {})
        self._metric_name = str(self._silhouette_kwargs.get("metric", "euclidean"))
        extra = set(self._silhouette_kwargs) - {"metric"}
        self._use_sklearn = bool(extra) or self._metric_name not in _TORCH_METRICS
        if self._use_sklearn:
            try:
                import sklearn  # noqa: F401
            except ImportError:
                raise ModuleNotFoundError("This module requires scikit-learn to be installed.") from None
        super().__init__(
            output_transform=output_transform,
            check_compute_fn=check_compute_fn,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    def _score(self, x: torch.Tensor, index: torch.Tensor, k: int) -> Any:
        if self._use_sklearn:
            from sklearn.metrics import silhouette_score

            return silhouette_score(x.cpu().numpy(), index.cpu().numpy(), **self._silhouette_kwargs)
        return _silhouette(x, index, k, _TORCH_METRICS[self._metric_name])


def _silhouette(x: torch.Tensor, index: torch.Tensor, k: int, p: float | None) -> torch.Tensor:
    """Mean silhouette with Minkowski-``p`` distances, or cosine distances when ``p`` is None."""
    n = x.shape[0]
    sizes = torch.bincount(index, minlength=k).to(x.dtype)
    if p is None:
        norms = torch.linalg.vector_norm(x, dim=1, keepdim=True)
        x = x / torch.where(norms == 0, 1.0, norms)
    chunk = max(1, _CHUNK_ELEMENTS // n)
    total = torch.zeros((), dtype=x.dtype, device=x.device)
    for start in range(0, n, chunk):
        rows = x[start : start + chunk]
        if p is None:
            dist = (1 - rows @ x.T).clamp_(0, 2)
            dist[torch.arange(rows.shape[0]), torch.arange(start, start + rows.shape[0])] = 0
        else:
            dist = torch.cdist(rows, x, p=p, compute_mode="donot_use_mm_for_euclid_dist")
        per_cluster = torch.zeros(rows.shape[0], k, dtype=x.dtype, device=x.device).index_add_(1, index, dist)
        own = index[start : start + rows.shape[0], None]
        own_size = sizes[own.squeeze(1)]
        a = per_cluster.gather(1, own).squeeze(1) / torch.clamp(own_size - 1, min=1)
        b = (per_cluster / sizes).scatter_(1, own, torch.inf).min(dim=1).values
        s = (b - a) / torch.maximum(a, b)
        # a sample alone in its cluster (or in a cluster of identical points with no spread) scores 0
        total += torch.where((own_size > 1) & (torch.maximum(a, b) > 0), s, 0.0).sum()
    return total / n
