"""Input handling shared by the ranking metrics: ``(y_pred, y)`` score and relevance matrices."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._device_sum import _add_partial
from ignite.metrics.metric import Metric, _identity, reinit__is_reduced

__all__ = ["_check_ranking_output", "_columns", "_ranked", "_PerKMean"]


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


class _PerKMean(Metric):
    """A per-row score for each ``k`` of ``top_k``, summed in ``_total_per_k`` and averaged over the counted
    rows. Subclasses name the sum (``_sum_name``), give ``_per_row_scores`` and a ``compute`` decorated with
    ``sync_all_reduce(<sum name>, "_num_examples")`` returning ``self._mean_per_k()``."""

    required_output_keys = ("y_pred", "y")
    _sum_name = ""

    def __init__(
        self,
        top_k: list[int],
        ignore_zero_hits: bool,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        self.top_k = sorted(top_k)
        self.ignore_zero_hits = ignore_zero_hits
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    def _sum_dtype(self) -> torch.dtype:
        return self._double_dtype

    @reinit__is_reduced
    def reset(self) -> None:
        total = torch.zeros(len(self.top_k), dtype=self._sum_dtype(), device=self._device)
        setattr(self, self._sum_name, total)
        self._num_examples = torch.tensor(0, dtype=torch.int64, device=self._device)

    def _per_row_scores(self, y_pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(scores, counted)``: a ``(rows, len(top_k))`` score matrix and whether each row has a relevant item."""
        raise NotImplementedError

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = _check_ranking_output(output)
        scores, counted = self._per_row_scores(y_pred, y)
        if self.ignore_zero_hits:  # masked, not indexed: no host synchronisation
            scores = scores * counted[:, None]
            rows = counted.sum()
        else:
            rows = torch.tensor(y.shape[0], dtype=torch.int64)
        setattr(self, self._sum_name, _add_partial(getattr(self, self._sum_name), scores.sum(dim=0)))
        self._num_examples = _add_partial(self._num_examples, rows)

    def _mean_per_k(self) -> list[float]:
        rows = int(self._num_examples.item())
        if rows == 0:
            raise NotComputableError(f"{type(self).__name__} must have at least one example.")
        return (getattr(self, self._sum_name).double() / rows).tolist()
