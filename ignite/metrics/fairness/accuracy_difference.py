"""Largest accuracy gap between subgroups."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import torch

from ignite.metrics.accuracy import Accuracy
from ignite.metrics.fairness.base import SubgroupDifference
from ignite.metrics.metric import _identity

__all__ = ["SubgroupAccuracyDifference"]


class SubgroupAccuracyDifference(SubgroupDifference):
    """Largest gap in :class:`~ignite.metrics.Accuracy` between subgroups.

    ``update((y_pred, y, group_labels))``; see :class:`~ignite.metrics.fairness.SubgroupDifference`.

    ```python
    gap = SubgroupAccuracyDifference(groups=[0, 1])
    gap.update((torch.tensor([1, 0, 1, 1]), torch.tensor([1, 1, 1, 1]), torch.tensor([0, 0, 1, 1])))
    gap.compute()  # 0.5
    ```
    """

    def __init__(
        self,
        groups: Sequence[Hashable],
        is_multilabel: bool = False,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        super().__init__(
            Accuracy(is_multilabel=is_multilabel, device=device),
            groups,
            output_transform=output_transform,
            device=device,
        )
