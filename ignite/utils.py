"""Leaf helpers: tensor tree mapping, one-hot encoding, logging set-up, seeding, checkpoint hashing."""

from __future__ import annotations

import collections.abc as cabc
import functools
import hashlib
import logging
import numbers
import random
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import torch

__all__ = [
    "convert_tensor",
    "apply_to_tensor",
    "apply_to_type",
    "_to_str_list",
    "to_onehot",
    "setup_logger",
    "manual_seed",
    "hash_checkpoint",
]


def convert_tensor(
    x: torch.Tensor | cabc.Sequence | cabc.Mapping | str | bytes,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
) -> torch.Tensor | cabc.Sequence | cabc.Mapping | str | bytes:
    """Move every tensor of a (nested) collection to ``device``; other leaves must be str/bytes."""

    def _func(tensor: torch.Tensor) -> torch.Tensor:
        return tensor.to(device=device, non_blocking=non_blocking) if device is not None else tensor

    return apply_to_tensor(x, _func)


def apply_to_tensor(
    x: torch.Tensor | cabc.Sequence | cabc.Mapping | str | bytes, func: Callable
) -> torch.Tensor | cabc.Sequence | cabc.Mapping | str | bytes:
    """Apply ``func`` to every tensor of a (nested) collection."""
    return apply_to_type(x, torch.Tensor, func)


def apply_to_type(
    x: Any,
    input_type: type | tuple[type[Any], Any] | Any,
    func: Callable,
) -> Any:
    """Apply ``func`` to every leaf of type ``input_type`` inside mappings, namedtuples and sequences."""
    if isinstance(x, input_type):
        return func(x)
    if isinstance(x, (str, bytes)):
        return x
    if isinstance(x, cabc.Mapping):
        return type(x)({k: apply_to_type(sample, input_type, func) for k, sample in x.items()})  # type: ignore[call-arg]  # a concrete subclass of the ABC
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # namedtuple
        return type(x)(*(apply_to_type(sample, input_type, func) for sample in x))
    if isinstance(x, cabc.Sequence):
        return type(x)([apply_to_type(sample, input_type, func) for sample in x])  # type: ignore[call-arg]  # a concrete subclass of the ABC
    raise TypeError(f"x must contain {input_type}, dicts or lists; found {type(x)}")


def _tree_map(func: Callable, x: Any, key: int | str | None = None) -> Any:
    """Map ``func(leaf, key=...)`` over a tree of mappings and sequences (strings are leaves)."""
    if isinstance(x, cabc.Mapping):
        return type(x)({k: _tree_map(func, sample, key=k) for k, sample in x.items()})  # type: ignore[call-arg]  # a concrete subclass of the ABC
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_tree_map(func, sample) for sample in x))
    if isinstance(x, cabc.Sequence) and not isinstance(x, (str, bytes)):
        return type(x)([_tree_map(func, sample, key=i) for i, sample in enumerate(x)])  # type: ignore[call-arg]  # a concrete subclass of the ABC
    return func(x, key=key)


class _CollectionItem:
    """A reference to ``collection[key]`` that can be read and written back."""

    types_as_collection_item: tuple = (int, float, torch.Tensor)

    def __init__(self, collection: dict | list, key: int | str) -> None:
        if not isinstance(collection, (dict, list)):
            raise TypeError(
                f"Input type is expected to be a mapping or list, but got {type(collection)} for input key '{key}'."
            )
        if isinstance(collection, list) and isinstance(key, str):
            raise ValueError("Key should be int for collection of type list")
        self.collection = collection
        self.key = key

    def load_value(self, value: Any) -> None:
        self.collection[self.key] = value  # type: ignore[index]

    def value(self) -> Any:
        return self.collection[self.key]  # type: ignore[index]

    @staticmethod
    def wrap(object: dict | list, key: int | str, value: Any) -> Any:
        if value is None or isinstance(value, _CollectionItem.types_as_collection_item):
            return _CollectionItem(object, key)
        return value


def _tree_apply2(func: Callable, x: Any, y: Any) -> None:
    """Walk two parallel trees and call ``func(x_leaf, y_leaf)``; leaves of ``x`` are wrapped as items."""
    if isinstance(x, dict) and isinstance(y, cabc.Mapping):
        for k, v in x.items():
            if k not in y:
                raise ValueError(f"Key '{k}' from x is not found in y: {y.keys()}")
            _tree_apply2(func, _CollectionItem.wrap(x, k, v), y[k])
    elif isinstance(x, list) and isinstance(y, cabc.Sequence):
        if len(x) != len(y):
            raise ValueError(f"Size of y: {len(y)} does not match the size of x: '{len(x)}'")
        for i, (v1, v2) in enumerate(zip(x, y)):
            _tree_apply2(func, _CollectionItem.wrap(x, i, v1), v2)
    else:
        func(x, y)


def _rank() -> int:
    """This process's rank in ``ignite.distributed``, imported on first call so that importers stay light."""
    from ignite.distributed.utils import get_rank

    return get_rank()


def to_onehot(indices: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Convert ``(N, ...)`` integer class indices to a ``(N, num_classes, ...)`` uint8 one-hot tensor."""
    new_shape = (indices.shape[0], num_classes) + indices.shape[1:]
    onehot = torch.zeros(new_shape, dtype=torch.uint8, device=indices.device)
    return onehot.scatter_(1, indices.unsqueeze(1), 1)


def setup_logger(
    name: str | None = "ignite",
    level: int = logging.INFO,
    stream: TextIO | None = None,
    format: str = "%(asctime)s %(name)s %(levelname)s: %(message)s",
    filepath: str | None = None,
    distributed_rank: int | None = None,
    reset: bool = False,
    encoding: str | None = "utf-8",
) -> logging.Logger:
    """Configure a logger: a stream (and optional file) handler on rank 0, silence on other ranks."""
    existing = name is None or name in logging.root.manager.loggerDict
    logger = logging.getLogger(name)

    if distributed_rank is None:
        distributed_rank = _rank()

    if distributed_rank > 0 or reset:
        for h in list(logger.handlers):
            logger.removeHandler(h)
    if distributed_rank > 0:
        logger.addHandler(logging.NullHandler())

    if existing and not reset:
        return logger

    if distributed_rank == 0:
        logger.setLevel(level)
        formatter = logging.Formatter(format)
        ch = logging.StreamHandler(stream=stream)
        ch.setLevel(level)
        ch.setFormatter(formatter)
        logger.addHandler(ch)
        if filepath is not None:
            fh = logging.FileHandler(filepath, encoding=encoding)
            fh.setLevel(level)
            fh.setFormatter(formatter)
            logger.addHandler(fh)

    if name is not None:
        logger.propagate = False
    return logger


def manual_seed(seed: int) -> None:
    """Seed Python's ``random``, torch (CPU and CUDA), torch_xla and numpy when present."""
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import torch_xla.core.xla_model as xm

        xm.set_rng_state(seed)
    except ImportError:
        pass
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:
        pass


def deprecated(
    deprecated_in: str, removed_in: str = "", reasons: tuple[str, ...] = (), raise_exception: bool = False
) -> Callable:
    """Decorator factory marking a function deprecated (warning, or raising ``DeprecationWarning``)."""

    def decorator(func: Callable) -> Callable:
        func_doc = func.__doc__ if func.__doc__ else ""
        message = f"This function has been deprecated since version {deprecated_in}"
        if removed_in:
            message += f" and will be removed in version {removed_in}"
        message += ".\n Please refer to the documentation for more details."

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if raise_exception:
                raise DeprecationWarning(message)
            warnings.warn(message, DeprecationWarning, stacklevel=2)
            return func(*args, **kwargs)

        doc = f"**Deprecated function**.\n\n    {func_doc}.. deprecated:: {deprecated_in}"
        if reasons:
            doc += "\n\n\t" + "".join(f"\n\t- {r}" for r in reasons)
        wrapper.__doc__ = doc
        return wrapper

    return decorator


def hash_checkpoint(checkpoint_path: str | Path, output_dir: str | Path) -> tuple[Path, str]:
    """Move a checkpoint into ``output_dir`` renamed ``{stem}-{sha256[:8]}.pt``; return path and digest."""
    if isinstance(checkpoint_path, str):
        checkpoint_path = Path(checkpoint_path)
    if not checkpoint_path.exists():
        raise FileNotFoundError(f"{checkpoint_path.name} does not exist in {checkpoint_path.parent}.")
    if isinstance(output_dir, str):
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)

    sha_hash = hashlib.sha256()
    with open(checkpoint_path, "rb") as f:
        for block in iter(lambda: f.read(4096), b""):
            sha_hash.update(block)
    digest = sha_hash.hexdigest()
    new_path = output_dir / f"{checkpoint_path.stem}-{digest[:8]}.pt"
    shutil.move(str(checkpoint_path), new_path)
    return new_path, digest


def _fmt_number(x: Any) -> str:
    return f"{x:.4f}"


def _tensor_str(item: torch.Tensor) -> str:
    """A scalar as a number, a vector as its first 10 values, anything larger as its shape."""
    if item.ndim == 0:
        return _fmt_number(item.item())
    if item.ndim == 1:
        values = item.tolist()
        shown = ", ".join(_fmt_number(v) for v in values[:10])
        return "[" + shown + (", ...]" if len(values) > 10 else "]")
    return "Shape" + str(list(item.shape))


def _append_str(out: list[str], item: Any, prefix: str = "") -> str | None:
    """The display string of a number or tensor; containers append their lines to ``out`` and give ``None``."""
    if isinstance(item, numbers.Number):
        return prefix + _fmt_number(item)
    if isinstance(item, torch.Tensor):
        return prefix + _tensor_str(item)
    if isinstance(item, dict):
        for k, v in item.items():
            s = _append_str(out, v, f"{k}: ")
            if s is not None:
                out.append(s)
    elif isinstance(item, (list, tuple)) and len(item) > 0:
        parts = [p for p in (_append_str(out, e) for e in item) if p is not None]
        if parts:
            out.append(prefix + ", ".join(parts))
    elif isinstance(item, (list, tuple)) or item is None:
        if prefix:  # an empty container or None under a key: the key alone
            out.append(prefix)
    return None


def _to_str_list(data: Any) -> list[str]:
    """Flatten numbers, tensors and nested containers into display strings (4 decimals)."""
    if isinstance(data, numbers.Number):
        return [_fmt_number(data)]
    out: list[str] = []
    _append_str(out, data)
    return out
