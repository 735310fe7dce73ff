"""KendallRankCorrelation (scipy)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ignite.metrics.metric import _identity
from ignite.metrics.regression._scipy_rank import _checked_inputs, _RankCorrelation, _require_scipy

__all__ = ["KendallRankCorrelation"]


class _Kendall:
    """``compute_fn`` of one variant (a picklable object rather than a closure)."""

    def __init__(self, variant: str) -> None:
        self.variant = variant

    def __call__(self, y_pred: torch.Tensor, y: torch.Tensor) -> float:
        from scipy.stats import kendalltau

        p, a = _checked_inputs(y_pred, y)
        return float(kendalltau(p, a, variant=self.variant).statistic)


class KendallRankCorrelation(_RankCorrelation):
    r"""Kendall's rank correlation :math:`\tau` of ``y_pred`` and ``y`` (``scipy.stats.kendalltau``).

    Stores every sample (``(N,)`` or ``(N, 1)`` floating point tensors); in a distributed run the samples of
    every rank are gathered (ranks may hold different numbers), so the result is the single-process one.
    Needs scipy. ``compute`` returns a float.

    Args:
        variant: ``"b"`` (tau-b, adjusted for ties) or ``"c"`` (tau-c).
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        check_compute_fn: run the computation on the first batch and warn if it fails.
        device: where the stored tensors live.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    metric = KendallRankCorrelation()
    metric.update((torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 2.5, 5.0])))
    metric.compute()  # 0.912871...
    ```
    """

    def __init__(
        self,
        variant: str = "b",
        output_transform: Callable = _identity,
        check_compute_fn: bool = True,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        _require_scipy()
        if variant not in ("b", "c"):
            raise ValueError(f"variant accepts 'b' or 'c', got {variant!r}.")
        super().__init__(
            _Kendall(variant),
            output_transform=output_transform,
            check_compute_fn=check_compute_fn,
            device=device,
            skip_unrolling=skip_unrolling,
        )
