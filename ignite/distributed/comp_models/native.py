"""Computation model on ``torch.distributed`` (gloo, nccl, mpi)."""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, cast

import torch
import torch.distributed as dist

from ignite.distributed.comp_models._slurm import _check_slurm_env
from ignite.distributed.comp_models._slurm import _expand_hostlist as _expand_hostlist
from ignite.distributed.comp_models._slurm import _setup_ddp_vars_from_slurm_env as _setup_ddp_vars_from_slurm_env
from ignite.distributed.comp_models.base import ComputationModel, _current_cuda_device

has_native_dist_support = dist.is_available()

__all__ = ["has_native_dist_support"]


def _default_master_port(nnodes: int, master_addr: str | None) -> int:
    """``MASTER_PORT`` from the environment, else a free port when every process runs here, else 2222.

    Upstream always used 2222, so two single-node runs on one machine (two jobs, parallel tests) collided.
    """
    if "MASTER_PORT" in os.environ:
        return int(os.environ["MASTER_PORT"])
    if nnodes == 1:
        import socket

        addr = master_addr or os.environ.get("MASTER_ADDR", "127.0.0.1")
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((addr, 0))
                return int(s.getsockname()[1])
        except OSError:
            pass
    return 2222


if has_native_dist_support:
    NCCL = dist.Backend.NCCL
    GLOO = dist.Backend.GLOO
    MPI = dist.Backend.MPI

    _INIT_PG_KWARGS = ("store", "group_name", "pg_options", "device_id")
    _CPU = torch.device("cpu")
    # a build without CUDA never gets it; with CUDA, availability is asked on each call as before
    _HAS_CUDA = torch.backends.cuda.is_built()
    _GLOO_WIDEN = tuple(getattr(torch, n) for n in ("int16", "uint16", "uint32", "uint64") if hasattr(torch, n))

    # one collective into a preallocated output (torch >= 2.10 renamed all_gather_into_tensor)
    _all_gather_single = getattr(dist, "all_gather_single", None) or dist.all_gather_into_tensor

    def _as_timedelta(timeout: Any) -> timedelta | None:
        if timeout is None or isinstance(timeout, timedelta):
            return timeout
        if isinstance(timeout, (int, float)):
            return timedelta(seconds=timeout)
        raise TypeError(f"Argument timeout should be a datetime.timedelta or a number of seconds, got {type(timeout)}")

    class _NativeDistModel(ComputationModel):
        """Private class for PyTorch native distributed computation model.

        Supports the backends nccl, gloo and mpi (those available in the installed torch). The process
        group is created from the environment (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
        ``MASTER_ADDR``, ``MASTER_PORT``, as torchrun sets them), from SLURM's variables, or from an
        explicit ``init_method`` with ``rank`` and ``world_size``.
        """

        name = "native-dist"
        available_backends = tuple(name for name in [NCCL, GLOO, MPI] if getattr(dist, f"is_{name}_available")())

        _reduce_op_map = {
            "SUM": dist.ReduceOp.SUM,
            "PRODUCT": dist.ReduceOp.PRODUCT,
            "MIN": dist.ReduceOp.MIN,
            "MAX": dist.ReduceOp.MAX,
            "AND": dist.ReduceOp.BAND,
            "OR": dist.ReduceOp.BOR,
        }

        @staticmethod
        def create_from_context() -> _NativeDistModel | None:
            if not (dist.is_available() and dist.is_initialized()):
                return None
            return _NativeDistModel()

        @staticmethod
        def create_from_backend(
            backend: str,
            init_method: str | None = None,
            world_size: int | None = None,
            rank: int | None = None,
            **kwargs: Any,
        ) -> _NativeDistModel:
            if backend not in _NativeDistModel.available_backends:
                raise ValueError(f"Backend should be one of '{_NativeDistModel.available_backends}'")
            if dist.is_available() and dist.is_initialized():
                raise RuntimeError("Can not create new distributed process group if default one is already initialized")
            if init_method is None:
                if world_size is not None or rank is not None:
                    if "SLURM_JOB_ID" in os.environ:
                        # the error upstream's idist.initialize gives (it builds the model directly)
                        raise ValueError("Arguments rank and world_size should not be specified with SLURM")
                    raise ValueError("Arguments rank and world_size should be None if no init_method is provided")
            else:
                has_rank = rank is not None
                has_ws = world_size is not None
                if has_rank != has_ws:
                    raise ValueError(f"Both rank and world_size should be provided, but given {rank} and {world_size}")
            return _NativeDistModel(
                backend=backend, init_method=init_method, world_size=world_size, rank=rank, **kwargs
            )

        def __init__(
            self,
            backend: str | None = None,
            timeout: timedelta | float | None = None,
            init_method: str | None = None,
            world_size: int | None = None,
            rank: int | None = None,
            **kwargs: Any,
        ) -> None:
            super().__init__()
            self._env_backup: dict[str, str] | None = None
            self._local_rank: int | None = None
            self._master_port: int | None = None
            self._master_addr: str | None = None
            self._init_method: str | None = None
            self._rank: int | None = None
            self._world_size: int | None = None
            # known by the launcher that created the processes: saves a collective at set-up
            self._nproc_per_node = kwargs.pop("_nproc_per_node", None)
            if backend is not None:
                unknown = sorted(set(kwargs) - set(_INIT_PG_KWARGS))
                if unknown:
                    raise TypeError(
                        f"Unexpected keyword argument(s) {unknown} for the native distributed model; "
                        f"accepted: timeout, init_method, world_size, rank, {', '.join(_INIT_PG_KWARGS)}"
                    )
                self._create_from_backend(
                    backend, timeout=_as_timedelta(timeout), init_method=init_method, world_size=world_size,
                    rank=rank, **kwargs,
                )  # fmt: skip
            else:
                self._init_from_context()

        def _create_from_backend(
            self,
            backend: str,
            timeout: timedelta | None = None,
            init_method: str | None = None,
            world_size: int | None = None,
            rank: int | None = None,
            **kwargs: Any,
        ) -> None:
            if init_method is not None and init_method.startswith("tcp://"):
                raise ValueError(
                    f"TCP initialization via init_method='{init_method}' will hang. To fix this, please configure "
                    "MASTER_ADDR and MASTER_PORT in the environment and use 'env://' (or omit init_method)."
                )
            if backend == NCCL and not torch.cuda.is_available():
                raise RuntimeError("Nccl backend is required but no cuda capable devices")
            self._backend = backend
            self.setup_env_vars(rank, world_size)

            init_pg_kwargs: dict[str, Any] = dict(kwargs)
            if timeout is not None:
                init_pg_kwargs["timeout"] = timeout
            if init_method is None:
                init_method = "env://"
            if "env" not in init_method:
                init_pg_kwargs["world_size"] = int(os.environ["WORLD_SIZE"])
                init_pg_kwargs["rank"] = int(os.environ["RANK"])
            self._init_method = init_method

            try:
                dist.init_process_group(backend, init_method=init_method, **init_pg_kwargs)
            except BaseException:
                self._restore_env()
                raise

            if torch.cuda.is_available() and cast(int, self._local_rank) < torch.cuda.device_count():
                torch.cuda.set_device(cast(int, self._local_rank))

            if backend == NCCL and torch.cuda.is_available():
                dist.barrier(device_ids=[torch.cuda.current_device()])
            else:
                dist.barrier()

            self._setup_attrs()

        def _init_from_context(self) -> None:
            self._backend = dist.get_backend()
            self._identify_local_rank()
            self._setup_attrs()

        def _compute_nproc_per_node(self) -> int:
            local_rank = self.get_local_rank()
            tensor = torch.tensor([local_rank + 1])
            if self._backend in (GLOO, MPI):
                # the default group already handles CPU tensors
                dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
            else:
                # a temporary CPU group keeps a badly configured NCCL out of the way
                gloo_group = dist.new_group(backend=GLOO)
                dist.all_reduce(tensor, op=dist.ReduceOp.MAX, group=gloo_group)
                dist.destroy_process_group(gloo_group)
            return int(tensor.item())

        def _get_all_hostnames(self) -> list[str]:
            import socket

            device = "cpu"
            if torch.cuda.is_available():
                device = f"cuda:{torch.cuda.current_device()}"
            name = socket.gethostname().encode("utf-8")[:256]
            padded = torch.zeros(256, device=device, dtype=torch.long)
            padded[: len(name)] = torch.tensor(list(name), device=device, dtype=torch.long)
            out = [torch.zeros_like(padded) for _ in range(self.get_world_size())]
            dist.all_gather(out, padded)
            return [bytes(t.cpu().tolist()).rstrip(b"\x00").decode("utf-8") for t in out]

        @staticmethod
        def _compute_node_and_local_ranks(rank: int, hostnames: list[str]) -> tuple[int, int]:
            counts = Counter(hostnames)  # insertion order = order of first appearance
            cumsum = [0]
            for c in counts.values():
                cumsum.append(cumsum[-1] + c)
            node_rank = sum(1 for total in cumsum[1:] if total <= rank)
            local_rank = rank - cumsum[node_rank] if node_rank < len(cumsum) else -1
            return int(local_rank), int(node_rank)

        def _compute_local_rank_via_hostname(self) -> int:
            hostnames = self._get_all_hostnames()
            local_rank, self._node = self._compute_node_and_local_ranks(self.get_rank(), hostnames)
            if local_rank < 0 or self._node < 0:
                raise ValueError(
                    "Failed to correctly estimate local rank. "
                    f"Debugging info: local rank: {local_rank}, node rank: {self._node}, hostnames: {hostnames}"
                )
            return local_rank

        def _identify_local_rank(self) -> None:
            # SLURM_LOCALID is read directly: the process environment is left untouched
            if "SLURM_JOB_ID" in os.environ and "SLURM_LOCALID" in os.environ and "LOCAL_RANK" not in os.environ:
                self._local_rank = int(os.environ["SLURM_LOCALID"])
            elif "LOCAL_RANK" in os.environ:
                self._local_rank = int(os.environ["LOCAL_RANK"])
            elif self._ext_local_rank is not None:
                self._local_rank = self._ext_local_rank
            else:
                warnings.warn(
                    "Local rank information for native distributed setting will be initialized using "
                    "a heuristic approach based on the hostnames. In some corner cases, determined value "
                    "can be far from the real setup. Please, specify local rank information by calling "
                    "`idist.set_local_rank(local_rank)` before the first idist call, or set the LOCAL_RANK "
                    "environment variable.",
                    stacklevel=2,
                )
                self._local_rank = self._compute_local_rank_via_hostname()

        def setup_env_vars(self, rank: int | None = None, world_size: int | None = None) -> None:
            self._env_backup = os.environ.copy()

            if "SLURM_JOB_ID" in os.environ:
                if rank is not None or world_size is not None:
                    raise ValueError("Arguments rank and world_size should not be specified with SLURM")
                self._setup_env_in_slurm()
            else:
                env_vars = ["RANK", "LOCAL_RANK", "WORLD_SIZE"]
                all_env_vars_defined = [k in os.environ for k in env_vars]
                if any(all_env_vars_defined) and not all(all_env_vars_defined):
                    raise RuntimeError(f"PyTorch distributed configuration should define env variables '{env_vars}'")
                os.environ["RANK"] = os.environ.get("RANK", f"{rank if rank is not None else 0}")
                os.environ["WORLD_SIZE"] = os.environ.get(
                    "WORLD_SIZE", f"{world_size if world_size is not None else 1}"
                )
                os.environ["LOCAL_RANK"] = os.environ.get("LOCAL_RANK", "0")
                os.environ["MASTER_PORT"] = os.environ.get("MASTER_PORT", "15000")
                os.environ["MASTER_ADDR"] = os.environ.get("MASTER_ADDR", "127.0.0.1")

            self._local_rank = int(os.environ["LOCAL_RANK"])
            self._master_addr = os.environ["MASTER_ADDR"]
            self._master_port = int(os.environ["MASTER_PORT"])

        def _setup_env_in_slurm(self) -> None:
            _check_slurm_env(os.environ)
            ddp_vars = _setup_ddp_vars_from_slurm_env(cast(dict, os.environ))
            for key, value in ddp_vars.items():
                os.environ[key] = str(value)

        def _restore_env(self) -> None:
            if self._env_backup is not None:
                os.environ.clear()
                os.environ.update(self._env_backup)

        # -------------------------------------------------------------- queries

        def get_local_rank(self) -> int:
            return cast(int, self._local_rank)

        def get_rank(self) -> int:
            # rank and size of the default group are fixed for its lifetime: ask torch once
            if self._rank is None:
                self._rank = dist.get_rank()
            return self._rank

        def get_world_size(self) -> int:
            if self._world_size is None:
                self._world_size = dist.get_world_size()
            return self._world_size

        def device(self) -> torch.device:
            if not _HAS_CUDA:  # a CPU build: no CUDA query on this path (hot in metrics and collectives)
                return _CPU
            return _current_cuda_device(self.get_local_rank())

        def backend(self) -> str:
            return dist.get_backend()

        def finalize(self) -> None:
            dist.destroy_process_group()
            self._rank = self._world_size = None
            self._group_cache.clear()
            self._restore_env()

        # -------------------------------------------------------------- collectives

        def _check_group_type(self, group: Any) -> None:
            if group is None or isinstance(group, dist.ProcessGroup) or group == dist.GroupMember.NON_GROUP_MEMBER:
                return
            raise ValueError(f"Argument group should be list of int or ProcessGroup, got {type(group)}, group={group}")

        def _gloo_compatible(self, tensor: torch.Tensor) -> torch.Tensor:
            # gloo has no 16-bit integer (and unsigned wider than 8-bit) types: widen, the caller casts back
            if tensor.dtype in _GLOO_WIDEN and self._backend == GLOO:
                return tensor.to(torch.int64)
            return tensor

        def _do_all_reduce(self, tensor: torch.Tensor, op: str = "SUM", group: Any | None = None) -> torch.Tensor:
            reduce_op = self._reduce_op_map.get(op.upper() if isinstance(op, str) else op)
            if reduce_op is None:
                raise ValueError(f"Unsupported reduction operation: '{op}'")
            if group is not None:
                self._check_group_type(group)
                if group == dist.GroupMember.NON_GROUP_MEMBER:
                    return tensor
            work = self._gloo_compatible(tensor)
            if group is None:
                dist.all_reduce(work, reduce_op)
            else:
                dist.all_reduce(work, reduce_op, group=group)
            if work is not tensor:
                tensor.copy_(work)
            return tensor

        def _do_all_gather(self, tensor: torch.Tensor, group: Any | None = None) -> torch.Tensor:
            if group is None:
                group_size = self.get_world_size()
            else:
                self._check_group_type(group)
                if group == dist.GroupMember.NON_GROUP_MEMBER:
                    return tensor
                group_size = group.size()
            if tensor.ndimension() == 0:
                tensor = tensor.unsqueeze(0)
            if not tensor.is_contiguous():
                tensor = tensor.contiguous()
            output = tensor.new_empty((group_size * tensor.shape[0], *tensor.shape[1:]))
            work = self._gloo_compatible(tensor)
            if work is not tensor:
                output = work.new_empty(output.shape)
                _all_gather_single(output, work, group=group)
                return output.to(tensor.dtype)
            _all_gather_single(output, tensor, group=group)
            return output

        def _do_all_gather_object(self, tensor: Any, group: Any | None = None) -> list[Any]:
            if group is not None:
                self._check_group_type(group)
                if group == dist.GroupMember.NON_GROUP_MEMBER:
                    return tensor
                group_size = group.size()
            else:
                group_size = self.get_world_size()
            output = [None] * group_size
            dist.all_gather_object(output, tensor, group=group)
            return output

        def _do_new_group(self, ranks: list[int], **kwargs: Any) -> Any:
            return dist.new_group(ranks=ranks, **kwargs)

        def _do_broadcast(self, tensor: torch.Tensor, src: int) -> torch.Tensor:
            work = self._gloo_compatible(tensor)
            dist.broadcast(work, src=src)
            if work is not tensor:
                tensor.copy_(work)
            return tensor

        def barrier(self) -> None:
            dist.barrier()

        def _rank_not_in_group(self, group: Any) -> bool:
            return dist.distributed_c10d._rank_not_in_group(group)

        # -------------------------------------------------------------- spawning

        @staticmethod
        def _dist_worker_task_fn(
            local_rank: int,
            backend: str,
            fn: Callable,
            args: tuple,
            kwargs_dict: Mapping,
            world_size: int,
            nprocs_per_node: int,
            node_rank: int,
            master_addr: str | None,
            master_port: int | None,
            init_method: str,
            kw: dict[str, Any],
        ) -> None:
            from ignite.distributed.comp_models._deaths import record_group_name
            from ignite.distributed.comp_models._guard import DEFAULT_PEER_LOSS_WAIT_S, FailureGuard
            from ignite.distributed.utils import _set_model, finalize

            kw = dict(kw)
            error_dir = kw.pop("_error_dir", None)
            death_reports = kw.pop("_death_reports", False)
            linger_s = kw.pop("_linger_s", None)
            copy_env_vars = os.environ.copy()

            rank = node_rank * nprocs_per_node + local_rank
            os.environ["LOCAL_RANK"] = str(local_rank)
            os.environ["RANK"] = str(rank)
            os.environ["WORLD_SIZE"] = str(world_size)
            os.environ["LOCAL_WORLD_SIZE"] = str(nprocs_per_node)

            arg_world_size: int | None = world_size
            arg_rank: int | None = rank
            if init_method == "env://":
                os.environ["MASTER_ADDR"] = str(master_addr)
                os.environ["MASTER_PORT"] = str(master_port)
                arg_world_size = None
                arg_rank = None

            model = _NativeDistModel.create_from_backend(
                backend, init_method=init_method, world_size=arg_world_size, rank=arg_rank,
                _nproc_per_node=nprocs_per_node, **kw,
            )  # fmt: skip
            _set_model(model)
            record_group_name(error_dir)
            # with env://, the launcher of a rank that dies without a Python exception reports it in the store
            wait_s = DEFAULT_PEER_LOSS_WAIT_S if death_reports and init_method == "env://" else 0.0
            guard = FailureGuard(
                rank, world_size, error_dir=error_dir, node_rank=node_rank, local_rank=local_rank,
                peer_loss_wait_s=wait_s,
            )  # fmt: skip
            if linger_s is not None:
                guard.linger_s = linger_s
            guard.start()
            try:
                fn(local_rank, *args, **kwargs_dict)
            except BaseException as e:
                guard.publish(e)
                try:
                    finalize()
                except Exception:
                    pass
                guard.leave()  # rank 0, which hosts the store, waits for the others to be done with it
                raise
            guard.stop()
            finalize()
            os.environ.clear()
            os.environ.update(copy_env_vars)

        @staticmethod
        def _spawn_options(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
            """Split ``spawn``'s keyword arguments into those of ``start_processes`` and those of the workers."""
            import builtins

            start_kwargs = {
                "join": kwargs.pop("join", True),
                "daemon": kwargs.pop("daemon", False),
                "start_method": kwargs.pop("start_method", "fork" if "__IPYTHON__" in builtins.__dict__ else "spawn"),
            }
            linger_s = kwargs.pop("linger_s", None)
            if "timeout" in kwargs:
                kwargs["timeout"] = _as_timedelta(kwargs["timeout"])
            unknown = sorted(set(kwargs) - {"timeout", *_INIT_PG_KWARGS})
            if unknown:
                raise TypeError(
                    f"Unexpected keyword argument(s) {unknown} for native spawn; accepted: nnodes, node_rank, "
                    "master_addr, master_port, init_method, timeout, start_method, join, daemon, linger_s, "
                    f"{', '.join(_INIT_PG_KWARGS)}"
                )
            worker_kw = dict(kwargs)
            if linger_s is not None:
                worker_kw["_linger_s"] = linger_s
            return start_kwargs, worker_kw

        @staticmethod
        def _rendezvous(
            init_method: str | None, master_addr: str | None, master_port: int | None, nnodes: int
        ) -> tuple[str, str | None, int | None]:
            """``(init_method, master_addr, master_port)``: ``env://`` with an address and a port by default."""
            if init_method in (None, "env://"):
                if master_port is None:
                    master_port = _default_master_port(nnodes, master_addr)
                if master_addr is None:
                    master_addr = os.environ.get("MASTER_ADDR", "127.0.0.1")
                return "env://", master_addr, master_port
            if master_addr is not None:
                raise ValueError("master_addr should be None if init_method is provided other then 'env://'")
            if master_port is not None:
                raise ValueError("master_port should be None if init_method is provided other then 'env://'")
            return init_method, None, None

        @staticmethod
        def _join_failure(
            error: Exception, error_dir: str, node_rank: int, nproc_per_node: int
        ) -> tuple[BaseException, bool]:
            """The error ``spawn`` raises when a process of this node ended badly (``error``, from ``join``), and
            whether to chain ``error`` to it (not when it only repeats the traceback the error carries)."""
            import torch.multiprocessing as mp

            from ignite.distributed.comp_models._deaths import death_message
            from ignite.distributed.comp_models._guard import (
                ABORT_EXIT_CODE,
                RankDiedError,
                RankFailedError,
                read_first_error,
            )

            index, pid = getattr(error, "error_index", -1), getattr(error, "error_pid", -1)
            rank = node_rank * nproc_per_node + index
            first = read_first_error(error_dir)
            # a process that died without a Python exception (killed, os._exit) is the cause even if a peer then
            # published the error its death provoked (e.g. "Connection closed by peer")
            exit_code = getattr(error, "exit_code", None)
            if exit_code is not None and exit_code != ABORT_EXIT_CODE:  # died without a Python exception
                # chained to torch's ProcessExitedException, which carries exit_code and signal_name
                signal_name = getattr(error, "signal_name", None)
                if first is not None and first.rank == rank:  # its own death, as its launcher published it
                    where, message = (first.node_rank, first.local_rank), first.traceback
                else:
                    where, message = (node_rank, index), death_message(rank, node_rank, index, pid, exit_code)
                return RankDiedError(rank, message, index, pid, *where, exit_code, signal_name), True
            if first is not None:
                return RankFailedError(
                    first.rank, first.traceback, index, pid, first.node_rank, first.local_rank
                ), False
            if isinstance(error, mp.ProcessRaisedException):
                trace = str(error).split("terminated with the following error:\n", 1)[-1]
                return RankFailedError(rank, trace, index, pid, node_rank, index), False
            if exit_code == ABORT_EXIT_CODE:
                stopped = "(stopped because another rank failed)"
                return RankFailedError(rank, stopped, index, pid, node_rank, index), True
            return RuntimeError(f"Rank {rank} (node {node_rank}, local rank {index}): {error}"), True

        @staticmethod
        def spawn(
            fn: Callable,
            args: tuple,
            kwargs_dict: Mapping | None = None,
            nproc_per_node: int = 1,
            nnodes: int = 1,
            node_rank: int = 0,
            master_addr: str | None = None,
            master_port: int | None = None,
            backend: str = "nccl",
            init_method: str | None = None,
            **kwargs: Any,
        ) -> Any:
            import shutil
            import tempfile

            import torch.multiprocessing as mp
            from torch.multiprocessing.spawn import ProcessException

            start_kwargs, kw = _NativeDistModel._spawn_options(kwargs)
            init_method, master_addr, master_port = _NativeDistModel._rendezvous(
                init_method, master_addr, master_port, nnodes
            )
            join = start_kwargs.pop("join")
            error_dir: str | None = tempfile.mkdtemp(prefix="ignite-idist-")
            kw["_error_dir"] = error_dir
            kw["_death_reports"] = join  # only a joining launcher watches its processes and reports their deaths
            worker_args = (
                backend, fn, args, kwargs_dict or {}, nnodes * nproc_per_node, nproc_per_node, node_rank,
                master_addr, master_port, init_method, kw,
            )  # fmt: skip
            try:
                ctx = mp.start_processes(
                    _NativeDistModel._dist_worker_task_fn, nprocs=nproc_per_node, args=worker_args, join=False,
                    **start_kwargs,
                )  # fmt: skip
                if not join:
                    error_dir = None  # the caller joins; keep the directory for its workers
                    return ctx
                from ignite.distributed.comp_models._deaths import DeathReporter

                reporter = DeathReporter(
                    ctx, node_rank, nproc_per_node, nnodes * nproc_per_node, cast(str, error_dir),
                    master_addr if init_method == "env://" else None, master_port,
                )  # fmt: skip
                try:
                    reporter.join()
                except ProcessException as e:
                    failure, chain = _NativeDistModel._join_failure(e, cast(str, error_dir), node_rank, nproc_per_node)
                    raise failure from (e if chain else None)
            finally:
                if error_dir is not None:
                    shutil.rmtree(error_dir, ignore_errors=True)
            return None

    __all__ += ["_NativeDistModel", "NCCL", "GLOO", "MPI"]
