"""Capture and restore of the global random states (Python, torch CPU and CUDA, numpy): one implementation.

Two layouts share it. :func:`capture`/:func:`restore` use a mapping of tensors and plain numbers that
``torch.load(..., weights_only=True)`` reads back (``ExactResume`` checkpoints). :func:`capture_list`/
:func:`restore_list` use the list that ``DeterministicEngine.state_dict()["rng_states"]`` has always held:
``[random.getstate(), torch.get_rng_state(), numpy.random.get_state()]`` (numpy only when it imports; no CUDA).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["capture", "restore", "capture_list", "restore_list", "data_generators"]


def _numpy(imported_only: bool) -> Any:
    """The numpy module, or ``None`` when it is not importable (or, with ``imported_only``, not imported yet)."""
    if imported_only:
        return sys.modules.get("numpy")
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _set_torch_cpu(state: torch.Tensor) -> None:
    torch.set_rng_state(state.cpu() if state.device.type != "cpu" else state)


def _cuda_states() -> list[torch.Tensor] | None:
    # only once CUDA is initialised: reading the states would initialise it (and fork-unsafe it) otherwise
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.get_rng_state_all()
    return None


def _set_cuda_states(states: list[torch.Tensor]) -> None:
    if torch.cuda.is_available():
        for device in range(min(len(states), torch.cuda.device_count())):
            torch.cuda.set_rng_state(states[device].cpu(), device)


def capture(cuda: bool = True) -> dict[str, Any]:
    """The random states as tensors and plain numbers (CUDA devices' states once CUDA is initialised)."""
    version, internal, gauss = random.getstate()
    out: dict[str, Any] = {
        "random": {"version": version, "state": torch.tensor(internal, dtype=torch.int64), "gauss": gauss},
        "torch": torch.get_rng_state(),
    }
    cuda_states = _cuda_states() if cuda else None
    if cuda_states is not None:
        out["cuda"] = cuda_states
    np = _numpy(imported_only=True)
    if np is not None:
        kind, keys, pos, has_gauss, cached = np.random.get_state()
        out["numpy"] = {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype("int64")),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        }
    return out


def restore(states: Mapping[str, Any]) -> None:
    """Set the random states captured by :func:`capture` (sources missing from ``states`` are left alone)."""
    r = states["random"]
    random.setstate((r["version"], tuple(r["state"].tolist()), r["gauss"]))
    _set_torch_cpu(states["torch"])
    if "cuda" in states:
        _set_cuda_states(states["cuda"])
    if "numpy" in states:
        import numpy as np

        n = states["numpy"]
        np.random.set_state(
            (n["kind"], n["keys"].numpy().astype("uint32"), n["pos"], n["has_gauss"], n["cached_gaussian"])
        )


def capture_list() -> list[Any]:
    """``[random.getstate(), torch.get_rng_state()]``, plus ``numpy.random.get_state()`` if numpy imports."""
    out: list[Any] = [random.getstate(), torch.get_rng_state()]
    np = _numpy(imported_only=False)
    if np is not None:
        out.append(np.random.get_state())
    return out


def restore_list(states: list[Any]) -> None:
    """Set the states of :func:`capture_list`; a torch state not on CPU is moved there and stored back."""
    random.setstate(states[0])
    if states[1].device.type != "cpu":
        states[1] = states[1].cpu()
    _set_torch_cpu(states[1])
    np = _numpy(imported_only=False)
    if np is not None and len(states) > 2:
        np.random.set_state(states[2])


def data_generators(data: Any) -> list[torch.Generator]:
    """The ``torch.Generator`` objects a data loader draws its order from (its own, its sampler's, its batch
    sampler's sampler's), each once, in that order."""
    found: list[torch.Generator] = []
    for owner in (
        data,
        getattr(data, "sampler", None),
        getattr(getattr(data, "batch_sampler", None), "sampler", None),
    ):
        gen = getattr(owner, "generator", None)
        if isinstance(gen, torch.Generator) and all(gen is not g for g in found):
            found.append(gen)
    return found
