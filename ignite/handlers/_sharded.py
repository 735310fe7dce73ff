"""FSDP2 modules in plain (``torch.save``) checkpoints: gather the full state dict to save, shard it again to load."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import torch.nn as nn


def is_fsdp_module(obj: Any) -> bool:
    """Whether ``obj`` is a module sharded by FSDP2 (only checked once torch's fsdp package is loaded)."""
    fsdp = sys.modules.get("torch.distributed.fsdp")
    cls = getattr(fsdp, "FSDPModule", None) if fsdp is not None else None
    return cls is not None and isinstance(obj, cls)


def has_dtensor_params(optimizer: Any) -> bool:
    """Whether an optimizer updates DTensor (sharded) parameters."""
    tensor_mod = sys.modules.get("torch.distributed.tensor")
    dtensor = getattr(tensor_mod, "DTensor", None) if tensor_mod is not None else None
    groups = getattr(optimizer, "param_groups", None)
    if dtensor is None or not isinstance(groups, list):
        return False
    return any(isinstance(p, dtensor) for g in groups for p in g.get("params", ()))


def full_state_dict(module: nn.Module, rank0_only: bool) -> dict[str, Any]:
    """The unsharded state dict on CPU (collective: every rank calls it; with ``rank0_only`` others get ``{}``)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    return get_model_state_dict(module, options=StateDictOptions(full_state_dict=True, cpu_offload=rank0_only))


def load_full_state_dict(module: nn.Module, state_dict: Mapping, strict: bool = True) -> None:
    """Shard a full state dict (as :func:`full_state_dict` gives) into an FSDP2 module on every rank."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

    set_model_state_dict(module, dict(state_dict), options=StateDictOptions(full_state_dict=True, strict=strict))
