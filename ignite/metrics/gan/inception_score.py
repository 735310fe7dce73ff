"""Inception Score of generated samples."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._device_sum import _add_partial as _accumulate
from ignite.metrics.gan.utils import InceptionModel, _BaseInceptionMetric
from ignite.metrics.metric import _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["InceptionScore"]


class InceptionScore(_BaseInceptionMetric):
    r"""Inception Score :math:`\exp\big(\frac{1}{N}\sum_i \mathrm{KL}(p_i \,\|\, \bar p)\big)` of class
    probabilities ``p_i`` (``\bar p`` their mean over all samples).

    Args:
        num_features: number of classes returned by ``feature_extractor``.
        feature_extractor: module mapping a batch to ``(N, num_features)`` probabilities. If neither argument
            is given, :class:`~ignite.metrics.gan.utils.InceptionModel` (1000 ImageNet classes, needs torchvision
            and its pretrained weights) is used; if only ``num_features`` is, the inputs are the probabilities.
        output_transform: applied to the engine output before ``update``; it must select a single tensor.
        device: where the sums (and the extractor) live.

    ``update`` takes one tensor (images, or probabilities with an identity extractor), not a ``(y_pred, y)``
    pair.

    ```python
    import torch
    from ignite.metrics import InceptionScore

    score = InceptionScore(num_features=2, feature_extractor=torch.nn.Identity())
    score.update(torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]))
    score.compute()  # 1.2028...
    ```
    """

    _state_dict_all_req_keys = ("_num_examples", "_prob_total", "_total_kl_d")

    def __init__(
        self,
        num_features: int | None = None,
        feature_extractor: torch.nn.Module | None = None,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        if num_features is None and feature_extractor is None:
            num_features = 1000
            feature_extractor = InceptionModel(return_features=False, device=device)
        self._eps = 1e-16
        super().__init__(num_features, feature_extractor, output_transform=output_transform, device=device)

    @reinit__is_reduced
    def reset(self) -> None:
        self._num_examples = 0
        self._prob_total = torch.zeros(self._num_features, dtype=self._double_dtype, device=self._device)
        self._total_kl_d = torch.zeros(self._num_features, dtype=self._double_dtype, device=self._device)
        super().reset()

    @reinit__is_reduced
    def update(self, output: torch.Tensor) -> None:
        probabilities = self._extract_features(output)
        self._num_examples += probabilities.shape[0]
        self._prob_total = _accumulate(self._prob_total, probabilities.sum(dim=0))
        self._total_kl_d = _accumulate(
            self._total_kl_d, (probabilities * torch.log(probabilities + self._eps)).sum(dim=0)
        )

    @sync_all_reduce("_num_examples", "_prob_total", "_total_kl_d")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError("InceptionScore must have at least one example before it can be computed.")
        mean_probs = self._prob_total / self._num_examples
        log_mean_probs = torch.log(mean_probs + self._eps)
        kl_sum = (self._total_kl_d - self._prob_total * log_mean_probs).sum()
        score = torch.exp(kl_sum / self._num_examples).item()
        if math.isnan(score):
            raise ValueError(
                "InceptionScore is NaN: the probabilities given to update contain NaN, infinite or negative values."
            )
        return score
