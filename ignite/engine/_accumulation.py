"""Gradient accumulation windows for the supervised training step.

A window is ``k`` consecutive iterations whose gradients add up to one optimizer step. With the default
``"epoch"`` boundary windows restart with every epoch, so an epoch whose length is not a multiple of ``k``
ends with a shorter window that is stepped at the epoch's last iteration (nothing is carried into the next
epoch, and a checkpoint taken at ``EPOCH_COMPLETED`` holds every update of the epoch). Each micro-step's loss
is divided by its window's size, so a window's update equals that of one batch made of all its micro-batches.
``"global"`` counts windows over the run's iteration counter (upstream's rule: windows may straddle epochs).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import torch

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
    """The context that skips the gradient communication of ``model`` for a backward pass, or ``None`` when
    ``model`` has none to skip; also found through ``torch.compile``'s wrapper (``_orig_mod``).

    * ``DistributedDataParallel`` (and FSDP1): ``model.no_sync`` (no all-reduce). The forward pass must run
      inside it too: DDP decides in ``forward`` whether the next backward reduces.
    * FSDP2 (``fully_shard``, as ``idist.auto_model(fsdp=True)`` builds): gradient sync is turned off on every
      ``FSDPModule`` of the tree (``set_requires_gradient_sync(False)``, no reduce-scatter: each rank keeps its
      unsharded gradients and adds the next micro-step's to them) and back on when the context exits, so the
      window's last backward reduce-scatters the sum once. Parameters are still resharded after each backward
      (FSDP2's default, left alone: it costs an all-gather per micro-step, not correctness).
    """
    no_sync = getattr(model, "no_sync", None)
    if callable(no_sync):
        return no_sync
    modules = fsdp2_modules(model)
    if modules:
        return functools.partial(_fsdp2_no_sync, modules)
    return None


# where torch defines FSDP2's ``FSDPModule``: torch >= 2.6, then its earlier home (torch 2.4 and 2.5)
_FSDP2_MODULES = ("torch.distributed.fsdp._fully_shard._fully_shard", "torch.distributed._composable.fsdp.fully_shard")


def fsdp2_modules(model: Any) -> list[Any]:
    """Every FSDP2 ``FSDPModule`` in ``model``'s tree (through ``torch.compile`` wrappers), root first."""
    # FSDP2 cannot have been applied unless its module was imported: no import (and no cost) otherwise
    classes = tuple(getattr(sys.modules.get(name), "FSDPModule", None) for name in _FSDP2_MODULES)
    fsdp_classes = tuple(c for c in classes if isinstance(c, type))
    while hasattr(model, "_orig_mod"):
        model = model._orig_mod
    if not fsdp_classes or not isinstance(model, torch.nn.Module):
        return []
    return [m for m in model.modules() if isinstance(m, fsdp_classes)]


@contextmanager
def _fsdp2_no_sync(modules: list[Any]) -> Iterator[None]:
    # recurse=False on each module: the tree is walked once, when the step is built, not per micro-step
    for m in modules:
        m.set_requires_gradient_sync(False, recurse=False)
    try:
        yield
    finally:
        for m in modules:
            m.set_requires_gradient_sync(True, recurse=False)
