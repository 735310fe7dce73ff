"""Normalised discounted cumulative gain @k of rankings by score against graded relevances."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ignite.metrics.metric import _identity, sync_all_reduce
from ignite.metrics.rec_sys._base import _columns, _PerKMean, _ranked

__all__ = ["NDCG"]

_GAINS = ["exp_rank", "linear_rank"]


class NDCG(_PerKMean):
    r"""Mean NDCG@k over rows (users): ``DCG@k / IDCG@k`` with ``DCG@k = sum_i gain(rel_i) / log2(i + 1)``.

    Items are ranked by decreasing ``y_pred`` (ties in item order); the ideal ranking sorts the relevances.
    Relevances below ``relevance_threshold`` count as 0; a row whose ideal DCG is 0 scores 0. ``compute()``
    returns one float per ``k`` of ``top_k`` (ascending). No host synchronisation in ``update``.

    Args:
        top_k: list of positive ints.
        ignore_zero_hits: leave out rows without any item reaching ``relevance_threshold``.
        relevance_threshold: smallest relevance that counts.
        gain_function: ``"exp_rank"`` (``2^rel - 1``) or ``"linear_rank"`` (``rel``).
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: device of the accumulators.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    ndcg = NDCG(top_k=[1, 3])
    ndcg.update((torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.3, 0.1]]), torch.tensor([[0, 0, 1], [0, 1, 0]])))
    ndcg.compute()  # [0.5, 0.815465...]
    ```
    """

    _state_dict_all_req_keys = ("_sum_ndcg_per_k", "_num_examples")
    _sum_name = "_sum_ndcg_per_k"

    def __init__(
        self,
        top_k: list[int],
        ignore_zero_hits: bool = True,
        relevance_threshold: float = 1.0,
        gain_function: str = "exp_rank",
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        if isinstance(top_k, int) and not isinstance(top_k, bool):
            top_k = [top_k]
        if (
            not isinstance(top_k, (list, tuple))
            or len(top_k) == 0
            or any(not isinstance(k, int) or k <= 0 for k in top_k)
        ):
            raise ValueError(f"top_k must be list of positive integers only, but given {top_k}")
        if gain_function not in _GAINS:
            raise ValueError(f"gain_function must be either 'exp_rank' or 'linear_rank', but given {gain_function}")
        self.relevance_threshold = relevance_threshold
        self.gain_function = gain_function
        super().__init__(list(top_k), ignore_zero_hits, output_transform, device, skip_unrolling)

    def _gain(self, relevance: torch.Tensor) -> torch.Tensor:
        return torch.exp2(relevance) - 1 if self.gain_function == "exp_rank" else relevance

    def _per_row_scores(self, y_pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dtype = self._double_dtype if y.device.type != "mps" else torch.float32
        counted = y >= self.relevance_threshold
        relevance = torch.where(counted, y.to(dtype), 0.0)
        available = min(self.top_k[-1], y.shape[1])
        discount = 1.0 / torch.log2(torch.arange(2, available + 2, dtype=dtype, device=y.device))
        dcg = (self._gain(_ranked(y_pred, relevance, available)) * discount).cumsum(dim=1)
        ideal = torch.sort(relevance, dim=1, descending=True).values[:, :available]
        idcg = (self._gain(ideal) * discount).cumsum(dim=1)
        columns = _columns(self.top_k, available, y.device)
        dcg, idcg = dcg[:, columns], idcg[:, columns]
        return torch.where(idcg > 0, dcg / torch.where(idcg > 0, idcg, 1.0), 0.0), counted.any(dim=1)

    @sync_all_reduce("_sum_ndcg_per_k", "_num_examples")
    def compute(self) -> list[float]:
        return self._mean_per_k()
