"""SpearmanRankCorrelation (scipy)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ignite.metrics.metric import _identity
from ignite.metrics.regression._scipy_rank import _checked_inputs, _RankCorrelation, _require_scipy

__all__ = ["SpearmanRankCorrelation"]


def _spearman(y_pred: torch.Tensor, y: torch.Tensor) -> float:
    from scipy.stats import spearmanr

    p, a = _checked_inputs(y_pred, y)
    return float(spearmanr(p, a).statistic)


class SpearmanRankCorrelation(_RankCorrelation):
    r"""Spearman's rank correlation :math:`\rho` of ``y_pred`` and ``y`` (``scipy.stats.spearmanr``).

    Stores every sample (``(N,)`` or ``(N, 1)`` floating point tensors); in a distributed run the samples of
    every rank are gathered (ranks may hold different numbers), so the ranks are the single-process ones.
    Needs scipy. ``compute`` returns a float.

    Args:
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        check_compute_fn: run the computation on the first batch and warn if it fails.
        device: where the stored tensors live.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    metric = SpearmanRankCorrelation()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.948683...
    ```
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        check_compute_fn: bool = True,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        _require_scipy()
        super().__init__(
            _spearman,
            output_transform=output_transform,
            check_compute_fn=check_compute_fn,
            device=device,
            skip_unrolling=skip_unrolling,
        )
