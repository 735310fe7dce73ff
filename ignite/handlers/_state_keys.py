"""Model state dicts under the plain model's keys, whatever wraps the model.

``torch.compile`` wraps a module in an ``OptimizedModule`` whose state dict prefixes every key with
``_orig_mod.``; ``DataParallel``/``DistributedDataParallel`` hide it under ``.module``. Checkpoints store the
keys of the plain model, and loading maps a state dict onto a module whichever way round it was compiled.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from torch import nn

_COMPILED = "_orig_mod"


def _compiled_class() -> type | None:
    module = sys.modules.get("torch._dynamo.eval_frame")  # only loaded once something was compiled
    return getattr(module, "OptimizedModule", None) if module is not None else None


def unwrap_module(module: nn.Module, data_parallel: bool = True) -> nn.Module:
    """The plain model inside ``torch.compile`` and ``DistributedDataParallel`` wrappers, and ``DataParallel``
    ones unless ``data_parallel=False``."""
    compiled = _compiled_class()
    parallel = (
        (nn.DataParallel, nn.parallel.DistributedDataParallel) if data_parallel else nn.parallel.DistributedDataParallel
    )
    while True:
        if compiled is not None and isinstance(module, compiled):
            module = module._orig_mod  # type: ignore[assignment]
        elif isinstance(module, parallel):
            module = module.module
        else:
            return module


def plain_key(key: str) -> str:
    """``key`` without the ``_orig_mod.`` parts that compiled submodules add."""
    if _COMPILED not in key:
        return key
    return ".".join(part for part in key.split(".") if part != _COMPILED)


def _rekey(state_dict: Mapping[str, Any], rename: Any) -> OrderedDict:
    out: OrderedDict = OrderedDict((rename(k), v) for k, v in state_dict.items())
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        out._metadata = OrderedDict((rename(k), v) for k, v in metadata.items())  # type: ignore[attr-defined]
    return out


def plain_keys(state_dict: Mapping[str, Any]) -> Any:
    """``state_dict`` with the ``_orig_mod.`` parts of its keys removed (itself when there are none)."""
    if not any(_COMPILED in k for k in state_dict):
        return state_dict
    return _rekey(state_dict, plain_key)


def module_state_dict(module: nn.Module) -> Any:
    """``state_dict()`` of the unwrapped ``module`` under plain keys (no ``_orig_mod.``, no ``module.``)."""
    return plain_keys(unwrap_module(module).state_dict())


def load_module_state(
    module: nn.Module, state_dict: Mapping[str, Any], data_parallel: bool = True, **kwargs: Any
) -> Any:
    """``load_state_dict`` on the unwrapped ``module`` (see :func:`unwrap_module`), accepting keys saved with or
    without ``_orig_mod.`` whether or not (parts of) ``module`` are compiled now. ``kwargs`` go to
    ``load_state_dict``."""
    module = unwrap_module(module, data_parallel)
    compiled = _compiled_class()
    has_compiled_part = compiled is not None and any(isinstance(m, compiled) for m in module.modules())
    if has_compiled_part or any(_COMPILED in k for k in state_dict):
        targets = {plain_key(k): k for k in module.state_dict()}
        state_dict = _rekey(state_dict, lambda k: targets.get(plain_key(k), k))
    return module.load_state_dict(state_dict, **kwargs)
