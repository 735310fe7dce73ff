"""Selection rate (share of each predicted outcome) and its largest gap between subgroups."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._device_sum import _add_partial
from ignite.metrics.accuracy import _BaseClassification, _bincount
from ignite.metrics.fairness.base import _ClassificationGap
from ignite.metrics.metric import _identity, _idist, _world_size, reinit__is_reduced

__all__ = ["SelectionRate", "DemographicParityDifference"]


class SelectionRate(_BaseClassification):
    """Rate of each predicted outcome: ``[rate of 0, rate of 1]`` for binary predictions, the rate of each
    predicted class (argmax) for multiclass scores, the rate of 1 per label for multilabel predictions.

    Inputs as :class:`~ignite.metrics.Accuracy` (``y`` is checked but not used). ``compute()`` returns a float32
    tensor. Counts stay on the data's device: no host synchronisation in ``update`` after the first batch.

    Args:
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        is_multilabel: treat equal-shape inputs as multilabel.
        device: device of the accumulators.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    rate = SelectionRate()
    rate.update((torch.tensor([1, 0, 1, 1]), torch.tensor([1, 0, 0, 1])))
    rate.compute()  # tensor([0.2500, 0.7500])
    ```
    """

    _state_dict_all_req_keys = ("_num_positives", "_num_examples")

    def __init__(
        self,
        output_transform: Callable = _identity,
        is_multilabel: bool = False,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            output_transform=output_transform, is_multilabel=is_multilabel, device=device, skip_unrolling=skip_unrolling
        )

    @reinit__is_reduced
    def reset(self) -> None:
        # empty until the first batch fixes the number of outcomes (ranks that saw nothing pad in ``compute``)
        self._num_positives = torch.zeros(0, dtype=torch.int64, device=self._device)
        self._num_examples = 0
        super().reset()

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        self._check(y_pred, y)
        if self._type == "binary":
            predicted = y_pred.reshape(-1).to(torch.int64)
            counts, total = _bincount(predicted, 2), predicted.numel()
        elif self._type == "multiclass":
            predicted = torch.argmax(y_pred, dim=1).reshape(-1)
            counts, total = _bincount(predicted, y_pred.shape[1]), predicted.numel()
        else:  # multilabel: labels on dim 1, every other position is a row
            rows = y_pred.movedim(1, -1).reshape(-1, y_pred.shape[1])
            counts, total = rows.to(torch.int64).sum(dim=0), rows.shape[0]
        if self._num_positives.numel() == 0:
            self._num_positives = counts.to(self._device)
        else:
            self._num_positives = _add_partial(self._num_positives, counts)
        self._num_examples += total

    def compute(self) -> torch.Tensor:
        positives, examples = self._num_positives, self._num_examples
        if _world_size() > 1:
            idist = _idist()
            width = int(idist.all_reduce(positives.numel(), op="MAX"))
            padded = torch.zeros(width, dtype=torch.int64, device=positives.device)
            padded[: positives.numel()] = positives
            positives = idist.all_reduce(padded)
            examples = int(idist.all_reduce(examples))
        if examples == 0:
            raise NotComputableError("SelectionRate must have at least one example before it can be computed.")
        return positives.to(torch.float32) / examples


class DemographicParityDifference(_ClassificationGap):
    """Largest gap in :class:`SelectionRate` between subgroups (0 means every group is selected alike).

    ``update((y_pred, y, group_labels))``; see :class:`~ignite.metrics.fairness.SubgroupDifference`.

    ```python
    dpd = DemographicParityDifference(groups=[0, 1])
    dpd.update((torch.tensor([1, 1, 0, 1]), torch.tensor([1, 0, 0, 1]), torch.tensor([0, 0, 1, 1])))
    dpd.compute()  # 0.5
    ```
    """

    _metric_class = SelectionRate
