"""``EpochMetric``: keep every prediction and target, apply a function to all of them at the end."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import (
    Metric,
    _check_required_keys,
    _identity,
    _idist,
    _rank,
    _world_size,
    reinit__is_reduced,
)

__all__ = ["EpochMetric", "EpochMetricWarning", "NotComputableError"]


class EpochMetricWarning(UserWarning):
    pass


class EpochMetric(Metric):
    """Store all ``(y_pred, y)`` of an epoch and return ``compute_fn(all_predictions, all_targets)``.

    Inputs are ``(N,)`` or ``(N, T)`` tensors (``(N, 1)`` is squeezed to ``(N,)``); every batch must keep the
    dtypes of the first. The stored copies live on ``device`` (CPU by default); from an accelerator they are
    copied asynchronously and the copies are waited for once, in ``compute``. In a distributed run the
    tensors of all ranks are gathered (ranks may hold different numbers of samples), rank 0 applies
    ``compute_fn`` and broadcasts the result. The result is cached until the next ``update``/``reset``.

    Args:
        compute_fn: ``compute_fn(predictions, targets)`` on the concatenated tensors.
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        check_compute_fn: run ``compute_fn`` on the first batch and warn (:class:`EpochMetricWarning`) if it
            raises.
        device: where the stored tensors live.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    def mean_rank_of_target(y_pred, y):
        return (y_pred > y_pred.gather(1, y[:, None])).sum(1).float().mean().item()

    EpochMetric(mean_rank_of_target).attach(evaluator, "mean_rank")
    ```
    """

    _state_dict_all_req_keys = ("_predictions", "_targets")
    # True: every rank applies ``compute_fn`` to the gathered data (deterministic, cheap functions whose
    # results are not numbers, e.g. curves) instead of rank 0 applying it and broadcasting the result
    _compute_on_every_rank = False

    def __init__(
        self,
        compute_fn: Callable[[torch.Tensor, torch.Tensor], Any],
        output_transform: Callable = _identity,
        check_compute_fn: bool = True,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        if not callable(compute_fn):
            raise TypeError("Argument compute_fn should be callable.")
        self.compute_fn = compute_fn
        self._check_compute_fn = check_compute_fn
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._predictions: list[torch.Tensor] = []
        self._targets: list[torch.Tensor] = []
        self._result: Any = None
        self._pending_copies = False

    def _check_shape(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output
        if y_pred.ndimension() not in (1, 2):
            raise ValueError("Predictions should be of shape (batch_size, n_targets) or (batch_size, ).")
        if y.ndimension() not in (1, 2):
            raise ValueError("Targets should be of shape (batch_size, n_targets) or (batch_size, ).")

    def _check_type(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output
        if len(self._predictions) < 1:
            return
        dtype_preds = self._predictions[-1].dtype
        if dtype_preds != y_pred.dtype:
            raise ValueError(
                f"Incoherent types between input y_pred and stored predictions: {dtype_preds} vs {y_pred.dtype}"
            )
        dtype_targets = self._targets[-1].dtype
        if dtype_targets != y.dtype:
            raise ValueError(f"Incoherent types between input y and stored targets: {dtype_targets} vs {y.dtype}")

    _on_cpu: bool | None = None

    def _store(self, t: torch.Tensor) -> torch.Tensor:
        if t.requires_grad:  # (detach is not free: only when there is a graph to cut)
            t = t.detach()
        if t.ndim == 2 and t.shape[1] == 1:
            t = t.squeeze(dim=-1)
        on_cpu = self._on_cpu
        if on_cpu is None:  # the metric's device is fixed at construction
            on_cpu = self._on_cpu = self._device.type == "cpu"
        if t.is_cpu if on_cpu else t.device == self._device:
            return t.clone()
        if t.device.type == "cuda" and self._device.type == "cpu":
            self._pending_copies = True
            return t.to(self._device, non_blocking=True)
        return t.to(self._device)  # a copy already

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        self._check_shape(output)
        y_pred, y = self._store(output[0]), self._store(output[1])
        self._check_type((y_pred, y))
        self._predictions.append(y_pred)
        self._targets.append(y)

        if len(self._predictions) == 1 and self._check_compute_fn:
            self._wait_for_copies()
            try:
                self.compute_fn(self._predictions[0], self._targets[0])
            except Exception as e:
                warnings.warn(f"Probably, there can be a problem with `compute_fn`:\n {e}.", EpochMetricWarning)

    def _wait_for_copies(self) -> None:
        if self._pending_copies:
            torch.cuda.synchronize()
            self._pending_copies = False

    def _state_dict_per_rank(self) -> OrderedDict:
        # stored batches are never modified in place: the saved lists share them (no copy of the epoch's data)
        self._wait_for_copies()
        return OrderedDict([("_predictions", list(self._predictions)), ("_targets", list(self._targets))])

    def _load_state_dict_per_rank(self, state_dict: Mapping) -> None:
        _check_required_keys(state_dict, self._state_dict_all_req_keys)
        for name in self._state_dict_all_req_keys:
            saved = state_dict[name]
            if not all(isinstance(t, torch.Tensor) for t in saved):
                raise ValueError(f"Unsupported type for provided state_dict data: {type(saved)}")
            setattr(self, name, list(saved))
        self._result = None
        self._pending_copies = False

    def _gathered(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All predictions and targets of the epoch, of every rank (rank order), concatenated."""
        self._wait_for_copies()
        predictions = torch.cat(self._predictions, dim=0)
        targets = torch.cat(self._targets, dim=0)
        if _world_size() > 1:
            predictions = _all_gather_uneven(predictions)
            targets = _all_gather_uneven(targets)
        return predictions, targets

    def compute(self) -> Any:
        if len(self._predictions) < 1 or len(self._targets) < 1:
            raise NotComputableError(
                f"{self.__class__.__name__} must have at least one example before it can be computed."
            )
        if self._result is None:
            predictions, targets = self._gathered()
            if self._compute_on_every_rank:
                self._result = self.compute_fn(predictions, targets)
            else:
                result: Any = self.compute_fn(predictions, targets) if _rank() == 0 else 0.0
                self._result = _broadcast_from_rank0(result) if _world_size() > 1 else result
        return self._result


class _FixedFnEpochMetric(EpochMetric):
    """An ``EpochMetric`` with a built-in ``compute_fn`` (``_metric_fn``, a staticmethod of the subclass) and the
    constructor of the library's score metrics, where ``check_compute_fn`` defaults to False."""

    _metric_fn: Callable[[torch.Tensor, torch.Tensor], Any]

    def __init__(
        self,
        output_transform: Callable = _identity,
        check_compute_fn: bool = False,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            self._metric_fn,
            output_transform=output_transform,
            check_compute_fn=check_compute_fn,
            device=device,
            skip_unrolling=skip_unrolling,
        )


def _broadcast_from_rank0(value: Any) -> Any:
    """Rank 0's ``value`` on every rank: tensors and numbers by broadcast, other objects by object gather."""
    idist = _idist()
    is_src = _rank() == 0
    kind = idist.broadcast(type(value).__name__ if is_src else None, src=0, safe_mode=True)
    if kind in ("Tensor", "float", "int", "str"):
        return idist.broadcast(value if is_src else None, src=0, safe_mode=True)
    # every rank must take the object path of all_gather: the others send None, not their placeholder number
    return idist.all_gather(value if is_src else None)[0]


def _all_gather_uneven(t: torch.Tensor) -> torch.Tensor:
    """Concatenation along dim 0 of every rank's ``t``; ranks may hold different numbers of rows."""
    idist = _idist()
    counts = idist.all_gather(torch.tensor([t.shape[0]], device=t.device))
    count_list = counts.tolist()
    largest = max(count_list)
    if min(count_list) == largest:
        return idist.all_gather(t)
    padded = torch.cat([t, t.new_zeros((largest - t.shape[0],) + t.shape[1:])])
    gathered = idist.all_gather(padded)
    return torch.cat([gathered[r * largest : r * largest + n] for r, n in enumerate(count_list)])
