"""How :class:`~ignite.handlers.checkpoint.DiskSaver` writes a checkpoint file with ``torch.save``.

Two costs of a plain ``torch.save(obj, path)`` are avoided:

* **CRC32 of every record.** ``torch.save`` checksums each tensor's bytes (about half of the time of a save
  to the page cache), but ``torch.load`` never verifies these checksums, so they protect nothing for a torch
  user. DiskSaver switches them off for its own writes on torch >= 2.6 (``DiskSaver.compute_crc32 = True``
  restores them).
  Truncated files are still detected: the zip central directory is written last.
* **An opaque error when the disk is full.** torch reports a failed write as ``unexpected pos``; the
  ``OSError`` behind it is turned into a :class:`CheckpointDiskFullError` naming the file and the space.
* **Waiting for the disk at the end.** An atomic save ends with ``fsync``; every few MB the kernel is asked to
  start writing the data already produced (Linux ``sync_file_range``), so ``fsync`` waits for the tail only.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

__all__ = ["CheckpointDiskFullError", "disk_full_cause", "disk_full_error", "save_to_fd"]

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


class CheckpointDiskFullError(OSError):
    """A checkpoint that did not fit on its file system (``errno`` is ``ENOSPC`` or ``EDQUOT``)."""


def disk_full_cause(exc: BaseException) -> OSError | None:
    """The "no space left" / "quota exceeded" ``OSError`` behind ``exc`` (torch wraps it in a ``RuntimeError``)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return current
        current = current.__cause__ or current.__context__
    return None


def _tensor_bytes(obj: Any) -> int:
    """Bytes of the distinct tensor storages in ``obj`` (a lower bound of its file size)."""
    seen: dict[tuple, int] = {}

    def visit(x: Any) -> None:
        if isinstance(x, torch.Tensor):
            try:
                storage = x.untyped_storage()
                seen[(storage.data_ptr(), str(storage.device))] = storage.nbytes()
            except (RuntimeError, NotImplementedError):  # e.g. sparse or meta tensors
                seen[(id(x), "")] = x.numel() * x.element_size()
        elif isinstance(x, Mapping):
            for v in x.values():
                visit(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                visit(v)

    visit(obj)
    return sum(seen.values())


def disk_full_error(cause: OSError, obj: Any, path: Path) -> CheckpointDiskFullError:
    """A :class:`CheckpointDiskFullError` naming the file, the bytes it needs and the free space (call it once the
    partial file is removed)."""
    try:
        free = f"{shutil.disk_usage(path.parent).free:,} bytes are free"
    except OSError:
        free = "the free space is unknown"
    return CheckpointDiskFullError(
        cause.errno,
        f"Not enough space to write checkpoint '{path}': it needs at least {_tensor_bytes(obj):,} bytes "
        f"(its tensors), and {free} on the file system of '{path.parent}' ({cause.strerror}). The partial file "
        "was removed and no existing checkpoint file was changed.",
    )
