"""Mutual information between the samples and their predicted classes."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.entropy import Entropy, _to_rows
from ignite.metrics.metric import reinit__is_reduced, sync_all_reduce

__all__ = ["MutualInformation"]


class MutualInformation(Entropy):
    r"""Mutual information :math:`I(X; Y) = H(\bar{p}) - \overline{H(p)}` between the input ``X`` and the
    predicted class ``Y``: the entropy of the mean predicted distribution minus the mean entropy of the
    predicted distributions ``p = softmax(y_pred)``, clamped at 0.

    ``update`` takes ``(y_pred, y)`` with logits ``y_pred`` of shape ``(B, C)`` or ``(B, C, ...)`` (dim 1 holds
    the classes; every position counts as one row); ``y`` is ignored and may be ``None``. ``compute`` returns
    a float.

    ```python
    metric = MutualInformation()
    metric.update((torch.tensor([[2.0, 0.0], [0.0, 2.0]]), None))
    metric.compute()  # 0.327813...
    ```
    """

    _pending_attrs = ("_sum_of_entropies", "_sum_of_probabilities")
    # all three are saved (earlier releases saved only the probabilities: a resumed metric was wrong)
    _state_dict_all_req_keys = ("_sum_of_probabilities", "_sum_of_entropies", "_num_examples")
    _state_dict_added_keys = ("_sum_of_entropies", "_num_examples")

    @reinit__is_reduced
    def reset(self) -> None:
        super().reset()
        self._sum_of_probabilities = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred = _to_rows(output[0].detach())
        if y_pred.shape[0] == 0:
            raise ValueError(f"y_pred must not be empty, got {tuple(output[0].shape)}.")
        log_prob = y_pred.log_softmax(1)
        prob = log_prob.exp()
        self._add(-(prob * log_prob).sum(), y_pred.shape[0], prob.sum(dim=0, dtype=self._double_dtype))

    def _reduce_pending(self, pending: list[tuple]) -> list[torch.Tensor]:
        entropies = super()._reduce_pending(pending)
        probabilities = torch.stack([p[1] for p in pending]).sum(dim=0)
        return [*entropies, probabilities]

    @sync_all_reduce("_sum_of_probabilities", "_sum_of_entropies", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError("MutualInformation must have at least one example before it can be computed.")
        n = self._num_examples
        mean_prob = self._sum_of_probabilities / n
        marginal_entropy = -(mean_prob * torch.log(mean_prob.clamp_min(torch.finfo(mean_prob.dtype).tiny))).sum()
        value = (marginal_entropy - self._sum_of_entropies / n).item()
        if value != value:
            raise ValueError("MutualInformation is NaN: y_pred contains NaN values.")
        return max(value, 0.0)
