"""Shared part of the rank correlations computed by scipy on the gathered samples."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ignite.metrics.metric import reinit__is_reduced
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

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        _check_output_shapes(output)
        _check_output_types(output)
        super().update(output)


def _checked_inputs(y_pred: torch.Tensor, y: torch.Tensor) -> tuple[object, object]:
    _nan_free(y_pred, y)
    return _flat_numpy(y_pred), _flat_numpy(y)
