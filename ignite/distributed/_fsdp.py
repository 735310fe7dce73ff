"""FSDP2 for ``auto_model(fsdp=True)``: which submodules get their own ``fully_shard``, and the call itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch.nn as nn

__all__ = ["FSDPPolicy", "apply_fsdp", "require_fully_shard", "select_modules"]

#: What ``auto_model(..., fsdp_policy=...)`` accepts: ``None`` (the root only), module classes (every instance is
#: sharded), an ``int`` (a module whose parameters not already in a sharded descendant reach this count), or a
#: callable ``(name, module) -> bool``.
FSDPPolicy = int | type | Iterable[type] | Callable[[str, nn.Module], bool] | None


def require_fully_shard() -> Callable[..., Any]:
    """``torch.distributed.fsdp.fully_shard``, or a ``RuntimeError`` naming it when this torch lacks it."""
    import torch

    try:
        from torch.distributed.fsdp import fully_shard
    except ImportError as e:
        raise RuntimeError(
            f"auto_model(fsdp=True) needs torch.distributed.fsdp.fully_shard (FSDP2, torch >= 2.6); "
            f"the installed torch {torch.__version__} does not provide it"
        ) from e
    return fully_shard


def _check_kwargs(kwargs: dict[str, Any]) -> None:
    """Type-check the policies passed through to ``fully_shard``, naming the argument."""
    from torch.distributed.fsdp import MixedPrecisionPolicy, OffloadPolicy

    mp = kwargs.get("mp_policy")
    if mp is not None and not isinstance(mp, MixedPrecisionPolicy):
        raise TypeError(f"Argument mp_policy should be a torch.distributed.fsdp.MixedPrecisionPolicy, got {type(mp)}")
    off = kwargs.get("offload_policy")
    if off is not None and not isinstance(off, OffloadPolicy):
        raise TypeError(
            f"Argument offload_policy should be a torch.distributed.fsdp.OffloadPolicy (e.g. CPUOffloadPolicy()), "
            f"got {type(off)}"
        )
    if getattr(off, "pin_memory", False) and not _has_accelerator():
        raise ValueError(
            "Argument offload_policy: CPUOffloadPolicy(pin_memory=True) needs an accelerator to pin memory for; "
            "on a CPU-only host use CPUOffloadPolicy(pin_memory=False)"
        )


def _has_accelerator() -> bool:
    import torch

    accelerator = getattr(torch, "accelerator", None)
    if accelerator is not None:
        return bool(accelerator.is_available())
    return torch.cuda.is_available()


def _as_predicate(policy: FSDPPolicy) -> Callable[[str, nn.Module, int], bool] | None:
    """The policy as ``(name, module, unsharded_param_count) -> bool``; ``None`` for root-only."""
    if policy is None:
        return None
    if isinstance(policy, bool):
        raise TypeError(f"Argument fsdp_policy should be None, an int, module classes or a callable, got {policy!r}")
    if isinstance(policy, int):
        if policy < 1:
            raise ValueError(f"Argument fsdp_policy as a parameter count should be positive, got {policy}")
        min_count = policy
        return lambda name, module, count: count >= min_count
    if isinstance(policy, type):
        policy = (policy,)
    if callable(policy):
        fn = policy
        return lambda name, module, count: bool(fn(name, module))
    if isinstance(policy, Iterable):
        classes = tuple(policy)
        bad = [c for c in classes if not (isinstance(c, type) and issubclass(c, nn.Module))]
        if bad or not classes:
            raise TypeError(f"Argument fsdp_policy should list nn.Module subclasses, got {list(classes)!r}")
        return lambda name, module, count: isinstance(module, classes)
    raise TypeError(
        f"Argument fsdp_policy should be None, an int, module classes or a callable, got {type(policy).__name__}"
    )


def select_modules(model: nn.Module, policy: FSDPPolicy) -> list[tuple[str, nn.Module]]:
    """The submodules (not the root) that get their own ``fully_shard``, innermost first.

    Walks the tree bottom-up: a module's count is the number of parameters of its subtree that no selected
    descendant already holds (as torch's size-based wrap policy for FSDP1).
    """
    predicate = _as_predicate(policy)
    if predicate is None:
        return []
    selected: list[tuple[str, nn.Module]] = []

    def visit(name: str, module: nn.Module) -> int:
        count = sum(p.numel() for p in module.parameters(recurse=False))
        for child_name, child in module.named_children():
            count += visit(f"{name}.{child_name}" if name else child_name, child)
        if module is not model and predicate(name, module, count):
            selected.append((name, module))
            return 0
        return count

    visit("", model)
    return selected


def apply_fsdp(model: nn.Module, policy: FSDPPolicy, world_size: int, device_type: str, **kwargs: Any) -> nn.Module:
    """``fully_shard`` the submodules chosen by ``policy`` (innermost first), then the root, on one mesh."""
    fully_shard = require_fully_shard()
    _check_kwargs(kwargs)
    if "mesh" not in kwargs:
        from torch.distributed.device_mesh import init_device_mesh

        kwargs["mesh"] = init_device_mesh(device_type, (world_size,))
    for _, module in select_modules(model, policy):
        fully_shard(module, **kwargs)
    return fully_shard(model, **kwargs)
