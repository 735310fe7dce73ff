"""A metric per subgroup of the samples, and the largest gap of a metric between subgroups."""

from __future__ import annotations

import copy
import numbers
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import Metric, _identity, reinit__is_reduced

__all__ = ["SubgroupMetric", "SubgroupDifference"]


class _SubgroupBase(Metric):
    """Keep one copy of ``base_metric`` per group and feed it the rows of that group.

    ``update((y_pred, y, group_labels))``: ``group_labels`` is a 1-D tensor of group ids, one per row; rows whose
    id is not in ``groups`` are ignored. The rows are sorted by group once per batch (one host synchronisation
    to read the group sizes) and each group's rows are handed to its copy with ``index_select``; the copies'
    own ``output_transform`` is not applied.
    """

    required_output_keys = ("y_pred", "y", "group_labels")
    _state_dict_all_req_keys = ()

    def __init__(
        self,
        base_metric: Metric,
        groups: Sequence[Hashable],
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        if not isinstance(base_metric, Metric):
            raise TypeError(f"base_metric should be a Metric, got {type(base_metric)}")
        self._base_metric = base_metric
        self._user_groups = list(groups)
        if len(self._user_groups) == 0:
            raise ValueError("groups should hold at least one group id, got an empty sequence")
        if not all(isinstance(g, numbers.Number) for g in self._user_groups):
            raise TypeError(f"groups should hold numbers (values of group_labels), got {self._user_groups}")
        if len({str(g) for g in self._user_groups}) != len(self._user_groups):
            raise ValueError(f"groups should hold distinct group ids, got {self._user_groups}")
        self._metrics = {g: copy.deepcopy(base_metric) for g in self._user_groups}
        self._group_ids: torch.Tensor | None = None
        super().__init__(output_transform=output_transform, device=device)

    @reinit__is_reduced
    def reset(self) -> None:
        for m in self._metrics.values():
            m.reset()

    def _ids_on(self, device: torch.device) -> torch.Tensor:
        ids = self._group_ids
        if ids is None or ids.device != device:
            ids = self._group_ids = torch.as_tensor(self._user_groups, device=device)
        return ids

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y, group_labels = output[0], output[1], output[2]
        if not (y_pred.shape[0] == y.shape[0] == group_labels.shape[0]):
            raise ValueError("y_pred, y, and group_labels must have the same batch size.")
        if group_labels.ndim != 1:
            raise ValueError(f"group_labels should be a 1-D tensor of group ids, got shape {tuple(group_labels.shape)}")
        member = group_labels[None, :] == self._ids_on(group_labels.device)[:, None]  # (groups, rows)
        sizes = member.sum(dim=1).tolist()  # the one host synchronisation of the batch
        # rows sorted by the position of their group (rows of no group last), then cut at the group sizes
        position = torch.where(member.any(dim=0), member.to(torch.uint8).argmax(dim=0), len(self._user_groups))
        order = torch.argsort(position, stable=True)
        for g, rows, size in zip(self._user_groups, order.split(sizes + [order.numel() - sum(sizes)]), sizes):
            if size > 0:
                rows = rows.to(y_pred.device)
                self._metrics[g].update((y_pred.index_select(0, rows), y.index_select(0, rows.to(y.device))))

    def _compute_groups(self) -> dict[Hashable, Any]:
        results = {}
        for g in self._user_groups:
            try:
                results[g] = self._metrics[g].compute()
            except NotComputableError:
                continue
        return results

    def state_dict(self) -> OrderedDict:
        state = super().state_dict()
        state["_metrics"] = {str(g): m.state_dict() for g, m in self._metrics.items()}
        return state

    def load_state_dict(self, state_dict: Mapping) -> None:
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Argument state_dict should be a dictionary, but given {type(state_dict)}")
        rest = {k: v for k, v in state_dict.items() if k != "_metrics"}  # the caller's dict is left as it is
        super().load_state_dict(rest)
        saved = state_dict.get("_metrics", {})
        for g, m in self._metrics.items():
            if str(g) in saved:
                m.load_state_dict(saved[str(g)])


class SubgroupMetric(_SubgroupBase):
    """``base_metric`` computed separately on each subgroup of the samples.

    ``update((y_pred, y, group_labels))`` with ``group_labels`` a 1-D tensor of group ids; ``compute()``
    returns ``{group_id: value}`` for the groups that saw data (attached with the default result mode, the
    engine also gets each group id as a key).

    Args:
        base_metric: the metric to compute per group (copied once per group).
        groups: the group ids.
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: device of this wrapper (each copy keeps its own).

    ```python
    per_group = SubgroupMetric(Accuracy(), groups=[0, 1])
    per_group.update((torch.tensor([1, 0, 1, 1]), torch.tensor([1, 1, 1, 0]), torch.tensor([0, 0, 1, 1])))
    per_group.compute()  # {0: 0.5, 1: 0.5}
    ```
    """

    def compute(self) -> dict[Hashable, Any]:
        return self._compute_groups()


class SubgroupDifference(_SubgroupBase):
    """Largest gap of ``base_metric`` between subgroups: ``max - min`` over the groups that saw data.

    For tensor-valued metrics (e.g. per-class rates) the gap is taken per position and the largest one is
    returned. ``compute()`` returns a float.

    Args:
        base_metric: the metric to compare across groups (copied once per group).
        groups: the group ids.
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: device of this wrapper (each copy keeps its own).

    ```python
    gap = SubgroupDifference(Accuracy(), groups=[0, 1])
    gap.update((torch.tensor([1, 0, 1, 1]), torch.tensor([1, 1, 1, 1]), torch.tensor([0, 0, 1, 1])))
    gap.compute()  # 0.5
    ```
    """

    def compute(self) -> float:
        results = self._compute_groups()
        if len(results) == 0:
            raise NotComputableError("Fairness metrics must have at least one example before it can be computed.")
        if len(results) == 1:
            raise NotComputableError("Fairness metrics require at least two unique subgroups to compute a disparity.")
        values = list(results.values())
        if all(isinstance(v, torch.Tensor) for v in values):
            stacked = torch.stack([v.to(torch.float64) for v in values])
            return float((stacked.max(dim=0).values - stacked.min(dim=0).values).max())
        return float(max(values) - min(values))


class _ClassificationGap(SubgroupDifference):
    """A :class:`SubgroupDifference` of a fixed classification metric (``_metric_class``), built from the
    spec's ``(groups, is_multilabel, output_transform, device)`` arguments."""

    _metric_class: Callable[..., Metric]

    def __init__(
        self,
        groups: Sequence[Hashable],
        is_multilabel: bool = False,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        base = type(self)._metric_class(is_multilabel=is_multilabel, device=device)
        super().__init__(base, groups, output_transform=output_transform, device=device)
