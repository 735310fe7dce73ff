"""Find a rank whose process died without a Python exception, from a peer on the same host (Linux).

Under a launcher that is not ours (``torchrun``), nobody publishes the death of a killed rank: its agent reaps it
and stops the node. So each rank records its process in the store (host, pid, start time, node, local rank);
a rank whose collective broke because a connection closed looks, among the ranks of its own host, for a process
that is gone or a zombie, and publishes that death on its behalf (``_guard.publish_death``). A rank that ends
normally or is stopped by a published failure clears its record first, so only a death is found.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ignite.distributed.comp_models._deaths import death_message
from ignite.distributed.comp_models._guard import _format_payload

_PROC_KEY = "ignite_idist/proc"


def _proc_key(rank: int) -> str:
    return f"{_PROC_KEY}/{rank}"


def _host_id() -> str | None:
    """This machine's boot and pid namespace: processes with the same id see each other's pids."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        return f"{boot}:{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return None


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3, the state, first)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _start_time(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[19] if fields and len(fields) > 19 else None


def process_record(rank: int, node_rank: int | None, local_rank: int | None) -> str | None:
    """What a rank records about its own process (``None`` where processes cannot be inspected)."""
    host, pid = _host_id(), os.getpid()
    start = _start_time(pid)
    if host is None or start is None:
        return None
    return json.dumps({"host": host, "pid": pid, "start": start, "node": node_rank, "local": local_rank})


def register(store: Any, rank: int, node_rank: int | None, local_rank: int | None) -> bool:
    record = process_record(rank, node_rank, local_rank)
    if record is None:
        return False
    store.set(_proc_key(rank), record)
    return True


def unregister(store: Any, rank: int) -> None:
    """This rank ends normally, or because of a published failure: not a death to report."""
    store.set(_proc_key(rank), "")


def _ended(pid: int, start: str) -> tuple[bool, int | None]:
    """``(ended, exit code as Popen gives it or None once reaped)`` for the process recorded as ``pid``/``start``."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) <= 19 or fields[19] != start:
        return True, None  # reaped (the pid may even be another process by now)
    if fields[0] not in ("Z", "X"):
        return False, None
    if len(fields) > 49:
        status = int(fields[49])
        return True, -(status & 0x7F) if status & 0x7F else (status >> 8) & 0xFF
    return True, None


class PeerWatch:
    """The records of the other ranks of this host, read once; ``find_dead`` looks at their processes."""

    def __init__(self, store: Any, world_size: int, rank: int) -> None:
        self.store = store
        self.peers: dict[int, dict] = {}
        host = _host_id()
        if host is None:
            return
        for r in range(world_size):
            if r == rank:
                continue
            try:
                record = store.get(_proc_key(r)).decode("utf-8") if store.check([_proc_key(r)]) else ""
                data = json.loads(record) if record else None
            except Exception:
                continue
            if data and data.get("host") == host:
                self.peers[r] = data

    def find_dead(self) -> tuple[int, str] | None:
        """The rank and failure payload of a peer of this host that died without clearing its record, if any.

        A process that was killed by a signal is preferred to one that ended otherwise (e.g. SIGTERMed by its
        agent after the first death).
        """
        found: list[tuple[int, int, int | None, dict]] = []
        for r, data in self.peers.items():
            ended, exitcode = _ended(int(data["pid"]), str(data["start"]))
            if not ended:
                continue
            try:
                if not self.store.get(_proc_key(r)):
                    continue  # cleared: it ended normally or was stopped by a published failure
            except Exception:
                return None
            priority = 0 if exitcode is not None and exitcode < 0 and exitcode != -15 else 1
            found.append((priority, r, exitcode, data))
        if not found:
            return None
        _, r, exitcode, data = min(found, key=lambda item: (item[0], item[1]))
        message = death_message(r, data.get("node"), data.get("local"), int(data["pid"]), exitcode)
        return r, _format_payload(r, message, data.get("node"), data.get("local"))
