"""How :class:`~ignite.handlers.checkpoint.DiskSaver` writes a checkpoint file with ``torch.save``.

Two costs of a plain ``torch.save(obj, path)`` are avoided:

* **CRC32 of every record.** ``torch.save`` checksums each tensor's bytes (about half of the time of a save
  to the page cache), but ``torch.load`` never verifies these checksums, so they protect nothing for a torch
  user. DiskSaver switches them off for its own writes on torch >= 2.6 (``DiskSaver.compute_crc32 = True``
  restores them).
  Truncated files are still detected: the zip central directory is written last.
* **Waiting for the disk at the end.** An atomic save ends with ``fsync``; every few MB the kernel is asked to
  start writing the data already produced (Linux ``sync_file_range``), so ``fsync`` waits for the tail only.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["save_to_fd", "save_to_path"]

# torch reads its CRC32 option when a save opens its writer: a lock keeps concurrent DiskSaver writes (e.g. a
# background save and a synchronous one) from restoring each other's setting at the wrong moment
_crc32_lock = threading.Lock()


class _Crc32Option:
    """Sets torch's CRC32 option for one save and restores it once the save's writer has read it (at its first
    write) or when the save ends, whichever comes first."""

    def __init__(self, compute_crc32: bool) -> None:
        self._wanted = compute_crc32
        self._previous: bool | None = None

    def __enter__(self) -> _Crc32Option:
        if not hasattr(torch.serialization, "set_crc32_options"):  # torch < 2.6: CRC32s are always written
            return self
        if torch.serialization.get_crc32_options() != self._wanted:
            _crc32_lock.acquire()
            self._previous = torch.serialization.get_crc32_options()
            torch.serialization.set_crc32_options(self._wanted)
        return self

    def restore(self) -> None:
        if self._previous is not None:
            torch.serialization.set_crc32_options(self._previous)
            self._previous = None
            _crc32_lock.release()

    def __exit__(self, *exc: Any) -> None:
        self.restore()


_sync_file_range: Any = None  # libc's sync_file_range on Linux (False once found missing)


def _start_writeback(fd: int, offset: int, nbytes: int) -> None:
    """Ask the kernel to start writing ``nbytes`` at ``offset`` to disk now, without waiting (Linux)."""
    global _sync_file_range
    if _sync_file_range is None:
        _sync_file_range = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                func = ctypes.CDLL(None, use_errno=True).sync_file_range
                func.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
                _sync_file_range = func
            except (OSError, AttributeError):
                pass
    if _sync_file_range:
        _sync_file_range(fd, offset, nbytes, 2)  # SYNC_FILE_RANGE_WRITE


class _SyncingWriter:
    """The file object ``torch.save`` writes a checkpoint through.

    Large writes go straight to the file descriptor (releasing the GIL, which matters for background saves), small
    ones are buffered, and every few MB the kernel is asked to start writing the data to disk, so that the final
    ``fsync`` only waits for the tail instead of the whole file.
    """

    _CHUNK = 8 << 20
    _SMALL = 1 << 16

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.on_first_write: Callable[[], None] | None = None
        self._buffer = bytearray()
        self._written = 0
        self._synced = 0

    def write(self, data: Any) -> int:
        if self.on_first_write is not None:
            self.on_first_write()
            self.on_first_write = None
        view = memoryview(data).cast("B")
        n = view.nbytes
        if n < self._SMALL:
            self._buffer += view
            if len(self._buffer) >= self._CHUNK:
                self.flush()
            return n
        self.flush()
        self._write(view)
        return n

    def _write(self, view: memoryview) -> None:
        offset, n = 0, view.nbytes
        while offset < n:
            k = os.write(self.fd, view[offset : offset + self._CHUNK])
            offset += k
            self._written += k
            if self._written - self._synced >= self._CHUNK:
                _start_writeback(self.fd, self._synced, self._written - self._synced)
                self._synced = self._written

    def flush(self) -> None:
        if self._buffer:
            data, self._buffer = self._buffer, bytearray()
            self._write(memoryview(data))


def save_to_fd(obj: Any, fd: int, compute_crc32: bool, **kwargs: Any) -> None:
    """``torch.save(obj)`` into the open file descriptor ``fd`` (not closed, not fsynced)."""
    writer = _SyncingWriter(fd)
    with _Crc32Option(compute_crc32) as option:
        writer.on_first_write = option.restore
        torch.save(obj, writer, **kwargs)
    writer.flush()


def save_to_path(obj: Any, path: str | os.PathLike, compute_crc32: bool, **kwargs: Any) -> None:
    """``torch.save(obj, path)`` with the given CRC32 option."""
    with _Crc32Option(compute_crc32):
        torch.save(obj, path, **kwargs)
