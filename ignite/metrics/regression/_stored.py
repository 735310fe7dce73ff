"""Shared part of the regression metrics that store every prediction and target (medians, ranks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.metrics.epoch_metric import EpochMetric
from ignite.metrics.metric import _identity
from ignite.metrics.regression._base import _check_not_empty_same_device


class _StoredRegression(EpochMetric):
    """An :class:`EpochMetric` refusing empty batches and inputs on two devices. In a distributed run the
    batches of every rank are gathered whatever their sizes, so the result is the single-process one."""

    def __init__(
        self,
        compute_fn: Callable,
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

    def _check_shape(self, output: Sequence[torch.Tensor]) -> None:
        super()._check_shape(output)
        _check_not_empty_same_device(output[0], output[1])


class _StoredMedian(_StoredRegression):
    """A stored-data metric with the spec's ``(output_transform, device)`` signature; subclasses set
    ``_compute = staticmethod(<their public compute function>)``."""

    _compute: Callable[[torch.Tensor, torch.Tensor], float]

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        super().__init__(type(self)._compute, output_transform=output_transform, device=device)


def _float64_pair(y_pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(y_pred, y)`` checked for NaN, in float64, ``y`` shaped like ``y_pred``."""
    _nan_free(y_pred, y)
    y_pred = y_pred.double()
    return y_pred, y.double().view_as(y_pred)


def _nan_free(y_pred: torch.Tensor, y: torch.Tensor) -> None:
    """Raise ``ValueError`` naming the argument holding NaN values (the result would silently be NaN)."""
    for name, t in (("y_pred", y_pred), ("y", y)):
        if t.is_floating_point() and bool(torch.isnan(t).any()):
            raise ValueError(f"Input {name} contains NaN values: the result would be NaN.")
