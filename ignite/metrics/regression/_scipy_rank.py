"""Shared part of the rank correlations computed by scipy on the gathered samples."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.metrics.metric import _identity, reinit__is_reduced
from ignite.metrics.regression._base import _check_output_shapes, _check_output_types
from ignite.metrics.regression._stored import _nan_free, _StoredRegression


def _require_scipy() -> None:
    try:
        import scipy.stats  # noqa: F401
    except ImportError:
        raise ModuleNotFoundError("This module requires scipy to be installed.") from None


def _flat_numpy(t: torch.Tensor) -> object:
    return t.detach().flatten().cpu().double().numpy()


class _RankCorrelation(_StoredRegression):
    """Stores ``(N,)``/``(N, 1)`` floating point predictions and targets; ``compute_fn`` runs on rank 0 over the
    samples of every rank (gathered whatever the per-rank counts)."""

    def __init__(
        self,
        compute_fn: Callable[[torch.Tensor, torch.Tensor], float],
        output_transform: Callable = _identity,
        check_compute_fn: bool = True,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            compute_fn,
            output_transform=output_transform,
            check_compute_fn=check_compute_fn,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        _check_output_shapes(output)
        _check_output_types(output)
        super().update(output)


def _checked_inputs(y_pred: torch.Tensor, y: torch.Tensor) -> tuple[object, object]:
    _nan_free(y_pred, y)
    return _flat_numpy(y_pred), _flat_numpy(y)
