"""``Parallel``: one context manager to spawn processes or attach to a launcher (torchrun, srun, ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ignite.distributed import utils as idist

__all__ = ["Parallel"]


def _tcp_init_error(init_method: str) -> ValueError:
    return ValueError(
        f"TCP initialization via init_method='{init_method}' will hang. To fix this, please configure "
        "MASTER_ADDR and MASTER_PORT in the environment and use 'env://' (or omit init_method)."
    )


class Parallel:
    """Run a function on a distributed configuration, spawning the processes or attaching to a launcher.

    * ``backend`` and ``nproc_per_node`` given: ``run`` spawns ``nproc_per_node`` processes on this node
      (with ``nnodes``/``node_rank``/``master_addr``/``master_port`` for several nodes);
    * ``backend`` only: the processes were started by a launcher (``torchrun``, ``srun``, ``horovodrun``,
      or plain ``python`` for one process); the context manager initializes the process group from its
      environment and finalizes it on exit;
    * no backend: serial run.

    If a process raises, every process of the run is stopped and the error names the failing rank with its
    traceback (:class:`~ignite.distributed.RankFailedError` in spawn mode).

    Args:
        backend: "nccl", "gloo", "mpi", "xla-tpu", "horovod" or None.
        nproc_per_node: number of processes to spawn on this node.
        nnodes: number of nodes.
        node_rank: rank of this node, in ``[0, nnodes - 1]``.
        master_addr: address of the node of rank 0.
        master_port: a free port on the node of rank 0.
        init_method: process-group initialization URL (e.g. ``"file:///path"``); ``tcp://`` is refused,
            set ``master_addr``/``master_port`` instead.
        spawn_kwargs: passed to ``idist.spawn`` (e.g. ``start_method``, ``timeout``).

    ```python
    def training(local_rank, config):
        ...

    with idist.Parallel(backend="gloo", nproc_per_node=2) as parallel:
        parallel.run(training, {"lr": 0.1})

    # torchrun --nproc_per_node=4 main.py
    with idist.Parallel(backend="nccl") as parallel:
        parallel.run(training, {"lr": 0.1})
    ```
    """

    def __init__(
        self,
        backend: str | None = None,
        nproc_per_node: int | None = None,
        nnodes: int | None = None,
        node_rank: int | None = None,
        master_addr: str | None = None,
        master_port: int | None = None,
        init_method: str | None = None,
        **spawn_kwargs: Any,
    ) -> None:
        if backend is not None:
            if backend not in idist.available_backends():
                raise ValueError(f"Unknown backend '{backend}'. Available backends: {idist.available_backends()}")
        else:
            arg_names = ["nproc_per_node", "nnodes", "node_rank", "master_addr", "master_port"]
            arg_values = [nproc_per_node, nnodes, node_rank, master_addr, master_port]
            for name, value in zip(arg_names, arg_values):
                if value is not None:
                    raise ValueError(f"If backend is None, argument '{name}' should be also None, but given {value}")

        if init_method is not None and init_method.startswith("tcp://"):
            raise _tcp_init_error(init_method)

        self.backend = backend
        self.init_method = init_method
        self._spawn_params: dict[str, Any] | None = None
        self._init_kwargs: dict[str, Any] = {}
        self._logger: Any = None
        self._failed_guard: Any = None  # the failure guard of a run that raised (see __exit__)

        if self.backend is not None and nproc_per_node is not None:
            self._spawn_params = self._setup_spawn_params(
                nproc_per_node, nnodes, node_rank, master_addr, master_port, init_method, **spawn_kwargs
            )
        elif "timeout" in spawn_kwargs:
            self._init_kwargs["timeout"] = spawn_kwargs["timeout"]

    @staticmethod
    def _setup_spawn_params(
        nproc_per_node: int,
        nnodes: int | None = None,
        node_rank: int | None = None,
        master_addr: str | None = None,
        master_port: int | None = None,
        init_method: str | None = None,
        **spawn_kwargs: Any,
    ) -> dict:
        if nproc_per_node < 1:
            raise ValueError(f"Argument nproc_per_node should positive, but given {nproc_per_node}")
        if nnodes is None:
            nnodes = 1
        if nnodes < 1:
            raise ValueError(f"Argument nnodes should positive, but given {nnodes}")
        if node_rank is None:
            if nnodes > 1:
                raise ValueError("If number of nodes larger than one, arguments node_rank should be given")
            node_rank = 0
        if node_rank >= nnodes or node_rank < 0:
            raise ValueError(f"Argument node_rank should be between 0 and {nnodes - 1}, but given {node_rank}")
        if nnodes > 1 and (master_addr is None or master_port is None) and init_method is None:
            raise ValueError(
                "If number of nodes larger than one, arguments master_addr and master_port or init_method "
                f"should be specified, but given master_addr={master_addr}, master_port={master_port} and "
                f"init_method={init_method}."
            )
        params = {
            "nproc_per_node": nproc_per_node,
            "nnodes": nnodes,
            "node_rank": node_rank,
            "master_addr": master_addr,
            "master_port": master_port,
            "init_method": init_method,
        }
        params.update(spawn_kwargs)
        return {k: v for k, v in params.items() if v is not None}

    def run(self, func: Callable, *args: Any, **kwargs: Any) -> None:
        """Run ``func(local_rank, *args, **kwargs)`` on every process of the configuration.

        In spawn mode ``func`` must be picklable (defined at module level).
        """
        if self._logger is None:
            raise RuntimeError("Parallel.run should be called inside a 'with Parallel(...)' block")
        if self._spawn_params is not None and self.backend is not None:
            self._logger.info(f"Spawn function '{func}' in {self._spawn_params['nproc_per_node']} processes")
            idist.spawn(self.backend, func, args=args, kwargs_dict=kwargs, **self._spawn_params)
        else:
            self._logger.info(f"- Run '{func}' in {idist.get_world_size()} processes")
            local_rank = idist.get_local_rank()
            guard = None
            if idist.model_name() == "native-dist" and idist.get_world_size() > 1:
                from ignite.distributed.comp_models._guard import ATTACHED_PEER_LOSS_WAIT_S, FailureGuard

                # a rank stopped by another's failure exits with 1, as a failed rank does, under any launcher;
                # a rank killed without a Python exception is reported by a peer of its host (torchrun does not)
                guard = FailureGuard(
                    idist.get_rank(), idist.get_world_size(), exit_code=1, node_rank=idist.get_node_rank(),
                    local_rank=local_rank, peer_loss_wait_s=ATTACHED_PEER_LOSS_WAIT_S, watch_peers=True,
                ).start()  # fmt: skip
            try:
                func(local_rank, *args, **kwargs)
            except BaseException as e:
                if guard is not None:
                    guard.publish(e)
                    self._failed_guard = guard  # __exit__ leaves the store once the group is destroyed
                raise
            finally:
                if guard is not None:
                    guard.stop()

        self._logger.info("End of run")

    def __enter__(self) -> Parallel:
        from ignite.utils import setup_logger

        if self.backend is not None and self._spawn_params is None:
            idist.initialize(self.backend, init_method=self.init_method, **self._init_kwargs)

        # the logger is created after initialization so that only rank 0 logs
        self._logger = setup_logger(__name__ + "." + self.__class__.__name__)

        if self.backend is not None:
            if self._spawn_params is None:
                self._logger.info(f"Initialized processing group with backend: '{self.backend}'")
            else:
                self._logger.info(f"Initialized distributed launcher with backend: '{self.backend}'")
                msg = "\n\t".join([f"{k}: {v}" for k, v in self._spawn_params.items() if v is not None])
                self._logger.info(f"- Parameters to spawn processes: \n\t{msg}")
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        if self.backend is not None and self._spawn_params is None:
            self._logger.info(f"Finalized processing group with backend: '{self.backend}'")
            idist.finalize()
        guard, self._failed_guard = self._failed_guard, None
        if guard is not None:
            guard.leave()
