"""Input handling shared by the ranking metrics: ``(y_pred, y)`` score and relevance matrices."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["_check_ranking_output", "_columns", "_ranked"]


def _check_ranking_output(output: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    if len(output) != 2:
        raise ValueError(f"output should be in format `(y_pred,y)` but got tuple of {len(output)} tensors.")
    y_pred, y = output[0], output[1]
    if y_pred.shape != y.shape:
        raise ValueError(f"y_pred and y must be in the same shape, got {y_pred.shape} != {y.shape}.")
    if y_pred.ndim != 2 or y_pred.shape[1] == 0:
        raise ValueError(
            f"y_pred and y should be of shape (batch_size, num_items) with num_items >= 1, got {tuple(y_pred.shape)}."
        )
    return y_pred.detach(), y.detach()


def _ranked(y_pred: torch.Tensor, values: torch.Tensor, k: int) -> torch.Tensor:
    """``values`` of each row reordered by decreasing ``y_pred`` (stable: ties keep item order), first ``k``."""
    order = torch.sort(y_pred, dim=1, descending=True, stable=True).indices[:, :k]
    return values.gather(1, order)


_COLUMNS: dict[tuple, torch.Tensor] = {}


def _columns(top_k: list[int], available: int, device: torch.device) -> torch.Tensor:
    """Column ``min(k, available) - 1`` of a cumulative per-rank tensor for each ``k``, on ``device``.

    Cached: copying a fresh index tensor to an accelerator at every update would wait for the queued work.
    """
    key = (tuple(top_k), available, device)
    columns = _COLUMNS.get(key)
    if columns is None:
        if len(_COLUMNS) > 256:
            _COLUMNS.clear()
        columns = _COLUMNS[key] = torch.tensor([min(k, available) - 1 for k in top_k], device=device)
    return columns
