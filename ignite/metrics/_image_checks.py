"""Input checks shared by the image-quality metrics (PSNR, SSIM)."""

from __future__ import annotations

import torch


def _check_pair(y_pred: torch.Tensor, y: torch.Tensor) -> None:
    """Same dtype, same shape, non-empty, same device (shape-only checks: no host synchronisation)."""
    if y_pred.dtype != y.dtype:
        raise TypeError(
            f"Expected y_pred and y to have the same data type. Got y_pred: {y_pred.dtype} and y: {y.dtype}."
        )
    if y_pred.shape != y.shape:
        raise ValueError(f"Expected y_pred and y to have the same shape. Got y_pred: {y_pred.shape} and y: {y.shape}.")
    if y_pred.numel() == 0:
        raise ValueError(f"Expected y_pred and y to be non-empty. Got y_pred: {y_pred.shape} and y: {y.shape}.")
    if y_pred.device != y.device:
        raise ValueError(
            f"Expected y_pred and y to be on the same device. Got y_pred: {y_pred.device} and y: {y.device}."
        )
