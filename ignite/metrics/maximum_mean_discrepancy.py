"""Maximum mean discrepancy with a Gaussian kernel."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._pending import _PendingSums
from ignite.metrics.metric import Metric, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["MaximumMeanDiscrepancy"]


class MaximumMeanDiscrepancy(_PendingSums, Metric):
    r"""Maximum mean discrepancy between the samples ``x`` and ``y`` of each batch, Gaussian kernel
    :math:`k(a, b) = \exp(-\lVert a - b \rVert^2 / (2 \cdot \text{var}))`.

    Per batch of ``n`` samples: :math:`XX = \frac{\sum_{i \ne j} k(x_i, x_j)}{n(n-1)}`, ``YY`` likewise,
    :math:`XY = \frac{\sum_{ij} k(x_i, y_j)}{n^2}`; ``compute`` returns
    :math:`\sqrt{\max(\sum XX + \sum YY - 2 \sum XY, 0) / \text{batches}}` as a float. ``update`` takes
    ``(x, y)`` of the same shape ``(B, ...)`` (flattened from dim 1), ``B >= 2``.

    Args:
        var: the kernel's variance.
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: device of the accumulators.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    metric = MaximumMeanDiscrepancy()
    metric.update((torch.zeros(3, 2), torch.ones(3, 2)))
    metric.compute()  # 1.124385...
    ```
    """

    _pending_attrs = ("_xx_sum", "_yy_sum", "_xy_sum")
    _state_dict_all_req_keys = ("_xx_sum", "_yy_sum", "_xy_sum", "_num_batches")

    def __init__(
        self,
        var: float = 1.0,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        self.var = var
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        for name in self._pending_attrs:
            setattr(self, name, torch.tensor(0.0, dtype=self._double_dtype, device=self._device))
        self._num_batches = 0
        self._reset_pending()

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        x, y = output[0].detach(), output[1].detach()
        if x.shape != y.shape:
            raise ValueError(f"x and y must be in the same shape, got {x.shape} != {y.shape}.")
        if x.ndim < 2:
            raise ValueError(f"x must be in the shape of (B, ...), got {x.shape}.")
        n = x.shape[0]
        if n < 2:
            raise ValueError(f"x and y must hold at least 2 samples per batch, got {x.shape}.")
        if x.device != y.device:
            raise ValueError(f"x and y must be on the same device, got {x.device} and {y.device}.")
        x = x.reshape(n, -1).to(self._double_dtype)
        y = y.reshape(n, -1).to(self._double_dtype)
        z = torch.cat((x, y))
        sq = z.pow(2).sum(dim=1)
        d = (sq[:, None] + sq[None, :] - 2 * z @ z.T).clamp_min(0)
        k = torch.exp(-d / (2 * self.var))
        sums = torch.stack((k[:n, :n].sum(), k[n:, n:].sum(), k[:n, n:].sum()))
        xx, yy = (sums[:2] - n) / (n * (n - 1))
        xy = sums[2] / (n * n)
        self._num_batches += 1
        self._queue((xx, yy, xy))

    @sync_all_reduce("_xx_sum", "_yy_sum", "_xy_sum", "_num_batches")
    def compute(self) -> float:
        if self._num_batches == 0:
            raise NotComputableError("MaximumMeanDiscrepacy must have at least one batch before it can be computed.")
        total = self._xx_sum + self._yy_sum - 2 * self._xy_sum
        value = total.item()
        if value != value:
            raise ValueError("MaximumMeanDiscrepancy is NaN: x or y contains NaN values.")
        return math.sqrt(max(value, 0.0) / self._num_batches)
