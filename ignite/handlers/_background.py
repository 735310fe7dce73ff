"""The background writer of asynchronous checkpoint saves.

One long-lived thread runs the saves in the order they are handed over. Handing a save over is a queue put:
starting a thread per save would block the training loop until the new thread is scheduled (``Thread.start``
waits for it), which takes milliseconds on a busy machine. The thread is a daemon, so an idle writer never keeps
a process alive; an ``atexit`` hook waits for the saves still pending, so a save that returned is not lost by a
normal interpreter exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

__all__ = ["SaveJob", "wait_for_pending_saves"]

_logger = logging.getLogger("ignite.handlers.checkpoint")


class SaveJob:
    """One background save: what to run, whether it has ended, and its error."""

    def __init__(self, target: Callable[[], None], filename: str) -> None:
        self.filename = filename
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._target = target
        self._queued = False

    def start(self) -> None:
        """Queue the save on the writer thread (started on first use); a second call does nothing."""
        with _lock:
            if self._queued:
                return
            self._queued = True
            _pending.add(self)
            _writer_queue().put(self)

    def wait(self) -> None:
        """Wait for the save to end (queuing it first if that has not happened yet)."""
        if threading.current_thread() is _worker:  # a save handler loading a file: nothing is pending before it
            return
        self.start()
        self.done.wait()

    def run(self) -> None:
        try:
            time.sleep(_START_DELAY)
            self._target()
        except BaseException as e:  # reported by Checkpoint.wait() / the next save
            self.error = e
            _logger.error("Asynchronous save of checkpoint '%s' failed: %r", self.filename, e)
        finally:
            with _lock:
                _pending.discard(self)
            self.done.set()


# The writer sleeps this long before each save. Woken by the hand-over, it would otherwise take the GIL at once
# (Python hands it over every 5 ms) and the loop, still returning from the handler, would wait for it while the
# writer pickles: 12-20 ms measured on a 150 MB checkpoint, against ~0.1 ms with the pause.
_START_DELAY = 0.002

_lock = threading.Lock()
_pending: set[SaveJob] = set()
_queue: queue.SimpleQueue[SaveJob] | None = None
_worker: threading.Thread | None = None
_worker_pid: int | None = None


def _writer_queue() -> queue.SimpleQueue[SaveJob]:
    """The writer's queue, starting the writer in this process if needed (call with ``_lock`` held)."""
    global _queue, _worker, _worker_pid
    if _queue is None or _worker_pid != os.getpid():  # first use, or a forked child (the thread is not there)
        _queue = queue.SimpleQueue()
        _worker = threading.Thread(target=_work, args=(_queue,), name="ignite-checkpoint-writer", daemon=True)
        _worker_pid = os.getpid()
        _worker.start()
    return _queue


def _work(jobs: queue.SimpleQueue[SaveJob]) -> None:
    while True:
        jobs.get().run()


def wait_for_pending_saves() -> None:
    """Block until every save handed to the writer so far has ended (successfully or not)."""
    with _lock:
        jobs = list(_pending)
    for job in jobs:
        job.wait()


atexit.register(wait_for_pending_saves)
