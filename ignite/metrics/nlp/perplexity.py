"""Perplexity of a language model: exp of the mean negative log-likelihood per target token."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from ignite.exceptions import NotComputableError
from ignite.metrics._device_sum import _add_partial
from ignite.metrics.metric import Metric, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["Perplexity"]


class Perplexity(Metric):
    """``exp(total cross-entropy / number of target tokens)``, weighted by tokens rather than by batches.

    ``update((y_pred, y))`` takes logits ``(N, V, ...)`` and class indices ``(N, ...)``; targets equal to
    ``ignore_index`` are not counted. The sums stay on the data's device (no host synchronisation per batch).

    ```python
    ppl = Perplexity()
    ppl.update((torch.zeros(1, 4, 3), torch.tensor([[0, 1, 2]])))
    ppl.compute()  # 4.0 (uniform over 4 tokens)
    ```
    """

    _state_dict_all_req_keys = ("_sum_of_nll", "_num_tokens")

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        ignore_index: int = -100,
    ) -> None:
        self.ignore_index = ignore_index
        super().__init__(output_transform=output_transform, device=device)

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_nll = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self._num_tokens = torch.tensor(0, dtype=torch.int64, device=self._device)

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        if y_pred.ndim < 2:
            raise ValueError(f"y_pred must be at least 2-dimensional (got shape: {tuple(y_pred.shape)})")
        if y.ndim < 1:
            raise ValueError(f"y must be at least 1-dimensional (got shape: {tuple(y.shape)})")
        if y_pred.ndim != y.ndim + 1:
            raise ValueError(
                f"y_pred must have exactly one more dimension than y (got y_pred={y_pred.ndim}D and y={y.ndim}D)."
            )
        if y_pred.shape[0] != y.shape[0] or y_pred.shape[2:] != y.shape[1:]:
            raise ValueError(
                f"y_pred and y have incompatible shapes: y_pred={tuple(y_pred.shape)}, y={tuple(y.shape)} "
                "(expected y_pred[0] == y[0] and y_pred[2:] == y[1:])."
            )
        logits = y_pred.detach()
        if logits.dtype in (torch.float16, torch.bfloat16):  # a half-precision sum of many terms drifts
            logits = logits.float()
        if y.dtype != torch.int64:  # cross_entropy takes int64 class indices only
            y = y.long()
        nll = F.cross_entropy(logits, y, reduction="sum", ignore_index=self.ignore_index)
        tokens = (y != self.ignore_index).sum()
        self._sum_of_nll = _add_partial(self._sum_of_nll, nll.to(self._double_dtype))
        self._num_tokens = _add_partial(self._num_tokens, tokens)

    @sync_all_reduce("_sum_of_nll", "_num_tokens")
    def compute(self) -> float:
        tokens = int(self._num_tokens.item())
        if tokens == 0:
            raise NotComputableError("Perplexity must have at least one example before it can be computed.")
        total = self._sum_of_nll.item()
        if math.isnan(total):
            raise ValueError("Perplexity is undefined: y_pred held NaN values (the summed cross-entropy is NaN).")
        mean = total / tokens
        return math.exp(mean) if mean < 709.0 else math.inf  # (math.exp overflows past ~709.78)
