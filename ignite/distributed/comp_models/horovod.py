"""Computation model on Horovod. Defined only when ``horovod.torch`` is installed; imported lazily."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, cast

import torch

from ignite.distributed.comp_models._detect import package_has
from ignite.distributed.comp_models.base import ComputationModel, _current_cuda_device

# horovod.torch is only usable when its compiled extension (mpi_lib_v2) was built: a pip build that could
# not compile it still installs the Python files, and hvd.init is then missing
has_hvd_support = package_has("horovod", "torch", "torch/mpi_lib_v2") and (
    package_has("horovod", "run/runner") or package_has("horovod", "run")
)

__all__ = ["has_hvd_support"]

HOROVOD = "horovod"


def _hvd() -> Any:
    try:
        import horovod.torch as hvd
    except ImportError as e:  # installed but not built with PyTorch support
        raise ModuleNotFoundError(
            "horovod.torch could not be imported; the Horovod computation model needs 'horovod' built with "
            "PyTorch support (HOROVOD_WITH_PYTORCH=1 pip install horovod)"
        ) from e
    return hvd


def _hvd_run() -> Callable:
    try:
        from horovod.run.runner import run as hvd_mp_spawn
    except ImportError:
        from horovod.run import run as hvd_mp_spawn
    return hvd_mp_spawn


if has_hvd_support:
    # process sets created after hvd.init() (idist.new_group) need dynamic process sets
    os.environ["HOROVOD_DYNAMIC_PROCESS_SETS"] = "1"

    class _HorovodDistModel(ComputationModel):
        """Private class for the Horovod distributed computation model (backend ``"horovod"``)."""

        name = "horovod-dist"
        available_backends = (HOROVOD,)

        @staticmethod
        def _is_initialized() -> bool:
            if "horovod.torch" not in sys.modules:
                return False  # nobody can have called hvd.init() without importing horovod.torch
            try:
                _hvd().rank()
            except ValueError:
                return False
            return True

        @staticmethod
        def create_from_context() -> _HorovodDistModel | None:
            if not _HorovodDistModel._is_initialized():
                return None
            return _HorovodDistModel()

        @staticmethod
        def create_from_backend(backend: str = HOROVOD, **kwargs: Any) -> _HorovodDistModel:
            if backend not in _HorovodDistModel.available_backends:
                raise ValueError(f"Backend should be one of '{_HorovodDistModel.available_backends}'")
            if _HorovodDistModel._is_initialized():
                raise RuntimeError("Can not re-initialize Horovod if it is already initialized")
            return _HorovodDistModel(backend, **kwargs)

        def __init__(self, backend: str | None = None, **kwargs: Any) -> None:
            super().__init__()
            if backend is not None:
                self._create_from_backend(backend, **kwargs)
            else:
                self._init_from_context()

        def _create_from_backend(self, backend: str, **kwargs: Any) -> None:
            hvd = _hvd()
            self._backend = backend
            hvd.init(comm=kwargs.get("comm"))
            self._setup_attrs()
            if torch.cuda.is_available():
                torch.cuda.set_device(self.get_local_rank())

        def _init_from_context(self) -> None:
            self._backend = HOROVOD
            self._setup_attrs()

        def _compute_nproc_per_node(self) -> int:
            return int(_hvd().local_size())

        def get_local_rank(self) -> int:
            return int(_hvd().local_rank())

        def get_rank(self) -> int:
            return int(_hvd().rank())

        def get_world_size(self) -> int:
            return int(_hvd().size())

        def device(self) -> torch.device:
            return _current_cuda_device(self.get_local_rank())

        def backend(self) -> str:
            return cast(str, self._backend)

        def finalize(self) -> None:
            _hvd().shutdown()

        @staticmethod
        def _dist_worker_task_fn(backend: str, fn: Callable, args: tuple, kwargs_dict: Mapping) -> None:
            from ignite.distributed.utils import _set_model, finalize

            model = _HorovodDistModel.create_from_backend(backend)
            _set_model(model)
            fn(model.get_local_rank(), *args, **kwargs_dict)
            finalize()

        @staticmethod
        def spawn(
            fn: Callable,
            args: tuple,
            kwargs_dict: Mapping | None = None,
            nproc_per_node: int = 1,
            hosts: str | None = None,
            backend: str = HOROVOD,
            **kwargs: Any,
        ) -> None:
            c1 = "nnodes" in kwargs and kwargs["nnodes"] > 1
            c2 = "node_rank" in kwargs and kwargs["node_rank"] > 0
            if c1 or c2:
                raise RuntimeError(
                    "For multi-node configuration, please set 'hosts' argument instead according to horovod.run API."
                )
            kwargs.pop("nnodes", None)
            kwargs.pop("node_rank", None)
            _hvd_run()(
                _HorovodDistModel._dist_worker_task_fn,
                args=(HOROVOD, fn, args, kwargs_dict or {}),
                num_proc=nproc_per_node,
                hosts=hosts,
                **kwargs,
            )

        _reduce_op_map = {"SUM": "Sum", "AVERAGE": "Average", "ADASUM": "Adasum"}
        _manual_reduce_op_map = {"MIN": "min", "MAX": "max", "PRODUCT": "prod"}

        def _do_all_reduce(self, tensor: torch.Tensor, op: str = "SUM", group: Any | None = None) -> torch.Tensor:
            hvd = _hvd()
            if group is not None:
                raise NotImplementedError("all_reduce with group for horovod is not implemented")
            key = op.upper() if isinstance(op, str) else op
            if key in self._manual_reduce_op_map:
                gathered = hvd.allgather(tensor.unsqueeze(0))
                if key == "MIN":
                    return torch.min(gathered, dim=0).values
                if key == "MAX":
                    return torch.max(gathered, dim=0).values
                return torch.prod(gathered, dim=0)
            if key not in self._reduce_op_map:
                raise ValueError(f"Unsupported reduction operation: '{op}'")
            return hvd.allreduce(tensor, op=getattr(hvd, self._reduce_op_map[key]))

        def _check_group(self, group: Any) -> Any:
            hvd = _hvd()
            if isinstance(group, list) and all(isinstance(item, int) for item in group):
                return self._group_from_ranks(group)
            if isinstance(group, hvd.ProcessSet):
                return group
            raise ValueError(
                f"Argument group should be list of int or hvd.ProcessSet, got {type(group)}, group={group}"
            )

        def _do_all_gather(self, tensor: torch.Tensor, group: Any | None = None) -> torch.Tensor:
            hvd = _hvd()
            if group is not None:
                group = self._check_group(group)
                if self._rank_not_in_group(group):
                    return tensor
            if tensor.ndimension() == 0:
                tensor = tensor.unsqueeze(0)
            if group is not None:
                return hvd.allgather(tensor, process_set=group)
            return hvd.allgather(tensor)

        def _do_all_gather_object(self, tensor: Any, group: Any | None = None) -> list[Any]:
            if group is not None:
                raise NotImplementedError("all_gather with group for horovod is not implemented")
            return _hvd().allgather_object(tensor)

        def _do_new_group(self, ranks: list[int], **kwargs: Any) -> Any:
            return _hvd().add_process_set(ranks)

        def _do_broadcast(self, tensor: torch.Tensor, src: int) -> torch.Tensor:
            return _hvd().broadcast(tensor, root_rank=src)

        def barrier(self) -> None:
            # https://github.com/horovod/horovod/issues/159#issuecomment-424834603
            _hvd().allreduce(torch.tensor(0, device="cpu"), name="barrier")

        def _rank_not_in_group(self, group: Any) -> bool:
            if group is None:
                return False
            return not group.included()

    __all__ += ["_HorovodDistModel", "HOROVOD"]
