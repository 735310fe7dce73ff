"""Gradient accumulation windows for the supervised training step.

A window is ``k`` consecutive iterations whose gradients add up to one optimizer step. With the default
``"epoch"`` boundary windows restart with every epoch, so an epoch whose length is not a multiple of ``k``
ends with a shorter window that is stepped at the epoch's last iteration (nothing is carried into the next
epoch, and a checkpoint taken at ``EPOCH_COMPLETED`` holds every update of the epoch). Each micro-step's loss
is divided by its window's size, so a window's update equals that of one batch made of all its micro-batches.
``"global"`` counts windows over the run's iteration counter (upstream's rule: windows may straddle epochs).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

BOUNDARIES = ("epoch", "global")


def check_boundary(accumulation_boundary: str) -> None:
    if accumulation_boundary not in BOUNDARIES:
        raise ValueError(f"Argument accumulation_boundary should be 'epoch' or 'global', got {accumulation_boundary!r}")


def accumulation_window(k: int, accumulation_boundary: str = "epoch") -> Callable[[Any], tuple[bool, bool, int]]:
    """``state -> (first, last, size)`` for the iteration ``state.iteration``: whether it opens its window,
    whether it closes it (the optimizer steps), and the window's number of micro-steps."""
    check_boundary(accumulation_boundary)
    per_epoch = accumulation_boundary == "epoch"

    def window(state: Any) -> tuple[bool, bool, int]:
        i = state.iteration
        n = state.epoch_length if per_epoch else None
        # epoch-relative position (1-based); an unknown epoch length only happens in the first epoch
        rel = (i - 1) % n + 1 if n else i
        pos = (rel - 1) % k
        size = min(k, n - (rel - pos) + 1) if n else k
        return pos == 0, pos == size - 1, size

    return window


def grad_sync_off(model: Any) -> Callable[[], AbstractContextManager] | None:
    """The context that skips the gradient all-reduce of ``model`` for a backward pass: ``model.no_sync`` of a
    ``DistributedDataParallel`` (or FSDP1) model, also through ``torch.compile``'s wrapper; ``None`` otherwise.

    The forward pass must run inside it too: DDP decides in ``forward`` whether the next backward reduces.
    """
    no_sync = getattr(model, "no_sync", None)
    return no_sync if callable(no_sync) else None
