"""The spawning launcher's side of failure propagation: report a process that died without a Python exception.

A rank killed by a signal (SIGKILL, a segfault) or ended by ``os._exit`` publishes nothing: its peers only see
their connections to it close ("Connection closed by peer"), on every node. Its launcher, the parent process,
sees the exit status. Before it tears the other local processes down, it publishes the death in the process
group's store in the format of the failure guard (``_guard``), naming the global rank, node, local rank and
how the process ended, so that every rank of every node stops naming the dead rank. Peers whose collective
broke on the lost connection wait briefly for that report (``FailureGuard.peer_loss_wait_s``).
"""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from multiprocessing.connection import wait
from typing import Any

from ignite.distributed.comp_models._guard import (
    ABORT_EXIT_CODE,
    _format_payload,
    _where,
    _write_first_error,
    publish_death,
)

_GROUP_NAME_FILE = "group_name.txt"
# how long the launcher tries to reach the store, and lets the other local processes stop by themselves
_CONNECT_TIMEOUT_S = 5.0
_GRACE_S = 5.0


def describe_exit(exitcode: int | None) -> str:
    """``"was killed by signal SIGKILL"``, ``"exited with code 13"``, or ``"ended"`` where the status is unknown."""
    if exitcode is None:
        return "ended (exit status unknown)"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed by signal {name}"
    return f"exited with code {exitcode}"


def death_message(
    rank: int, node_rank: int | None, local_rank: int | None, pid: int | None, exitcode: int | None
) -> str:
    """The text every rank shows, in place of a traceback, for a process that died without one."""
    process = f"process {pid}" if pid is not None else "its process"
    return (
        f"rank {rank}{_where(node_rank, local_rank)}: {process} {describe_exit(exitcode)}, without a Python exception\n"
    )


def record_group_name(error_dir: str | None) -> None:
    """Called in each spawned rank once the process group exists: tells its launcher where the guard's keys are."""
    if not error_dir:
        return
    try:
        import torch.distributed as dist

        world = dist.group.WORLD
        if world is None:
            return
        name = world.group_name
        path = os.path.join(error_dir, _GROUP_NAME_FILE)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(name)
        os.replace(tmp, path)
    except Exception:
        pass


def _open_guard_store(error_dir: str, master_addr: str, master_port: int) -> Any | None:
    """A client of the run's store (``env://``: served by rank 0), prefixed as the ranks' default store is."""
    try:
        with open(os.path.join(error_dir, _GROUP_NAME_FILE), encoding="utf-8") as f:
            group_name = f.read()
    except OSError:
        return None  # no rank got as far as the process group: there is nobody to tell
    import torch.distributed as dist

    try:
        tcp = dist.TCPStore(
            master_addr, master_port, is_master=False, timeout=timedelta(seconds=_CONNECT_TIMEOUT_S),
            wait_for_workers=False,
        )  # fmt: skip
    except Exception:
        return None
    return dist.PrefixStore(f"{group_name}/", dist.PrefixStore("default_pg", tcp))


class DeathReporter:
    """Joins the processes of one node, publishing a death before torch's ``join`` terminates the others.

    ``master_addr``/``master_port`` are those of an ``env://`` rendezvous (``None`` otherwise: the death is then
    only named by this launcher).
    """

    def __init__(
        self,
        ctx: Any,
        node_rank: int,
        nproc_per_node: int,
        world_size: int,
        error_dir: str,
        master_addr: str | None,
        master_port: int | None,
    ) -> None:
        self.ctx = ctx
        self.node_rank = node_rank
        self.nproc_per_node = nproc_per_node
        self.world_size = world_size
        self.error_dir = error_dir
        self.master_addr = master_addr
        self.master_port = master_port
        self.reported = False

    def join(self) -> None:
        """Wait for every process; raise torch's ``ProcessException`` for the first that failed."""
        ctx = self.ctx
        grace: float | None = None
        while ctx.sentinels:
            for sentinel in wait(list(ctx.sentinels)):
                index = ctx.sentinels[sentinel]
                process = ctx.processes[index]
                process.join()
                if self._died(index, process.exitcode):
                    self._report(index, process.pid, process.exitcode)
                    grace = _GRACE_S  # the other local processes now stop by themselves, having read the report
            if ctx.join(timeout=0, grace_period=grace):
                return

    def _died(self, index: int, exitcode: int | None) -> bool:
        if exitcode is None or exitcode in (0, ABORT_EXIT_CODE):
            return False
        # a process that raised wrote its traceback for torch (and published its error itself)
        return not os.access(self.ctx.error_files[index], os.R_OK)

    def _report(self, index: int, pid: int | None, exitcode: int) -> None:
        if self.reported:
            return
        self.reported = True
        rank = self.node_rank * self.nproc_per_node + index
        payload = _format_payload(
            rank, death_message(rank, self.node_rank, index, pid, exitcode), self.node_rank, index
        )
        first = True
        # rank 0's process hosts the store: when it is the one that died, the store died with it
        if rank != 0 and self.master_addr is not None and self.master_port is not None:
            store = _open_guard_store(self.error_dir, self.master_addr, self.master_port)
            if store is not None:
                try:
                    first = publish_death(store, self.world_size, rank, payload)
                except Exception:
                    pass
        if first:
            _write_first_error(self.error_dir, payload)
