"""Failure propagation between ranks: an exception on one rank stops every rank promptly.

The failing rank publishes its rank and traceback in the process group's key-value store (the one
``init_process_group`` already created, so no transport of our own). Every other rank runs a small
watcher thread blocked on that store; when the error arrives it records it for its launcher, prints it
and ends its process (its main thread may be blocked inside a collective that would otherwise wait for
the process-group timeout). The launcher (``idist.spawn`` / ``Parallel``) then raises
:class:`RankFailedError` naming the rank that failed and carrying its traceback.

The store lives in rank 0's process (``env://`` and ``tcp://``): if rank 0 left as soon as it had read the
error, the failing rank would lose the store while it still uses it (C++ connection errors, and sometimes an
abort instead of its own exit code). So every rank of a failed run calls :meth:`FailureGuard.leave` once it is
done with the store (the failing ones after ``finalize``), and rank 0 waits, for at most ``linger_s``, until all
the others have left before it exits.

A rank that dies without a Python exception (a signal, ``os._exit``) publishes nothing; its peers only see their
connections to it close. Its death is published for it, in the same format, by its spawning launcher (``_deaths``)
or, under a launcher that is not ours, by a peer of its host (``_peers``); a rank whose collective broke on a
closed connection waits ``peer_loss_wait_s`` for that report before it publishes the broken connection itself.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from typing import Any, NamedTuple

from torch.multiprocessing import ProcessExitedException, ProcessRaisedException

__all__ = ["RankDiedError", "RankFailedError"]

_ERR_KEY = "ignite_idist/error"
_ACK_KEY = "ignite_idist/error_ack"
_DONE_KEY = "ignite_idist/done"
_LEFT_KEY = "ignite_idist/left"
_FIRST_ERROR_FILE = "first_error.txt"

# exit code of a spawned rank stopped because another rank failed (the launcher tells it from a crash by it)
ABORT_EXIT_CODE = 75

DEFAULT_POLL_S = 0.1
DEFAULT_LINGER_S = 3.0
# how long a rank whose collective broke because a peer's connection closed waits for that peer's launcher to
# report the peer's death (its rank and exit status) before it reports the broken connection itself
DEFAULT_PEER_LOSS_WAIT_S = 10.0
# the same under a launcher that is not ours (torchrun): only a peer on the dead rank's host can report it
ATTACHED_PEER_LOSS_WAIT_S = 5.0
# how long a rank waits for its own watcher thread to end once woken (only a hang guard)
_JOIN_S = 30.0

# what gloo (and torch.distributed) say when the other end of a connection went away
_PEER_LOSS_MARKERS = (
    "Connection closed by peer",
    "Connection reset by peer",
    "Broken pipe",
    "remote worker crashing",
)


class RankFailedError(ProcessRaisedException):
    """Raised by the launcher when a rank of a distributed run raised an exception.

    Attributes:
        rank: global rank of the process that failed first.
        remote_traceback: the traceback text of the failure, as formatted in that process.
        node_rank: the node of that process (``None`` where unknown).
        local_rank: its rank on its node (``None`` where unknown).
    """

    def __init__(
        self,
        rank: int,
        remote_traceback: str,
        error_index: int = -1,
        error_pid: int = -1,
        node_rank: int | None = None,
        local_rank: int | None = None,
    ) -> None:
        super().__init__(self._name(rank, remote_traceback, node_rank, local_rank), error_index, error_pid)

    def _name(self, rank: int, remote_traceback: str, node_rank: int | None, local_rank: int | None) -> str:
        """Set the attributes naming the failed rank; return the message."""
        self.rank = rank
        self.remote_traceback = remote_traceback
        self.node_rank = node_rank
        self.local_rank = local_rank
        return f"\n\n-- Rank {rank} failed with the following error{_where(node_rank, local_rank)}:\n{remote_traceback}"

    def __reduce__(self) -> Any:
        args = (self.rank, self.remote_traceback, self.error_index, self.error_pid, self.node_rank, self.local_rank)
        return (type(self), args)


class RankDiedError(RankFailedError, ProcessExitedException):
    """Raised by the launcher when one of its ranks ended without a Python exception (a signal, ``os._exit``).

    A :class:`RankFailedError` naming the rank, and also the ``ProcessExitedException`` torch's launcher raises
    in that case (``exit_code``, ``signal_name``), so code catching either keeps working.
    """

    def __init__(
        self,
        rank: int,
        remote_traceback: str,
        error_index: int = -1,
        error_pid: int = -1,
        node_rank: int | None = None,
        local_rank: int | None = None,
        exit_code: int = 1,
        signal_name: str | None = None,
    ) -> None:
        msg = self._name(rank, remote_traceback, node_rank, local_rank)
        ProcessExitedException.__init__(self, msg, error_index, error_pid, exit_code, signal_name)

    def __reduce__(self) -> Any:
        args = (
            self.rank, self.remote_traceback, self.error_index, self.error_pid, self.node_rank, self.local_rank,
            self.exit_code, self.signal_name,
        )  # fmt: skip
        return (type(self), args)


class Failure(NamedTuple):
    """A failure as published by the failing rank: who failed (global rank, node, local rank) and its traceback."""

    rank: int
    traceback: str
    node_rank: int | None = None
    local_rank: int | None = None

    def describe(self) -> str:
        """``"rank 3 failed (node 1, local rank 1)"``."""
        return f"rank {self.rank} failed{_where(self.node_rank, self.local_rank)}"


def _where(node_rank: int | None, local_rank: int | None) -> str:
    if node_rank is None:
        return ""
    return f" (node {node_rank}, local rank {local_rank})" if local_rank is not None else f" (node {node_rank})"


def _format_payload(rank: int, tb: str, node_rank: int | None = None, local_rank: int | None = None) -> str:
    head = " ".join(str(x) for x in (rank, node_rank, local_rank) if x is not None)
    return f"{head}\n{tb}"


def _parse_payload(payload: str) -> Failure:
    head, _, tb = payload.partition("\n")
    try:
        numbers = [int(x) for x in head.split()]
    except ValueError:
        return Failure(-1, payload)
    if not 1 <= len(numbers) <= 3:
        return Failure(-1, payload)
    node_rank = numbers[1] if len(numbers) > 1 else None
    local_rank = numbers[2] if len(numbers) > 2 else None
    return Failure(numbers[0], tb, node_rank, local_rank)


def _is_peer_loss(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) says that a peer's connection went away."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current)
        if any(marker in text for marker in _PEER_LOSS_MARKERS):
            return True
        current = current.__cause__ or current.__context__
    return False


def _claim(store: Any, payload: str) -> bool:
    """Make ``payload`` the run's first failure, unless one is published already; whether it is.

    One atomic store operation (set if absent): a publisher stopped right after it (a peer that reports a death
    is itself SIGTERMed by its agent moments later) leaves the failure readable, never a claim without it.
    """
    return bytes(store.compare_set(_ERR_KEY, "", payload)) == payload.encode("utf-8")


def _wake_ranks(store: Any, world_size: int, skip: int, payload: str) -> None:
    """Hand ``payload`` to the watcher of every rank but ``skip``."""
    for r in range(world_size):
        if r != skip:
            store.set(_rank_key(r), payload)


def publish_death(store: Any, world_size: int, rank: int, payload: str) -> bool:
    """Publish, for a rank whose process died without publishing anything, the failure ``payload`` (its launcher
    or a peer of its host calls this). Returns whether it is the run's first failure (otherwise the first one
    stands)."""
    first = _claim(store, payload)
    if first:
        _wake_ranks(store, world_size, rank, payload)
        # on behalf of the dead process: it will neither acknowledge the error nor leave the store
        store.add(_ACK_KEY, 1)
        store.add(_LEFT_KEY, 1)
    return first


def _write_elastic_error_file(message: str, callstack: str) -> None:
    """Record the failure where torchrun's agent reads it (``TORCHELASTIC_ERROR_FILE``), once, right away.

    The agent stops the other processes of the node as soon as one exits, and names the earliest failure in its
    report: the failing rank writes its own error before it waits for the others, a rank stopped because of it
    writes the error it was stopped by.
    """
    path = os.environ.get("TORCHELASTIC_ERROR_FILE")
    if not path or os.path.exists(path):
        return
    data = {
        "message": {"message": message, "extraInfo": {"py_callstack": callstack, "timestamp": str(int(time.time()))}}
    }
    try:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)
    except OSError:
        pass


def _write_first_error(error_dir: str | None, payload: str) -> None:
    if not error_dir:
        return
    path = os.path.join(error_dir, _FIRST_ERROR_FILE)
    if os.path.exists(path):
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(payload)
        os.replace(tmp, path)
    except OSError:
        pass


def read_first_error(error_dir: str | None) -> Failure | None:
    if not error_dir:
        return None
    try:
        with open(os.path.join(error_dir, _FIRST_ERROR_FILE), encoding="utf-8") as f:
            return _parse_payload(f.read())
    except OSError:
        return None


def _get_store() -> Any | None:
    try:
        import torch.distributed as dist
        from torch.distributed.distributed_c10d import _get_default_store

        if not (dist.is_available() and dist.is_initialized()):
            return None
        return _get_default_store()
    except Exception:
        return None


def _rank_key(rank: int) -> str:
    return f"{_ERR_KEY}/{rank}"


class FailureGuard:
    """Watches the process group's store for a failure published by another rank (one per process).

    The watcher blocks in ``store.wait`` on a key of its own, through its own connection to the store
    (``store.clone()``): no periodic wake-ups and no contention with the collectives of the main thread.
    Stores that cannot be cloned are polled every ``poll_s`` seconds instead.
    """

    def __init__(
        self,
        rank: int,
        world_size: int,
        error_dir: str | None = None,
        poll_s: float = DEFAULT_POLL_S,
        linger_s: float = DEFAULT_LINGER_S,
        exit_code: int = ABORT_EXIT_CODE,
        node_rank: int | None = None,
        local_rank: int | None = None,
        peer_loss_wait_s: float = 0.0,
        watch_peers: bool = False,
    ) -> None:
        self.rank = rank
        self.peer_loss_wait_s = peer_loss_wait_s
        self.watch_peers = watch_peers
        self._registered = False
        self.node_rank = node_rank
        self.local_rank = local_rank
        self.exit_code = exit_code
        self.world_size = world_size
        self.error_dir = error_dir
        self.poll_s = poll_s
        self.linger_s = linger_s
        self._store = _get_store() if world_size > 1 else None
        self._watch_store: Any | None = None
        if self._store is not None:
            try:
                self._watch_store = self._store.clone()
            except Exception:
                self._watch_store = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._publishing = False
        self._aborting = False
        self._abort_started = threading.Event()
        self._abort_lock = threading.Lock()
        self._left = False
        self._deaths: Any | None = None  # _peers.DeathWatch, under a launcher that does not report deaths

    @property
    def active(self) -> bool:
        return self._store is not None

    def start(self) -> FailureGuard:
        if self._store is not None and self.watch_peers and not self._registered:
            from ignite.distributed.comp_models._peers import register

            try:
                self._registered = register(self._store, self.rank, self.node_rank, self.local_rank)
            except Exception:
                pass
            if self._registered and self._deaths is None:
                from ignite.distributed.comp_models._peers import DeathWatch

                self._deaths = DeathWatch(self._store, self.world_size, self.rank).start()
        if self._store is not None and self._thread is None:
            target = self._wait if self._watch_store is not None else self._poll
            self._thread = threading.Thread(target=target, name="ignite-idist-failure-guard", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Normal end of the run on this rank: stop watching."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._store is None:
            return
        self._stop_death_watch()
        self._unregister()
        # the watcher must have left its store call before this process ends: a daemon thread that wakes inside
        # a torch call while the interpreter finalizes aborts the process ("terminate called without an active
        # exception"); rank 0, which may host the store, keeps it until every rank has done so
        if self._watch_store is not None:
            try:
                self._store.set(_rank_key(self.rank), "")  # wakes our own watcher
            except Exception:
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=_JOIN_S)
        self._thread = None
        try:
            done = self._store.add(_DONE_KEY, 1)
            if self.rank == 0:
                # ``Parallel.run`` may be called again in the same group: this run's count ends at a multiple
                target = -(-done // self.world_size) * self.world_size
                deadline = time.monotonic() + self.linger_s
                while done < target and time.monotonic() < deadline:
                    time.sleep(0.01)
                    done = self._store.add(_DONE_KEY, 0)
        except Exception:
            pass

    def _wait(self) -> None:
        from datetime import timedelta

        store = self._watch_store
        key = _rank_key(self.rank)
        while not self._stop.is_set():
            try:
                store.wait([key], timedelta(hours=1))
                payload = store.get(key).decode("utf-8", errors="replace")
            except Exception:
                # a timeout: wait again; the store went away (rank 0 finished and exited): stop watching
                if store is not None and self._store_alive(store):
                    continue
                return
            if self._stop.is_set() or self._publishing or not payload:
                return
            self._abort(payload)

    @staticmethod
    def _store_alive(store: Any) -> bool:
        try:
            store.check([_ERR_KEY])
            return True
        except Exception:
            return False

    def _poll(self) -> None:
        store = self._store
        while not self._stop.wait(self.poll_s):
            try:
                if not store.check([_ERR_KEY]):
                    continue
                payload = store.get(_ERR_KEY).decode("utf-8", errors="replace")
            except Exception:
                return
            if self._stop.is_set() or self._publishing:
                return
            self._abort(payload)

    def _abort(self, payload: str) -> None:
        if not self._abort_lock.acquire(blocking=False):
            threading.Event().wait()  # another thread of this process is ending it with the failure
        self._aborting = True  # the main thread, if a collective now fails under it, waits for the exit below
        self._abort_started.set()
        self._unregister()
        failure = _parse_payload(payload)
        _write_first_error(self.error_dir, payload)
        _write_elastic_error_file(
            f"RankFailedError: {failure.describe()}", f"Stopped because {failure.describe()}:\n{failure.traceback}"
        )
        try:
            sys.stderr.write(
                f"[ignite.distributed] rank {self.rank}: stopping because {failure.describe()}:\n{failure.traceback}\n"
                f"RankFailedError: {failure.describe()} (see its traceback above)\n"
            )
            sys.stderr.flush()
            sys.stdout.flush()
        except Exception:
            pass
        try:
            self._store.add(_ACK_KEY, 1)
        except Exception:
            pass
        self.leave()
        os._exit(self.exit_code)

    def leave(self) -> None:
        """This rank of a failed run is done with the store; rank 0 (its host) waits for the other ranks."""
        store = self._store
        if store is None or self._left:
            return
        self._left = True
        try:
            left = store.add(_LEFT_KEY, 1)
            if self.rank == 0:
                deadline = time.monotonic() + self.linger_s
                while left < self.world_size and time.monotonic() < deadline:
                    time.sleep(0.01)
                    left = store.add(_LEFT_KEY, 0)
        except Exception:
            pass

    def _wake_own_watcher(self) -> None:
        """End this rank's watcher (blocked on its own connection to the store) before the store may go away."""
        if self._watch_store is None or self._thread is None or self._thread is threading.current_thread():
            return
        try:
            self._store.set(_rank_key(self.rank), "")
        except Exception:
            return
        self._thread.join(timeout=_JOIN_S)

    def _stop_death_watch(self) -> None:
        deaths, self._deaths = self._deaths, None
        if deaths is not None:
            deaths.stop()

    def _unregister(self) -> None:
        """This process ends for a known reason: its peers must not report it as a death."""
        if not self._registered:
            return
        self._registered = False
        from ignite.distributed.comp_models._peers import unregister

        try:
            unregister(self._store, self.rank)
        except Exception:
            pass

    def _await_death_report(self) -> None:
        """A collective broke because a peer's connection closed: if the peer died without a Python exception,
        its launcher (or, under torchrun, a peer of its host) publishes its death (rank, node, exit status) in a
        moment; let every rank name that death rather than this symptom, and end this process with it. Without a
        report in time (the whole node is gone) or without the store, this returns: the rank publishes its own
        error."""
        store = self._store
        if store is None:
            return
        deadline = time.monotonic() + self.peer_loss_wait_s
        peers = None
        if self.watch_peers:
            from ignite.distributed.comp_models._peers import PeerWatch

            peers = PeerWatch(store, self.world_size, self.rank)
        try:
            # polled, not ``store.wait`` with a timeout: its timeout prints C++ warnings
            while not store.check([_ERR_KEY]):
                if self._abort_started.is_set():
                    threading.Event().wait()  # the watcher is ending this process with the reported failure
                if time.monotonic() >= deadline:
                    return
                # no launcher of ours reports deaths (torchrun): look for a dead process of this host
                dead = peers.find_dead() if peers is not None else None
                if dead is not None:
                    publish_death(store, self.world_size, dead[0], dead[1])
                    continue
                time.sleep(0.02)
            payload = store.get(_ERR_KEY).decode("utf-8", errors="replace")
        except Exception:
            return
        # the watcher normally ends this process; it may never be woken (a publisher stopped before it handed
        # the failure to every rank), so end it from here; the first of the two threads does it
        self._abort(payload)

    def publish(self, exc: BaseException) -> None:
        """Called on the failing rank: publish the error, wait briefly until the others have read it."""
        if self._aborting:
            # another rank failed first and the watcher is ending this process (the exception in hand is what
            # that failure caused, e.g. a broken collective): let it, rather than report a misleading error
            threading.Event().wait()
        if self.peer_loss_wait_s > 0 and self._store is not None and _is_peer_loss(exc):
            self._await_death_report()
        self._publishing = True
        self._stop_death_watch()
        self._unregister()
        self._stop.set()
        self._wake_own_watcher()
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        payload = _format_payload(self.rank, tb, self.node_rank, self.local_rank)
        store = self._store
        if store is None:
            _write_first_error(self.error_dir, payload)
            _write_elastic_error_file(f"{type(exc).__name__}: {exc}", tb)
            return
        try:
            first = _claim(store, payload)
            if first:
                _write_elastic_error_file(f"{type(exc).__name__}: {exc}", tb)
                _write_first_error(self.error_dir, payload)
                _wake_ranks(store, self.world_size, self.rank, payload)
                # keep this process (which may host the store) alive until the others have read the error
                deadline = time.monotonic() + self.linger_s
                while time.monotonic() < deadline:
                    if store.add(_ACK_KEY, 0) + store.add(_DONE_KEY, 0) >= self.world_size - 1:
                        break
                    time.sleep(0.01)
            else:
                # a secondary failure (e.g. a collective broken by the first one): report the first
                deadline = time.monotonic() + self.linger_s
                while time.monotonic() < deadline and not store.check([_ERR_KEY]):
                    time.sleep(0.01)
                if store.check([_ERR_KEY]):
                    first_payload = store.get(_ERR_KEY).decode("utf-8", errors="replace")
                    _write_first_error(self.error_dir, first_payload)
                    failure = _parse_payload(first_payload)
                    _write_elastic_error_file(
                        f"RankFailedError: {failure.describe()}", f"After {failure.describe()}:\n{failure.traceback}"
                    )
                store.add(_ACK_KEY, 1)
        except Exception:
            _write_first_error(self.error_dir, payload)
            _write_elastic_error_file(f"{type(exc).__name__}: {exc}", tb)
