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
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from typing import Any

from torch.multiprocessing import ProcessRaisedException

__all__ = ["RankFailedError"]

_ERR_KEY = "ignite_idist/error"
_COUNT_KEY = "ignite_idist/error_count"
_ACK_KEY = "ignite_idist/error_ack"
_DONE_KEY = "ignite_idist/done"
_LEFT_KEY = "ignite_idist/left"
_FIRST_ERROR_FILE = "first_error.txt"

# exit code of a spawned rank stopped because another rank failed (the launcher tells it from a crash by it)
ABORT_EXIT_CODE = 75

DEFAULT_POLL_S = 0.1
DEFAULT_LINGER_S = 3.0


class RankFailedError(ProcessRaisedException):
    """Raised by the launcher when a rank of a distributed run raised an exception.

    Attributes:
        rank: global rank of the process that failed first.
        remote_traceback: the traceback text of the failure, as formatted in that process.
    """

    def __init__(self, rank: int, remote_traceback: str, error_index: int = -1, error_pid: int = -1) -> None:
        self.rank = rank
        self.remote_traceback = remote_traceback
        msg = f"\n\n-- Rank {rank} failed with the following error:\n{remote_traceback}"
        super().__init__(msg, error_index, error_pid)

    def __reduce__(self) -> Any:
        return (type(self), (self.rank, self.remote_traceback, self.error_index, self.error_pid))


def _format_payload(rank: int, tb: str) -> str:
    return f"{rank}\n{tb}"


def _parse_payload(payload: str) -> tuple[int, str]:
    head, _, tb = payload.partition("\n")
    try:
        return int(head), tb
    except ValueError:
        return -1, payload


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


def read_first_error(error_dir: str | None) -> tuple[int, str] | None:
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
    ) -> None:
        self.rank = rank
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
        self._left = False

    @property
    def active(self) -> bool:
        return self._store is not None

    def start(self) -> FailureGuard:
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
        try:
            self._store.add(_DONE_KEY, 1)
            if self._watch_store is not None:
                self._store.set(_rank_key(self.rank), "")  # wakes our own watcher
        except Exception:
            pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=max(1.0, 5 * self.poll_s))
        self._thread = None

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
            store.check([_COUNT_KEY])
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
        self._aborting = True  # the main thread, if a collective now fails under it, waits for the exit below
        failed_rank, tb = _parse_payload(payload)
        _write_first_error(self.error_dir, payload)
        try:
            sys.stderr.write(
                f"[ignite.distributed] rank {self.rank}: stopping because rank {failed_rank} failed:\n{tb}\n"
                f"RankFailedError: rank {failed_rank} failed (see its traceback above)\n"
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
        self._thread.join(timeout=max(1.0, 5 * self.poll_s))

    def publish(self, exc: BaseException) -> None:
        """Called on the failing rank: publish the error, wait briefly until the others have read it."""
        if self._aborting:
            # another rank failed first and the watcher is ending this process (the exception in hand is what
            # that failure caused, e.g. a broken collective): let it, rather than report a misleading error
            threading.Event().wait()
        self._publishing = True
        self._stop.set()
        self._wake_own_watcher()
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        payload = _format_payload(self.rank, tb)
        store = self._store
        if store is None:
            _write_first_error(self.error_dir, payload)
            return
        try:
            first = store.add(_COUNT_KEY, 1) == 1
            if first:
                store.set(_ERR_KEY, payload)
                _write_first_error(self.error_dir, payload)
                for r in range(self.world_size):
                    if r != self.rank:
                        store.set(_rank_key(r), payload)
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
                    _write_first_error(self.error_dir, store.get(_ERR_KEY).decode("utf-8", errors="replace"))
                store.add(_ACK_KEY, 1)
        except Exception:
            _write_first_error(self.error_dir, payload)
