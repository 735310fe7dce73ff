"""Structural similarity (2-D and 3-D) with separable windows."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import torch

from ignite.metrics._batch_sum import _BatchSumMetric
from ignite.metrics._image_checks import _check_pair
from ignite.metrics._separable_filter import _SeparableFilter
from ignite.metrics.metric import _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["SSIM"]


def _gaussian_1d(k: int, sigma: float) -> torch.Tensor:
    x = torch.linspace(-(k - 1) / 2, (k - 1) / 2, k, dtype=torch.float64)
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def _uniform_1d(k: int) -> torch.Tensor:
    return torch.full((k,), 1.0 / k, dtype=torch.float64)


class SSIM(_BatchSumMetric):
    r"""Mean structural similarity of ``y_pred`` and ``y`` over images.

    With local means :math:`\mu`, variances :math:`\sigma^2` and covariance :math:`\sigma_{xy}` taken under a
    window (Gaussian or uniform), the SSIM map is
    :math:`\frac{(2\mu_x\mu_y + c_1)(2\sigma_{xy} + c_2)}{(\mu_x^2 + \mu_y^2 + c_1)(\sigma_x^2 + \sigma_y^2 + c_2)}`
    with :math:`c_1 = (k_1 R)^2`, :math:`c_2 = (k_2 R)^2`, :math:`R` = ``data_range``. Images are reflect-padded
    by half a window, so the map has the image's size; each image's SSIM is the mean of its map over channels
    and pixels. The window is separable, so it is applied as one 1-D convolution per axis (``2k`` instead of
    ``k^2`` multiply-adds per pixel in 2-D).

    ``update`` takes ``(y_pred, y)`` of shape ``(B, C, H, W)`` (``ndims=2``) or ``(B, C, D, H, W)``
    (``ndims=3``), same dtype; integer images are converted to float32. ``compute`` returns a float.

    Args:
        data_range: the range of the values (e.g. 1.0 or 255).
        kernel_size: window size, one odd int or one per spatial axis.
        sigma: standard deviation of the Gaussian window, one float or one per spatial axis.
        k1: constant of :math:`c_1`.
        k2: constant of :math:`c_2`.
        gaussian: Gaussian window if True, else a uniform (box) window of ``kernel_size`` taps.
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: device of the accumulators.
        skip_unrolling: see :class:`~ignite.metrics.metric.Metric`.
        ndims: 2 for images, 3 for volumes.

    ```python
    x = torch.arange(64.0).reshape(1, 1, 8, 8) / 64
    metric = SSIM(data_range=1.0, kernel_size=3)
    metric.update((x, x * 0.5))
    metric.compute()  # 0.654805...
    ```
    """

    _sum_attr = "_sum_of_ssim"
    _state_dict_all_req_keys = ("_sum_of_ssim", "_num_examples", "_kernel")

    def __init__(
        self,
        data_range: int | float,
        kernel_size: int | Sequence[int] = 11,
        sigma: float | Sequence[float] = 1.5,
        k1: float = 0.01,
        k2: float = 0.03,
        gaussian: bool = True,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
        ndims: int = 2,
    ) -> None:
        if ndims not in (2, 3):
            raise ValueError(f"Expected ndims to be 2 or 3. Got {ndims}.")
        self.ndims = ndims
        self.kernel_size = _per_axis_ints(kernel_size, ndims)
        self.sigma = _per_axis_floats(sigma, ndims)
        if any(k % 2 == 0 or k <= 0 for k in self.kernel_size):
            raise ValueError(f"Expected kernel_size to have odd positive number. Got {kernel_size}.")
        if any(s <= 0 for s in self.sigma):
            raise ValueError(f"Expected sigma to have positive number. Got {sigma}.")

        self.gaussian = gaussian
        self.data_range = data_range
        self.k1, self.k2 = k1, k2
        self.c1 = (k1 * data_range) ** 2
        self.c2 = (k2 * data_range) ** 2
        # padding of each spatial axis (D, H, W order), from the window size along that axis
        self.pads = [(k - 1) // 2 for k in self.kernel_size]
        self._kernels_1d = [
            _gaussian_1d(k, s) if gaussian else _uniform_1d(k) for k, s in zip(self.kernel_size, self.sigma)
        ]
        self._kernel_nd = self._outer(self._kernels_1d).float()
        self._kernel: torch.Tensor | None = None
        self._filter = _SeparableFilter(self._kernels_1d, self.pads)
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @staticmethod
    def _outer(kernels: list[torch.Tensor]) -> torch.Tensor:
        equation = "i,j->ij" if len(kernels) == 2 else "i,j,k->ijk"
        return torch.einsum(equation, *kernels)

    def _check(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        _check_pair(y_pred, y)
        if y_pred.ndim - 2 != self.ndims:
            raise ValueError(
                "Expected y_pred and y to have BxCxHxW or BxCxDxHxW shape. "
                f"Got y_pred: {y_pred.shape} and y: {y.shape}."
            )
        for size, pad in zip(y_pred.shape[2:], self.pads):
            if size <= pad:
                raise ValueError(
                    f"Expected y_pred and y to be larger than half the window ({pad}) along every spatial axis. "
                    f"Got y_pred: {y_pred.shape} for kernel_size {self.kernel_size}."
                )

    def _reconcile_devices(self, y_pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        kernel_device = self._kernel.device if self._kernel is not None else y_pred.device
        if y_pred.device == kernel_device or kernel_device.type == "cpu":
            return y_pred, y
        if y_pred.device.type == "cpu":
            warnings.warn(
                "y_pred tensor is on cpu device but previous computation was on another device: "
                f"{kernel_device}. To avoid having a performance hit, please ensure that all "
                "y and y_pred tensors are on the same device.",
                stacklevel=3,
            )
            return y_pred.to(kernel_device), y.to(kernel_device)
        return y_pred, y

    def _ssim_map(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The SSIM map of each image and channel, the shape of the inputs."""
        n, c = y_pred.shape[:2]
        spatial = y_pred.shape[2:]
        stacked = torch.cat((y_pred, y, y_pred * y_pred, y * y, y_pred * y)).reshape(5 * n * c, *spatial)
        filtered = self._filter(stacked)
        mu_x, mu_y, e_xx, e_yy, e_xy = filtered.reshape(5, n, c, *spatial)
        mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
        numerator = (2 * mu_xy + self.c1) * (2 * (e_xy - mu_xy) + self.c2)
        denominator = (mu_xx + mu_yy + self.c1) * ((e_xx - mu_xx) + (e_yy - mu_yy) + self.c2)
        return numerator / denominator

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        self._check(y_pred, y)
        if not y_pred.is_floating_point():
            y_pred, y = y_pred.float(), y.float()
        y_pred, y = self._reconcile_devices(y_pred, y)
        channels = y_pred.shape[1]
        kernel = self._kernel
        if kernel is None or kernel.shape[0] != channels or kernel.device != y_pred.device:
            expanded = self._kernel_nd.expand(channels, 1, *self._kernel_nd.shape)
            self._kernel = expanded.to(device=y_pred.device, dtype=y_pred.dtype)
        ssim_map = self._ssim_map(y_pred, y)
        per_image = ssim_map.sum(dtype=self._double_dtype) / math.prod(ssim_map.shape[1:])
        self._add(per_image, y_pred.shape[0])

    @sync_all_reduce("_sum_of_ssim", "_num_examples")
    def compute(self) -> float:
        value = self._mean("SSIM")
        if value != value:
            raise ValueError("SSIM is NaN: y_pred or y contains NaN values.")
        return value


def _per_axis_ints(kernel_size: int | Sequence[int], ndims: int) -> list[int]:
    if isinstance(kernel_size, int):
        return [kernel_size] * ndims
    if isinstance(kernel_size, Sequence):
        if len(kernel_size) != ndims:
            raise ValueError(f"Expected kernel_size to have length of {ndims}. Got {len(kernel_size)}.")
        return list(kernel_size)
    raise ValueError(f"Argument kernel_size should be either int or a sequence of int of length {ndims}.")


def _per_axis_floats(sigma: float | Sequence[float], ndims: int) -> list[float]:
    if isinstance(sigma, float):
        return [sigma] * ndims
    if isinstance(sigma, Sequence):
        if len(sigma) != ndims:
            raise ValueError(f"Expected sigma to have length of {ndims}. Got {len(sigma)}.")
        return list(sigma)
    raise ValueError(f"Argument sigma should be either float or a sequence of float of length {ndims}.")
