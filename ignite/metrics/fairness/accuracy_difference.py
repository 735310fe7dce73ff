"""Largest accuracy gap between subgroups."""

from __future__ import annotations

from ignite.metrics.accuracy import Accuracy
from ignite.metrics.fairness.base import _ClassificationGap

__all__ = ["SubgroupAccuracyDifference"]


class SubgroupAccuracyDifference(_ClassificationGap):
    """Largest gap in :class:`~ignite.metrics.Accuracy` between subgroups.

    ``update((y_pred, y, group_labels))``; see :class:`~ignite.metrics.fairness.SubgroupDifference`.

    ```python
    gap = SubgroupAccuracyDifference(groups=[0, 1])
    gap.update((torch.tensor([1, 0, 1, 1]), torch.tensor([1, 1, 1, 1]), torch.tensor([0, 0, 1, 1])))
    gap.compute()  # 0.5
    ```
    """

    _metric_class = Accuracy
