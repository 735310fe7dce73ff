"""Computation model on torch_xla (TPU). Defined only when torch_xla is installed; imported lazily."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, cast

import torch

from ignite.distributed.comp_models._detect import package_has
from ignite.distributed.comp_models.base import ComputationModel

has_xla_support = package_has("torch_xla", "core/xla_model", "distributed/xla_multiprocessing")

__all__ = ["has_xla_support"]

XLA_TPU = "xla-tpu"


def _xm() -> Any:
    try:
        import torch_xla.core.xla_model as xm
    except ImportError as e:  # installed but broken
        raise ModuleNotFoundError(
            "torch_xla could not be imported; the XLA computation model needs a working 'torch_xla' package"
        ) from e
    return xm


def _world_size() -> int:
    try:
        import torch_xla.runtime as xr

        return int(xr.world_size())
    except (ImportError, AttributeError):
        return int(_xm().xrt_world_size())


def _rank() -> int:
    try:
        import torch_xla.runtime as xr

        return int(xr.global_ordinal())
    except (ImportError, AttributeError):
        return int(_xm().get_ordinal())


def _local_rank() -> int:
    try:
        import torch_xla.runtime as xr

        return int(xr.local_ordinal())
    except (ImportError, AttributeError):
        return int(_xm().get_local_ordinal())


def _flat_group(group: Any) -> list[int] | None:
    """Accept a flat list of ranks or the ``[ranks]`` that ``new_group`` returns; None if invalid."""
    if isinstance(group, list) and all(isinstance(r, int) for r in group):
        return group
    if (
        isinstance(group, list)
        and len(group) == 1
        and isinstance(group[0], list)
        and all(isinstance(r, int) for r in group[0])
    ):
        return group[0]
    return None


if has_xla_support:

    class _XlaDistModel(ComputationModel):
        """Private class for PyTorch XLA distributed computation model (backend ``"xla-tpu"``)."""

        name = "xla-dist"
        available_backends = (XLA_TPU,)
        _collective_op_dtype = torch.float32

        _reduce_op_map = {"SUM": "sum", "PRODUCT": "mul", "MIN": "min", "MAX": "max", "AND": "and", "OR": "or"}

        @staticmethod
        def create_from_context() -> _XlaDistModel | None:
            # Only when the user's program already uses torch_xla with a configured runtime: a GPU job on a
            # machine that merely has torch_xla installed must not fall into the XLA model.
            if "torch_xla" not in sys.modules:
                return None
            if not any(k in os.environ for k in ("PJRT_DEVICE", "XRT_TPU_CONFIG", "XRT_DEVICE_MAP", "TPU_NAME")):
                return None
            return _XlaDistModel()

        @staticmethod
        def create_from_backend(backend: str = XLA_TPU, **kwargs: Any) -> _XlaDistModel:
            if backend not in _XlaDistModel.available_backends:
                raise ValueError(f"Backend should be one of '{_XlaDistModel.available_backends}'")
            return _XlaDistModel(backend=backend, **kwargs)

        def __init__(self, backend: str | None = None, **kwargs: Any) -> None:
            super().__init__()
            if backend is not None:
                self._create_from_backend(backend, **kwargs)
            else:
                self._init_from_context()

        def _create_from_backend(self, backend: str, **kwargs: Any) -> None:
            _xm().rendezvous("init")
            self._backend = backend
            self._setup_attrs()

        def _init_from_context(self) -> None:
            self._backend = XLA_TPU
            self._setup_attrs()

        def _compute_nproc_per_node(self) -> int:
            tensor = torch.tensor([self.get_local_rank() + 1.0], dtype=torch.float).to(self.device())
            _xm().all_reduce("max", [tensor])
            return int(tensor.item())

        def get_local_rank(self) -> int:
            return _local_rank()

        def get_rank(self) -> int:
            return _rank()

        def get_world_size(self) -> int:
            return _world_size()

        def device(self) -> torch.device:
            try:
                import torch_xla

                dev = torch_xla.device()
            except (ImportError, AttributeError):
                dev = _xm().xla_device()
            return torch.device(dev)

        def backend(self) -> str:
            return cast(str, self._backend)

        def finalize(self) -> None:
            pass

        @staticmethod
        def _dist_worker_task_fn(
            local_rank: int, backend: str, fn: Callable, args: tuple, kwargs_dict: Mapping
        ) -> None:
            from ignite.distributed.utils import _set_model, finalize

            model = _XlaDistModel.create_from_backend(backend)
            _set_model(model)
            fn(local_rank, *args, **kwargs_dict)
            finalize()

        @staticmethod
        def spawn(
            fn: Callable,
            args: tuple,
            kwargs_dict: Mapping | None = None,
            nproc_per_node: int = 1,
            nnodes: int = 1,
            node_rank: int = 0,
            backend: str = XLA_TPU,
            **kwargs: Any,
        ) -> None:
            import torch_xla.distributed.xla_multiprocessing as xmp

            kwargs.setdefault("start_method", "fork")
            xmp.spawn(
                _XlaDistModel._dist_worker_task_fn,
                args=(backend, fn, args, kwargs_dict or {}),
                nprocs=nproc_per_node,
                **kwargs,
            )

        def _groups_arg(self, group: Any) -> list[list[int]] | None:
            if group is None:
                return None
            ranks = _flat_group(group)
            if ranks is None:
                raise ValueError("Argument group should be list of int")
            return [ranks]

        def _do_all_reduce(self, tensor: torch.Tensor, op: str = "SUM", group: Any | None = None) -> torch.Tensor:
            xla_op = self._reduce_op_map.get(op.upper() if isinstance(op, str) else op)
            if xla_op is None:
                raise ValueError(f"Unsupported reduction operation: '{op}'")
            groups = self._groups_arg(group)
            if groups is not None and self.get_rank() not in groups[0]:
                return tensor
            _xm().all_reduce(xla_op, [tensor], groups=groups)
            return tensor

        def _do_all_gather(self, tensor: torch.Tensor, group: Any | None = None) -> torch.Tensor:
            groups = self._groups_arg(group)
            rank = self.get_rank()
            if groups is None:
                size, slot = self.get_world_size(), rank % self.get_world_size()
            else:
                if rank not in groups[0]:
                    return tensor
                size, slot = len(groups[0]), groups[0].index(rank)
            output = torch.zeros((size, *tensor.shape), dtype=tensor.dtype, device=tensor.device)
            output[slot] = tensor
            _xm().all_reduce("sum", [output], groups=groups)
            return output.reshape(-1, *tensor.shape[1:])

        def _do_all_gather_object(self, tensor: Any, group: Any | None = None) -> list[Any]:
            raise NotImplementedError("all_gather on object is not implemented for xla")

        def _do_new_group(self, ranks: list[int], **kwargs: Any) -> Any:
            return [ranks]

        def _do_broadcast(self, tensor: torch.Tensor, src: int) -> torch.Tensor:
            if self.get_rank() != src:
                tensor.fill_(0.0)
            _xm().all_reduce("sum", [tensor])
            return tensor

        def barrier(self) -> None:
            _xm().rendezvous("barrier")

        def _rank_not_in_group(self, group: Any) -> bool:
            if group is None:
                return False
            ranks = _flat_group(group)
            return ranks is not None and self.get_rank() not in ranks

    __all__ += ["_XlaDistModel", "XLA_TPU"]
