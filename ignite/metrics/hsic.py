"""Hilbert-Schmidt independence criterion."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._pending import _PendingSums
from ignite.metrics.metric import Metric, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["HSIC"]


class HSIC(_PendingSums, Metric):
    r"""Unbiased Hilbert-Schmidt independence criterion between ``y_pred`` (``X``) and ``y`` (``Y``), computed
    per batch with Gaussian kernels and averaged over batches.

    With ``K`` and ``L`` the kernel matrices of a batch of ``b`` samples (zero diagonal),
    :math:`\text{HSIC} = \frac{1}{b(b-3)}\left[\text{tr}(KL) + \frac{1^\top K 1 \, 1^\top L 1}{(b-1)(b-2)}
    - \frac{2}{b-2} 1^\top K L 1\right]`, clamped at 0. ``update`` takes ``(y_pred, y)`` of shape ``(B, ...)``
    (flattened from dim 1). ``compute`` returns a float.

    Args:
        sigma_x: bandwidth of the kernel on ``X``; negative: the median of the batch's squared distances is
            used as the variance.
        sigma_y: the same for ``Y``.
        ignore_invalid_batch: skip batches of 3 samples or fewer (else ``ValueError``).
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: device of the accumulators.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    x = torch.arange(12.0).reshape(6, 2)
    metric = HSIC()
    metric.update((x, x**2))
    metric.compute()  # 0.094693...
    ```
    """

    _pending_attrs = ("_sum_of_hsic",)
    _state_dict_all_req_keys = ("_sum_of_hsic", "_num_batches")

    def __init__(
        self,
        sigma_x: float = -1,
        sigma_y: float = -1,
        ignore_invalid_batch: bool = True,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        self.sigma_x = sigma_x
        self.sigma_y = sigma_y
        self.ignore_invalid_batch = ignore_invalid_batch
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_hsic = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self._num_batches = 0
        self._reset_pending()

    @staticmethod
    def _kernel(t: torch.Tensor, sigma: float) -> torch.Tensor:
        sq = t.pow(2).sum(dim=1)
        d = (sq[:, None] + sq[None, :] - 2 * t @ t.T).clamp_min(0)
        d.fill_diagonal_(0)
        variance = torch.quantile(d, 0.5) if sigma < 0 else sigma**2  # a number: no tensor on another device
        k = torch.exp(-d / (2 * variance))
        return k.fill_diagonal_(0)

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        x, y = output[0].detach(), output[1].detach()
        b = x.shape[0]
        if b <= 3:
            if self.ignore_invalid_batch:
                return
            raise ValueError(f"A batch must contain more than four samples, got only {b} samples.")
        if y.shape[0] != b:
            raise ValueError(f"y_pred and y must have the same batch size, got {b} and {y.shape[0]}.")
        if x.device != y.device:
            raise ValueError(f"y_pred and y must be on the same device, got {x.device} and {y.device}.")
        dtype = self._double_dtype
        k = self._kernel(x.reshape(b, -1).to(dtype), self.sigma_x)
        l_ = self._kernel(y.reshape(b, -1).to(dtype), self.sigma_y)
        kl = k @ l_
        value = (kl.trace() + k.sum() * l_.sum() / ((b - 1) * (b - 2)) - 2 / (b - 2) * kl.sum()) / (b * (b - 3))
        self._num_batches += 1
        self._queue((value.clamp_min(0),))

    @sync_all_reduce("_sum_of_hsic", "_num_batches")
    def compute(self) -> float:
        if self._num_batches == 0:
            raise NotComputableError("HSIC must have at least one batch before it can be computed.")
        value = self._sum_of_hsic.item() / self._num_batches
        if value != value:
            raise ValueError(
                "HSIC is NaN: y_pred or y contains NaN values, or all samples of a batch are equal (zero median "
                "distance); pass sigma_x/sigma_y."
            )
        return value
