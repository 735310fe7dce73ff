"""Adding a batch's partial sum into an accumulator that lives on the metric's device, without a host sync."""

from __future__ import annotations

import torch

__all__ = ["_add_partial"]


def _add_partial(acc: torch.Tensor, partial: torch.Tensor) -> torch.Tensor:
    """``acc + partial`` out of place (an accumulator may be a tensor loaded from a user's state dict).

    A CPU accumulator meeting accelerator data moves to the data's device (once per reset): moving each partial
    to the CPU instead would wait for the accelerator at every update. Otherwise the partial moves to the
    accumulator. On MPS, which has no float64, a float64 accumulator becomes float32.
    """
    if acc.device != partial.device:
        if acc.device.type == "cpu":
            dtype = torch.float32 if partial.device.type == "mps" and acc.dtype == torch.float64 else acc.dtype
            acc = acc.to(device=partial.device, dtype=dtype)
        else:
            partial = partial.to(acc.device)
    return acc + partial
