"""Peak signal-to-noise ratio."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.metrics._batch_sum import _BatchSumMetric
from ignite.metrics._image_checks import _check_pair
from ignite.metrics.metric import _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["PSNR"]


class PSNR(_BatchSumMetric):
    r"""Mean over samples of the peak signal-to-noise ratio
    :math:`10 \log_{10}\left(\frac{R^2}{\text{MSE}_i + 10^{-10}}\right)`, with :math:`R` = ``data_range`` and
    :math:`\text{MSE}_i` the mean squared error of sample ``i`` over all its other dimensions (float64).

    ``update`` takes ``(y_pred, y)`` of the same shape ``(N, ...)`` and dtype. ``compute`` returns a float.

    Args:
        data_range: the range of the values (e.g. 1.0 for images in [0, 1], 255 for 8-bit images).
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: device of the accumulators.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.

    ```python
    metric = PSNR(data_range=1.0)
    metric.update((torch.full((1, 1, 2, 2), 0.5), torch.tensor([[[[0.4, 0.5], [0.6, 0.5]]]])))
    metric.compute()  # 23.010299...
    ```
    """

    _sum_attr = "_sum_of_batchwise_psnr"
    _state_dict_all_req_keys = ("_sum_of_batchwise_psnr", "_num_examples")

    def __init__(
        self,
        data_range: int | float,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        self.data_range = data_range
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        _check_pair(y_pred, y)
        dtype = self._double_dtype
        err = y_pred.detach().to(dtype) - y.detach().to(dtype)
        mse = err.square().reshape(err.shape[0], -1).mean(dim=1)
        psnr = 10.0 * torch.log10(self.data_range**2 / (mse + 1e-10))
        self._add(psnr.sum(), y.shape[0])

    @sync_all_reduce("_sum_of_batchwise_psnr", "_num_examples")
    def compute(self) -> float:
        value = self._mean("PSNR")
        if value != value:
            raise ValueError("PSNR is NaN: y_pred or y contains NaN values.")
        return value
