"""Find a rank whose process died without a Python exception, from a peer on the same host (Linux).

Under a launcher that is not ours (``torchrun``), nobody publishes the death of a killed rank: its agent reaps it
and stops the node (SIGTERM to the other workers, within its monitor interval, 0.1 s by default). So each rank
records its process in the store (host, pid, start time, node, local rank), and a peer of its host publishes its
death on its behalf (``_guard.publish_death``), naming itself as the witness:

- ``DeathWatch``: a thread per rank sleeps on the processes of the other ranks of its host (``pidfd``) and wakes
  the moment one ends, ahead of the agent's SIGTERM to the other workers of that node (and where several agents
  share a machine, the watchers of the other nodes are not stopped by it);
- ``PeerWatch``: a rank whose collective broke because a connection closed looks among them for a process that
  is gone or a zombie (where ``pidfd`` is missing, or every watcher was too late).

Each host keeps the list of its ranks in the store, so a rank reads the records of its own host only.

A rank that ends normally or is stopped by a published failure clears its record first, so only a death is found.
"""

from __future__ import annotations

import json
import os
import select
import threading
from collections.abc import Iterable
from typing import Any

from ignite.distributed.comp_models._deaths import death_message
from ignite.distributed.comp_models._guard import _format_payload, publish_death

_PROC_KEY = "ignite_idist/proc"
_HOST_KEY = "ignite_idist/host"
_REGISTERED_KEY = "ignite_idist/registered"


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
    """Record this rank's process (an empty record where it cannot be inspected); whether it could be."""
    return _record(store, rank, process_record(rank, node_rank, local_rank))


def _record(store: Any, rank: int, record: str | None) -> bool:
    store.set(_proc_key(rank), record or "")
    if record:
        store.append(f"{_HOST_KEY}/{json.loads(record)['host']}", f"{rank} ")
    store.add(_REGISTERED_KEY, 1)
    return record is not None


def _host_ranks(store: Any) -> list[int]:
    """The ranks that recorded a process on this host."""
    host = _host_id()
    key = f"{_HOST_KEY}/{host}"
    if host is None or not store.check([key]):
        return []
    return sorted({int(r) for r in store.get(key).decode("ascii").split()})


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


def _read_record(store: Any, rank: int) -> dict | None:
    """The process record of ``rank`` (``None``: not recorded, cleared, or unreadable)."""
    try:
        record = store.get(_proc_key(rank)).decode("utf-8") if store.check([_proc_key(rank)]) else ""
        return json.loads(record) if record else None
    except Exception:
        return None


def _host_peers(store: Any, ranks: Iterable[int], rank: int) -> dict[int, dict]:
    """The records of those of ``ranks`` (but ``rank``) whose processes run on this host."""
    host = _host_id()
    peers: dict[int, dict] = {}
    if host is None:
        return peers
    for r in ranks:
        data = _read_record(store, r) if r != rank else None
        if data and data.get("host") == host:
            peers[r] = data
    return peers


def _death_payload(rank: int, data: dict, exitcode: int | None, witness: int) -> str:
    message = death_message(rank, data.get("node"), data.get("local"), int(data["pid"]), exitcode)
    # the witness makes the payload its own: two witnesses of one death never both win the claim
    message = f"{message.rstrip()} (found by rank {witness}, on its host)\n"
    return _format_payload(rank, message, data.get("node"), data.get("local"))


def _priority(exitcode: int | None) -> int:
    """Which death to name when several are found: a signal other than SIGTERM, then an unknown status
    (reaped), then SIGTERM (the agent SIGTERMs the other workers after the first death)."""
    if exitcode is None:
        return 1
    return 2 if exitcode == -15 else 0


class PeerWatch:
    """The records of the other ranks of this host, read once; ``find_dead`` looks at their processes."""

    def __init__(self, store: Any, world_size: int, rank: int) -> None:
        self.store = store
        self.rank = rank
        self.peers = _host_peers(store, range(world_size), rank)

    def find_dead(self) -> tuple[int, str] | None:
        """The rank and failure payload of a peer of this host that died without clearing its record, if any
        (by ``_priority`` where several did)."""
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
            found.append((_priority(exitcode), r, exitcode, data))
        if not found:
            return None
        _, r, exitcode, data = min(found, key=lambda item: (item[0], item[1]))
        return r, _death_payload(r, data, exitcode, self.rank)


class DeathWatch:
    """A thread that wakes the moment the process of another rank of this host ends, and publishes its death
    unless that rank cleared its record (it ended normally, or was stopped by a published failure).

    It sleeps in ``poll`` on one ``pidfd`` per peer (Linux 5.3+; elsewhere it does nothing), through its own
    connection to the store. Ranks start at slightly different times: it first polls a counter in the store
    (every 20 ms, then less often) until every rank has recorded its process (counted per run: ``Parallel.run``
    may be called again), then reads the records of the ranks of its host. Where rank 0 hosts the store
    (``env://``, not torchrun's agent store), the end of rank 0 ends the watch without touching the store.
    """

    _REGISTER_POLL_S = 0.02

    def __init__(self, store: Any, world_size: int, rank: int) -> None:
        self.world_size = world_size
        self.rank = rank
        try:
            self.store = store.clone()
        except Exception:
            self.store = store
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="ignite-idist-death-watch", daemon=True)
        self.watching: frozenset[int] = frozenset()  # the ranks whose processes it sleeps on, once it does
        self._store_in_rank0 = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True"

    def start(self) -> DeathWatch:
        if hasattr(os, "pidfd_open") and _host_id() is not None:
            self._thread.start()
        else:
            os.close(self._wake_r)
        return self

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass  # the watch ended by itself (a death published), closing its end
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        os.close(self._wake_w)

    def _run(self) -> None:
        fds: dict[int, tuple[int, dict]] = {}
        try:
            peers = self._wait_for_records()
            if peers is None:
                return
            poller = select.poll()
            poller.register(self._wake_r, select.POLLIN)
            for r, data in peers.items():
                try:
                    fd = os.pidfd_open(int(data["pid"]))
                except OSError:
                    continue  # already gone: a death is found by PeerWatch, if the collective breaks
                if _start_time(int(data["pid"])) != str(data["start"]):
                    os.close(fd)  # the pid is another process by now
                    continue
                fds[fd] = (r, data)
                poller.register(fd, select.POLLIN)
            self.watching = frozenset(r for r, _ in fds.values())
            while fds and not self._stop.is_set():
                ready = [fd for fd, _ in poller.poll()]
                if self._wake_r in ready or self._stop.is_set():
                    return
                ended = []
                for fd in ready:
                    ended.append(fds.pop(fd))
                    poller.unregister(fd)
                    os.close(fd)
                if self._store_in_rank0 and any(r == 0 for r, _ in ended):
                    return  # the store may have ended with rank 0's process: do not touch it
                if self._report(ended):
                    return
        except Exception:
            return
        finally:
            for fd in fds:
                os.close(fd)
            os.close(self._wake_r)

    def _wait_for_records(self) -> dict[int, dict] | None:
        # this rank has counted itself already: the run's registrations end at the next multiple of world_size
        count = self.store.add(_REGISTERED_KEY, 0)
        target = -(-count // self.world_size) * self.world_size
        pause = self._REGISTER_POLL_S
        while count < target:
            if self._stop.wait(pause):
                return None
            pause = min(2 * pause, 0.5)
            count = self.store.add(_REGISTERED_KEY, 0)
        return _host_peers(self.store, _host_ranks(self.store), self.rank)

    def _report(self, ended: list[tuple[int, dict]]) -> bool:
        """Publish the death among ``ended`` (peers whose processes ended at once) that comes first by
        ``_priority``, leaving out those that cleared their records; whether a death was published."""
        deaths = []
        for r, data in ended:
            if self._stop.is_set():
                return False
            if self.store.get(_proc_key(r)):
                _, exitcode = _ended(int(data["pid"]), str(data["start"]))
                deaths.append((_priority(exitcode), r, exitcode, data))
        if not deaths:
            return False
        _, r, exitcode, data = min(deaths, key=lambda item: (item[0], item[1]))
        publish_death(self.store, self.world_size, r, _death_payload(r, data, exitcode, self.rank))
        return True
