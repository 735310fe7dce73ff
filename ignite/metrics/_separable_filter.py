"""Separable "same"-size filtering with reflect padding, as matrix products (the engine of SSIM)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

__all__ = ["_SeparableFilter"]


class _SeparableFilter:
    """Filter ``(P, *spatial)`` tensors with a 1-D window per spatial axis, each axis reflect-padded by
    ``pads[axis]`` first, so the output has the input's shape.

    CPU torch runs single-channel convolutions slowly, while a 1-D window applied along an axis is a product
    with a banded matrix, which BLAS (or cuBLAS) runs fast:

    * axes up to ``_dense_limit`` long use one ``(size, size)`` matrix with the reflect padding folded into its
      border rows (``2 * size`` multiply-adds per element in 2-D, no padding copy);
    * longer axes are reflect-padded (one gather) and cut into blocks of ``_block`` outputs; every block is a
      product with the same ``(block + 2 * pad, block)`` banded matrix (``block + 2 * pad`` multiply-adds per
      element, whatever the size).

    Matrices are built once per shape, device and dtype.
    """

    _dense_limit = 512
    _block = 128

    def __init__(self, kernels: Sequence[torch.Tensor], pads: Sequence[int]) -> None:
        self.kernels = [k.to(torch.float64) for k in kernels]
        self.pads = list(pads)
        self._cache: dict[tuple, torch.Tensor] = {}

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        shape = t.shape
        spatial = shape[1:]
        for axis, size in enumerate(spatial):
            post = math.prod(spatial[axis + 1 :])
            x = t.reshape(-1, size, post)
            if size <= self._dense_limit:
                m = self._matrix(axis, size, t.device, t.dtype)
                x = (x.reshape(-1, size) @ m) if post == 1 else torch.matmul(m.T, x)
            else:
                x = self._blocked(axis, x)
            t = x.reshape(shape)
        return t

    def _matrix(self, axis: int, size: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """``M`` with ``x @ M`` = ``x`` reflect-padded and filtered along its last axis (``size`` long)."""
        key = ("dense", axis, size, device, dtype)
        m = self._cache.get(key)
        if m is None:
            pad = self.pads[axis]
            identity = torch.eye(size, dtype=torch.float64).unsqueeze(1)  # row i is e_i
            padded = F.pad(identity, [pad, pad], mode="reflect")
            m = F.conv1d(padded, self.kernels[axis].reshape(1, 1, -1)).squeeze(1)  # row i: the filtered e_i
            m = self._cache[key] = m.to(device=device, dtype=dtype)
        return m

    def _band(self, axis: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """``K`` of shape ``(block + 2 * pad, block)``: ``K[j + s, j] = window[s]``."""
        key = ("band", axis, device, dtype)
        k = self._cache.get(key)
        if k is None:
            window = self.kernels[axis]
            b = self._block
            k = torch.zeros(b + window.numel() - 1, b, dtype=torch.float64)
            for j in range(b):
                k[j : j + window.numel(), j] = window
            k = self._cache[key] = k.to(device=device, dtype=dtype)
        return k

    def _padding_index(self, axis: int, size: int, device: torch.device) -> torch.Tensor:
        """Indices of the reflect-padded axis, extended to whole blocks (the extra outputs are dropped)."""
        key = ("index", axis, size, device)
        idx = self._cache.get(key)
        if idx is None:
            pad, b = self.pads[axis], self._block
            blocks = -(-size // b)
            positions = torch.arange(-pad, blocks * b + pad)
            reflected = positions.abs()  # left border: -j -> j
            reflected = torch.where(reflected > size - 1, 2 * (size - 1) - reflected, reflected)
            idx = self._cache[key] = reflected.clamp(0, size - 1).to(device)
        return idx

    def _blocked(self, axis: int, x: torch.Tensor) -> torch.Tensor:
        """``x`` of shape ``(P, size, post)`` filtered along dim 1, block by block."""
        pre, size, post = x.shape
        b, pad = self._block, self.pads[axis]
        padded = x.index_select(1, self._padding_index(axis, size, x.device))
        windows = padded.unfold(1, b + 2 * pad, b)  # (P, blocks, post, b + 2 * pad)
        out = windows @ self._band(axis, x.device, x.dtype)  # (P, blocks, post, b)
        if post != 1:
            out = out.transpose(2, 3)
        return out.reshape(pre, -1, post)[:, :size]
