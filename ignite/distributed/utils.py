"""The functional ``idist`` API: one set of calls for serial, torch.distributed, Horovod and XLA runs."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, cast, overload

import torch

from ignite.distributed.comp_models import (
    _SerialModel,
    has_hvd_support,
    has_native_dist_support,
    has_xla_support,
    registered_computation_models,
)
from ignite.distributed.comp_models.base import ComputationModel

__all__ = [
    "backend",
    "broadcast",
    "device",
    "available_backends",
    "model_name",
    "get_world_size",
    "get_rank",
    "get_local_rank",
    "get_nproc_per_node",
    "get_node_rank",
    "get_nnodes",
    "spawn",
    "initialize",
    "finalize",
    "show_config",
    "set_local_rank",
    "all_reduce",
    "all_gather",
    "barrier",
    "hostname",
    "has_xla_support",
    "has_native_dist_support",
    "has_hvd_support",
    "sync",
    "registered_computation_models",
    "one_rank_only",
    "new_group",
    "one_rank_first",
    "all_gather_tensors_with_shapes",
]

_model: ComputationModel = _SerialModel()
_need_to_sync = True

# every backend name a computation model can provide, available here or not
_KNOWN_BACKENDS = ("nccl", "gloo", "mpi", "xla-tpu", "horovod")


def _sync_if_needed() -> ComputationModel:
    # While serial, probe for a context created outside idist (dist.init_process_group, hvd.init, ...).
    if _need_to_sync and isinstance(_model, _SerialModel):
        sync(temporary=True)
    return _model


def sync(temporary: bool = False) -> None:
    """Detect an existing distributed context (native, XLA, Horovod, in this order) and use it.

    Args:
        temporary: if True, the next idist call probes again while the found model is serial.
    """
    global _model

    for comp_model_cls in registered_computation_models:
        if comp_model_cls is _SerialModel:
            continue
        model = comp_model_cls.create_from_context()
        if model is not None:
            _set_model(model, temporary=temporary)
            return

    if not isinstance(_model, _SerialModel):
        _model = _SerialModel()


def device() -> torch.device:
    """Device of the current process: ``cuda:<local rank>`` under native/Horovod, the XLA device, or
    cuda/mps/cpu when serial."""
    return _sync_if_needed().device()


def backend() -> str | None:
    """Backend in use: None (serial), "nccl", "gloo", "mpi", "xla-tpu" or "horovod"."""
    return _sync_if_needed().backend()


def available_backends() -> tuple[str, ...]:
    """Backends that can be used in this environment."""
    out: tuple[str, ...] = ()
    for m in registered_computation_models:
        out += m.available_backends
    return out


def model_name() -> str:
    """Name of the current computation model: "serial", "native-dist", "xla-dist" or "horovod-dist"."""
    return _sync_if_needed().name


def get_world_size() -> int:
    """Number of processes taking part in the run (1 when serial)."""
    return _sync_if_needed().get_world_size()


def get_rank() -> int:
    """Global rank of the current process (0 when serial)."""
    return _sync_if_needed().get_rank()


def get_local_rank() -> int:
    """Rank of the current process on its node."""
    return _sync_if_needed().get_local_rank()


def get_nproc_per_node() -> int:
    """Number of processes per node."""
    return _sync_if_needed().get_nproc_per_node()


def get_nnodes() -> int:
    """Number of nodes."""
    return _sync_if_needed().get_nnodes()


def get_node_rank() -> int:
    """Rank of the node of the current process."""
    return _sync_if_needed().get_node_rank()


def hostname() -> str:
    """Host name of the current process."""
    return socket.gethostname()


def spawn(
    backend: str,
    fn: Callable,
    args: tuple,
    kwargs_dict: Mapping | None = None,
    nproc_per_node: int = 1,
    **kwargs: Any,
) -> Any:
    """Start ``nproc_per_node`` processes of a distributed run on this node and call
    ``fn(local_rank, *args, **kwargs_dict)`` in each.

    ``fn`` must be picklable (defined at module level). Native backends accept ``nnodes``, ``node_rank``,
    ``master_addr``, ``master_port``, ``init_method``, ``timeout``, ``start_method``, ``join``, ``daemon``;
    XLA ``nnodes``, ``node_rank`` and ``xmp.spawn``'s options; Horovod ``hosts`` and its launcher's options.

    If one process raises, every process of the run is stopped and
    :class:`~ignite.distributed.comp_models._guard.RankFailedError` names the failing rank with its traceback.

    ```python
    def training(local_rank, config):
        print(idist.get_rank(), idist.get_world_size())

    idist.spawn("gloo", training, args=(config,), nproc_per_node=2)
    ```
    """
    _assert_backend(backend)
    if kwargs_dict is None:
        kwargs_dict = {}
    for comp_model_cls in registered_computation_models:
        if backend not in comp_model_cls.available_backends:
            continue
        return comp_model_cls.spawn(
            fn, args=args, kwargs_dict=kwargs_dict, nproc_per_node=nproc_per_node, backend=backend, **kwargs
        )
    return None


@overload
def all_reduce(tensor: torch.Tensor, op: str = ..., group: Any | list[int] | None = ...) -> torch.Tensor: ...
@overload
def all_reduce(tensor: float, op: str = ..., group: Any | list[int] | None = ...) -> float: ...
def all_reduce(
    tensor: torch.Tensor | float, op: str = "SUM", group: Any | list[int] | None = None
) -> torch.Tensor | float:
    """Reduce ``tensor`` over all processes (or ``group``) with ``op`` (SUM, PRODUCT, MIN, MAX, AND, OR;
    Horovod also AVERAGE and ADASUM). A Python number gives back a Python number.

    Tensors are reduced in place on the native backend; the result is returned in every case.
    """
    model = _sync_if_needed()
    if isinstance(group, list) and all(isinstance(item, int) for item in group):
        group = model._group_from_ranks(group)
    return model.all_reduce(tensor, op, group=group)


@overload
def all_gather(tensor: torch.Tensor, group: Any | list[int] | None = ...) -> torch.Tensor: ...
@overload
def all_gather(tensor: str, group: Any | list[int] | None = ...) -> list[str]: ...
@overload
def all_gather(tensor: float, group: Any | list[int] | None = ...) -> list[float]: ...
@overload
def all_gather(tensor: Any, group: Any | list[int] | None = ...) -> list[Any]: ...
def all_gather(
    tensor: torch.Tensor | float | str | Any, group: Any | list[int] | None = None
) -> torch.Tensor | float | list[float] | list[str] | list[Any]:
    """Gather ``tensor`` from all processes (or ``group``).

    Tensors are concatenated along the first dimension (a 0-d tensor gives shape ``(world_size,)``);
    numbers and strings give a list with one item per rank; any other picklable object gives a list of
    objects (native and Horovod).
    """
    model = _sync_if_needed()
    if isinstance(group, list) and all(isinstance(item, int) for item in group):
        group = model._group_from_ranks(group)
    return model.all_gather(tensor, group=group)


def all_gather_tensors_with_shapes(
    tensor: torch.Tensor, shapes: Sequence[Sequence[int]], group: Any | list[int] | None = None
) -> list[torch.Tensor]:
    """Gather tensors of the same number of dimensions but different shapes.

    ``shapes[i]`` is the shape of the tensor of the i-th process of the group (group rank order); the
    result lists those tensors in the same order. A process outside ``group`` gets ``[tensor]``.

    ```python
    rank = idist.get_rank()
    ws = idist.get_world_size()
    x = torch.full((rank + 1, 2), rank)
    xs = idist.all_gather_tensors_with_shapes(x, [(r + 1, 2) for r in range(ws)])
    ```
    """
    model = _sync_if_needed()
    if isinstance(group, list) and all(isinstance(item, int) for item in group):
        group = model._group_from_ranks(group)
    if isinstance(model, _SerialModel) or (group is not None and model._rank_not_in_group(group)):
        return [tensor]

    if tensor.ndim == 0:
        return list(cast(torch.Tensor, model.all_gather(tensor, group=group)).unbind(0))

    max_shape = [max(dims) for dims in zip(*shapes)]
    padding = [m - s for m, s in zip(max_shape, tensor.shape)]
    if any(padding):
        pad = tuple(itertools.chain.from_iterable((0, p) for p in reversed(padding)))
        tensor = torch.nn.functional.pad(tensor, pad)
    gathered = cast(torch.Tensor, model.all_gather(tensor.contiguous(), group=group))
    out = []
    for i, shape in enumerate(shapes):
        start = i * max_shape[0]
        index = (slice(start, start + shape[0]), *(slice(0, d) for d in shape[1:]))
        out.append(gathered[index])
    return out


@overload
def broadcast(tensor: torch.Tensor, src: int = ..., safe_mode: bool = ...) -> torch.Tensor: ...
@overload
def broadcast(tensor: str, src: int = ..., safe_mode: bool = ...) -> str: ...
@overload
def broadcast(tensor: Path, src: int = ..., safe_mode: bool = ...) -> Path: ...
@overload
def broadcast(tensor: float, src: int = ..., safe_mode: bool = ...) -> float: ...
@overload
def broadcast(tensor: None, src: int = ..., safe_mode: bool = ...) -> Any: ...
def broadcast(
    tensor: torch.Tensor | float | str | Path | None, src: int = 0, safe_mode: bool = False
) -> torch.Tensor | float | str | Path:
    """Send ``tensor`` (a tensor, number, string or path) from rank ``src`` to every process.

    With ``safe_mode=True`` the other ranks may pass anything (e.g. None): a placeholder with the source's
    type, shape and dtype is created for them.

    ```python
    cfg = idist.broadcast(cfg_path if idist.get_rank() == 0 else None, safe_mode=True)
    ```
    """
    return _sync_if_needed().broadcast(tensor, src=src, safe_mode=safe_mode)


def barrier() -> None:
    """Wait until every process reaches this point."""
    _sync_if_needed().barrier()


def new_group(ranks: list[int], **kwargs: Any) -> Any:
    """Create a group of processes (every process must call it): a ``ProcessGroup`` (native), a
    ``ProcessSet`` (Horovod), ``[ranks]`` (XLA) or ``ranks`` (serial)."""
    return _sync_if_needed().new_group(ranks, **kwargs)


def set_local_rank(index: int) -> None:
    """Give the local rank of this process, for native contexts created without ``LOCAL_RANK`` in the
    environment (call it before the first idist call)."""
    ComputationModel._ext_local_rank = index


def _set_model(model: Any, temporary: bool = False) -> None:
    global _model, _need_to_sync
    _model = model
    _need_to_sync = True
    if not isinstance(_model, _SerialModel) and not temporary:
        _need_to_sync = False


def _assert_backend(backend: str) -> None:
    backends = available_backends()
    if backend not in backends:
        raise ValueError(f"Backend should be one of '{backends}'")


def initialize(backend: str, **kwargs: Any) -> None:
    """Create the process group of ``backend`` from the environment (torchrun's or SLURM's variables, or
    single-process defaults) and make it the current computation model.

    Native kwargs: ``timeout``, ``init_method``, ``rank``, ``world_size``; Horovod: ``comm``.
    """
    if not (has_xla_support or has_native_dist_support or has_hvd_support):
        if backend not in _KNOWN_BACKENDS:
            raise ValueError(f"Backend should be one of '{_KNOWN_BACKENDS}'")
        # nothing to initialize with
        return

    _assert_backend(backend)
    for comp_model_cls in registered_computation_models:
        if backend not in comp_model_cls.available_backends:
            continue
        _set_model(comp_model_cls.create_from_backend(backend, **kwargs))
        return


def finalize() -> None:
    """Destroy the process group of the current model and go back to the serial model."""
    _model.finalize()
    _set_model(_SerialModel())


def show_config() -> None:
    """Log the current distributed configuration (model, backend, device, ranks)."""
    from ignite.utils import setup_logger

    logger = setup_logger(__name__)
    logger.info(f"distributed configuration: {model_name()}")
    logger.info(f"backend: {backend()}")
    logger.info(f"device: {device().type}")
    logger.info(f"hostname: {hostname()}")
    logger.info(f"world size: {get_world_size()}")
    logger.info(f"rank: {get_rank()}")
    logger.info(f"local rank: {get_local_rank()}")
    logger.info(f"num processes per_node: {get_nproc_per_node()}")
    logger.info(f"num nodes: {get_nnodes()}")
    logger.info(f"node rank: {get_node_rank()}")


def one_rank_only(rank: int = 0, with_barrier: bool = False) -> Callable:
    """Decorator: run the function only on process ``rank`` (None elsewhere), optionally followed by a
    barrier on every process.

    ```python
    @idist.one_rank_only()
    def log_on_rank0(msg):
        print(msg)
    ```
    """

    def _one_rank_only(func: Callable) -> Callable:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ret = None
            if get_rank() == rank:
                ret = func(*args, **kwargs)
            if with_barrier:
                barrier()
            return ret

        return wrapper

    return _one_rank_only


@contextmanager
def one_rank_first(rank: int = 0, local: bool = False) -> Iterator[None]:
    """Run the body on process ``rank`` first, then on the others (e.g. download a dataset once).

    With ``local=True`` ranks are counted on each node.

    ```python
    with idist.one_rank_first(local=True):
        dataset = MNIST(root, download=True)
    ```
    """
    current_rank = get_local_rank() if local else get_rank()
    size = get_nproc_per_node() if local else get_world_size()
    if rank >= size or rank < 0:
        raise ValueError(f"rank should be between 0 and {size - 1}, but given {rank}")

    if current_rank != rank:
        barrier()
    yield
    if current_rank == rank:
        barrier()


def _rank_not_in_group(group: Any) -> bool:
    model = _sync_if_needed()
    if group is None:
        return False
    if isinstance(group, list) and all(isinstance(item, int) for item in group):
        group = model._group_from_ranks(group)
    return model._rank_not_in_group(group)
