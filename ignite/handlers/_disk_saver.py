"""Disk I/O of checkpoint files: the save-handler interface, :class:`DiskSaver` (atomic, durable writes through
``_file_writer``) and reading a file back with a clear error when it is truncated or corrupted.

The names are public at ``ignite.handlers.checkpoint`` (and ``ignite.handlers``); this module is private.
"""

from __future__ import annotations

import os
import pickle
import re
import stat
import tempfile
import zipfile
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from ignite.handlers._file_writer import disk_full_cause, disk_full_error, save_to_fd
from ignite.utils import _rank

_TMP_SUFFIX = ".ckpt-tmp"


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file that cannot be read back (truncated, empty, or not a checkpoint at all)."""


def _on_xla() -> bool:
    """Whether the active computation runs on XLA (not merely whether torch_xla is installed)."""
    import ignite.distributed as idist

    return idist.has_xla_support and idist.device().type == "xla"


def _fsync_dir(dirname: str | Path) -> None:
    try:
        fd = os.open(dirname, os.O_RDONLY)
    except OSError:  # e.g. a platform that cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _numpy_safe_globals() -> list:
    """numpy globals needed to rebuild plain numpy arrays (e.g. numpy's RNG state) with ``weights_only=True``."""
    import numpy as np

    core = getattr(np, "_core", None) or np.core
    dtypes = getattr(np, "dtypes", None)
    names = [n for n in dir(dtypes) if n.endswith("DType") and n != "ObjectDType"] if dtypes is not None else []
    return [core.multiarray._reconstruct, np.ndarray, np.dtype] + [getattr(dtypes, n) for n in names]


def _torch_load(path: Path, **kwargs: Any) -> Any:
    try:
        return torch.load(path, weights_only=True, **kwargs)
    except pickle.UnpicklingError as e:
        if "numpy" not in str(e):
            raise
    # numpy arrays of plain dtypes are safe to rebuild; torch's weights_only loader does not allow them by default
    with torch.serialization.safe_globals(_numpy_safe_globals()):
        return torch.load(path, weights_only=True, **kwargs)


def _load_file(path: str | Path, **kwargs: Any) -> Any:
    """``torch.load(path, weights_only=True)`` with a clear error naming a truncated or corrupted file."""
    path = Path(path)
    try:
        return _torch_load(path, **kwargs)
    except FileNotFoundError:
        raise
    except Exception as e:
        size = path.stat().st_size if path.exists() else -1
        if size == 0:
            reason = "the file is empty"
        elif not zipfile.is_zipfile(path):
            reason = "the file is truncated or is not a checkpoint (no zip central directory)"
        elif isinstance(e, RuntimeError) and "PytorchStreamReader" in str(e):
            reason = "the file is corrupted"
        else:
            raise
        raise CorruptCheckpointError(
            f"Cannot load checkpoint '{path}' ({size} bytes): {reason}. Original error: {type(e).__name__}: {e}"
        ) from e


class BaseSaveHandler(metaclass=ABCMeta):
    """Interface of a save handler: write a checkpoint under a file name, and remove one."""

    @abstractmethod
    def __call__(self, checkpoint: Mapping, filename: str, metadata: Mapping | None = None) -> None:
        """Save ``checkpoint`` as ``filename``; ``metadata`` has keys ``basename``, ``score_name``, ``priority``."""

    @abstractmethod
    def remove(self, filename: str) -> None:
        """Remove the checkpoint saved as ``filename``."""


class DiskSaver(BaseSaveHandler):
    """Write checkpoints with ``torch.save`` into a directory, atomically by default.

    Args:
        dirname: the directory.
        atomic: write to a hidden temporary file of the same directory, flush and fsync it, rename it to the final
            name and fsync the directory; a crash at any moment leaves either the complete new file or nothing
            under that name (never a partial file). Temporary files left by a killed process are named
            ``.<filename>.<pid>.<random>.ckpt-tmp`` and removed when a later DiskSaver is created on the directory.
            With ``atomic=False`` the file is written in place.
        create_dir: create the directory if missing.
        require_empty: refuse a directory that already holds ``*.pt`` files.
        save_on_rank: the rank that writes (every process must construct the saver).
        kwargs: passed to ``torch.save`` (or ``xm.save`` on XLA).

    The zip records' CRC32 checksums are not computed (``torch.load`` never checks them and they take about half
    of a save's time); set the class attribute ``DiskSaver.compute_crc32 = True`` (or on an instance) to write
    them, e.g. for tools that test zip archives.
    """

    compute_crc32: bool = False

    def __init__(
        self,
        dirname: str | Path,
        atomic: bool = True,
        create_dir: bool = True,
        require_empty: bool = True,
        save_on_rank: int = 0,
        **kwargs: Any,
    ) -> None:
        self.dirname = Path(dirname).expanduser()
        self._atomic = atomic
        self.save_on_rank = save_on_rank
        self.kwargs = kwargs

        if _rank() == self.save_on_rank:
            self._check_and_setup(self.dirname, create_dir, require_empty)
            self._remove_stale_temporaries()

    @staticmethod
    def _check_and_setup(dirname: Path, create_dir: bool, require_empty: bool) -> None:
        if create_dir and not dirname.exists():
            dirname.mkdir(parents=True)
        if not dirname.exists():
            raise ValueError(f"Directory path '{dirname}' is not found")
        if require_empty:
            matched = [fname for fname in os.listdir(dirname) if fname.endswith(".pt")]
            if len(matched) > 0:
                raise ValueError(
                    f"Files {matched} with extension '.pt' are already present "
                    f"in the directory {dirname}. If you want to use this "
                    "directory anyway, pass `require_empty=False`."
                )

    def _remove_stale_temporaries(self) -> None:
        """Delete temporary files of processes that no longer run (a save interrupted by a kill)."""
        regex = re.compile(r"\..*\.(\d+)\.[^.]+" + re.escape(_TMP_SUFFIX) + r"\Z")
        for name in os.listdir(self.dirname):
            m = regex.match(name)
            if m is None:
                continue
            pid = int(m.group(1))
            if pid != os.getpid() and not _pid_alive(pid):
                try:
                    os.remove(self.dirname / name)
                except OSError:
                    pass

    def __call__(self, checkpoint: Mapping, filename: str, metadata: Mapping | None = None) -> None:
        path = self.dirname / filename
        if _on_xla():
            import torch_xla.core.xla_model as xm

            # all tpu procs should enter here as xm.save performs a sync across devices
            self._save_func(checkpoint, path, xm.save, rank=_rank())
        elif _rank() == self.save_on_rank:
            self._save_func(checkpoint, path, torch.save)

    def _save_func(self, checkpoint: Mapping, path: Path, func: Callable, rank: int = 0) -> None:
        try:
            self._write(checkpoint, path, func, rank)
        except BaseException as e:
            cause = disk_full_cause(e)
            if cause is None:
                raise
            if not self._atomic:  # the partial file in place is of no use
                path.unlink(missing_ok=True)
            raise disk_full_error(cause, checkpoint, path) from e

    def _write(self, checkpoint: Mapping, path: Path, func: Callable, rank: int) -> None:
        if not self._atomic:
            if func is torch.save:  # through our writer, so that a full disk surfaces as its OSError
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
                try:
                    save_to_fd(checkpoint, fd, self.compute_crc32, **self.kwargs)
                finally:
                    os.close(fd)
            else:
                func(checkpoint, path, **self.kwargs)
            return
        if rank != 0:  # XLA: only the master process writes the file, all take part in xm.save
            func(checkpoint, None, **self.kwargs)
            return
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=_TMP_SUFFIX, dir=path.parent)
        try:
            if func is torch.save:
                try:
                    save_to_fd(checkpoint, fd, self.compute_crc32, **self.kwargs)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            else:
                with os.fdopen(fd, "wb") as tmp:
                    func(checkpoint, tmp, **self.kwargs)
                    tmp.flush()
                    os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            try:
                os.remove(tmp_name)
            except OSError:
                pass
            raise
        os.chmod(path, os.stat(path).st_mode | stat.S_IRGRP | stat.S_IROTH)
        _fsync_dir(path.parent)

    def remove(self, filename: str) -> None:
        """Delete ``filename`` from the directory (on the saving rank only).

        A file that is already gone is not an error: after a resume from an older checkpoint, the handler's
        saved list can name files that the crashed run had already replaced.
        """
        if _rank() == self.save_on_rank:
            path = self.dirname / filename
            path.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
