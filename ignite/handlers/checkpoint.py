"""Checkpointing: :class:`Checkpoint`, the save handlers :class:`DiskSaver`/:class:`BaseSaveHandler`, and
:class:`ModelCheckpoint`.

Beyond upstream PyTorch-Ignite:

* **Checkpoints never corrupt.** :class:`DiskSaver` writes to a hidden temporary file in the target directory,
  flushes and fsyncs it, renames it into place and fsyncs the directory. With such a DiskSaver,
  :class:`Checkpoint` writes the new file *before* it removes the one it evicts, so a process killed at any
  moment leaves at least the previous checkpoint intact, and no partial file ever carries a checkpoint name.
  Other save handlers (including DiskSaver subclasses with their own ``__call__`` or ``remove``, which may map
  several names to one file) get the spec's order: remove, then save. A checkpoint that does not fit on the
  disk raises :class:`CheckpointDiskFullError` naming the file, the bytes it needs and the free space.
  Loading a truncated or corrupted file raises :class:`CorruptCheckpointError` naming the file.
* **Asynchronous saves** (``Checkpoint(..., async_save=True)``): tensors are copied to CPU (into buffers reused
  from one save to the next) and the file is written, flushed to disk and listed by a background thread with
  the same atomicity; with a ``DCPSaver``, ``torch.distributed.checkpoint.async_save`` stages the shards and
  the directory is listed once every rank wrote its part.
* **Exact resume and preemption**: put an :class:`ignite.handlers.resume.ExactResume` in ``to_save``, and see
  :class:`ignite.handlers.preemption.PreemptionHandler` for SIGTERM/SIGUSR1 handling and automatic resume.

This module holds the policy (which files to keep, when to write, what goes in them); the disk I/O lives in
``_disk_saver.py`` (with ``_file_writer.py`` and ``_snapshot.py``), the search for existing checkpoint files in
``_checkpoint_discovery.py``. Their public names are importable from here.
"""

from __future__ import annotations

import collections.abc as cabc
import inspect
import numbers
import re
import sys
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import torch.nn as nn

from ignite.base import Serializable
from ignite.engine.events import EventEnum, Events
from ignite.handlers._background import SaveJob, wait_for_pending_saves
from ignite.handlers._checkpoint_discovery import filename_regex, find_checkpoints
from ignite.handlers._disk_saver import BaseSaveHandler, DiskSaver, _load_file, _on_xla
from ignite.handlers._disk_saver import CorruptCheckpointError as CorruptCheckpointError
from ignite.handlers._file_writer import CheckpointDiskFullError
from ignite.handlers._snapshot import _Snapshotter
from ignite.handlers._state_keys import load_module_state, module_state_dict, plain_keys, unwrap_module
from ignite.utils import _rank, _tree_apply2, _tree_map

if TYPE_CHECKING:
    from ignite.engine.engine import Engine

__all__ = ["Checkpoint", "DiskSaver", "ModelCheckpoint", "BaseSaveHandler", "CheckpointEvents"]
# also importable from here (not in __all__): CorruptCheckpointError, CheckpointDiskFullError; and, for code that
# imported them from here, the private helpers _load_file and _rank


class CheckpointEvents(EventEnum):
    """Events fired by :class:`Checkpoint` on the engine it is called with."""

    SAVED_CHECKPOINT = "saved_checkpoint"


def _object_name(to_save: Mapping) -> str:
    return next(iter(to_save)) if len(to_save) == 1 else "checkpoint"


class Checkpoint(Serializable):
    """Save the state of objects (model, optimizer, trainer, ...) when called as an event handler, keeping the
    ``n_saved`` best (or latest) files.

    ```python
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
    handler = Checkpoint(to_save, "runs/ckpt", n_saved=2)            # a directory: DiskSaver(require_empty=True)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=1000), handler)   # checkpoint_<iteration>.pt
    ...
    Checkpoint.load_objects(to_load=to_save, checkpoint=handler.last_checkpoint)
    ```

    Args:
        to_save: objects with ``state_dict`` (nested dicts/lists allowed). A single entry is saved as that
            object's state dict directly (file named after its key), several as a dict (named ``checkpoint``).
            :class:`~torch.nn.DataParallel`/``DistributedDataParallel`` are saved unwrapped.
        save_handler: a directory (string or ``Path``, a :class:`DiskSaver` is made), a callable
            ``(checkpoint, filename[, metadata])`` or a :class:`BaseSaveHandler`.
        filename_prefix: prefix of the file names.
        score_function: ``engine -> number``; higher is better; files are ranked by it instead of by step.
        score_name: name of the score in file names; alone, it selects ``engine.state.metrics[score_name]``.
        n_saved: how many files to keep (``None``: all). With a :class:`DiskSaver` the new file is written
            before the one it replaces is removed, so the disk needs room for ``n_saved + 1`` files; a save that
            does not fit raises :class:`CheckpointDiskFullError` and leaves the stored files as they were.
        global_step_transform: ``(engine, event_name) -> int`` giving the step written in file names.
        filename_pattern: a ``str.format`` pattern with ``filename_prefix``, ``ext``, ``name``, ``score_name``,
            ``score`` and ``global_step``; default from :meth:`setup_filename_pattern`.
        include_self: also save this handler's own ``state_dict`` under ``"checkpointer"``.
        greater_or_equal: also replace the worst stored file when the new score equals it.
        save_on_rank: the rank that writes files (all ranks must call the handler).
        async_save: write the file in a background thread (keyword only): the handler returns once the
            tensors are copied to CPU, and the write, the disk flush and the removal of the evicted file happen
            off the training loop. A file is listed (``_saved``, :attr:`last_checkpoint`, :meth:`state_dict`)
            only once it is complete on disk, and the evicted one is removed only after that. The next save,
            :meth:`wait`, :attr:`last_checkpoint`, :meth:`state_dict`, :meth:`load_objects` from a path and
            interpreter exit wait for the write; a process killed meanwhile leaves the new file complete or
            absent and the listed ones intact. An error in the background write is raised by the next call or
            by :meth:`wait`. ``SAVED_CHECKPOINT`` fires when the copy is taken, before the file exists. Files
            do not appear right after the call returns (as the spec's synchronous save promises), hence
            opt-in; call :meth:`wait` where the files must be there, e.g. on the trainer's ``COMPLETED``.
            With a :class:`~ignite.handlers.dcp_saver.DCPSaver` every rank stages its shards to CPU with
            ``torch.distributed.checkpoint.async_save`` and the ranks write them in the background; the
            directory is renamed into place and listed once the write succeeded on every rank (every rank must
            call :meth:`wait` before the process group is destroyed).

    The engine it is called with gets :class:`CheckpointEvents` registered on the first call (and at
    construction for any :class:`~ignite.engine.engine.Engine` found among the values of ``to_save``), so
    ``@trainer.on(Checkpoint.SAVED_CHECKPOINT)`` works once either happened.

    With ``include_self`` and a single object in ``to_save``, the ``"checkpointer"`` key lands inside that
    object's state dict (upstream behaviour); load such a model with ``strict=False``.
    """

    SAVED_CHECKPOINT = CheckpointEvents.SAVED_CHECKPOINT

    class Item(NamedTuple):
        priority: int | float
        filename: str

    _state_dict_all_req_keys = ("_saved",)

    def __init__(
        self,
        to_save: Mapping,
        save_handler: str | Path | Callable | BaseSaveHandler,
        filename_prefix: str = "",
        score_function: Callable | None = None,
        score_name: str | None = None,
        n_saved: int | None = 1,
        global_step_transform: Callable | None = None,
        filename_pattern: str | None = None,
        include_self: bool = False,
        greater_or_equal: bool = False,
        save_on_rank: int = 0,
        *,
        async_save: bool = False,
    ) -> None:
        if not isinstance(to_save, Mapping):
            raise TypeError(f"Argument `to_save` should be a dictionary, but given {type(to_save)}")
        self._check_objects(to_save, "state_dict")

        if include_self:
            if not isinstance(to_save, cabc.MutableMapping):
                raise TypeError(
                    f"If `include_self` is True, then `to_save` must be mutable, but given {type(to_save)}."
                )
            if "checkpointer" in to_save:
                raise ValueError(f"Cannot have key 'checkpointer' if `include_self` is True: {to_save}")

        if not (
            isinstance(save_handler, (str, Path)) or callable(save_handler) or isinstance(save_handler, BaseSaveHandler)
        ):
            raise TypeError(
                "Argument `save_handler` should be a string or Path object or callable or inherit from BaseSaveHandler"
            )

        if global_step_transform is not None and not callable(global_step_transform):
            raise TypeError(f"global_step_transform should be a function, got {type(global_step_transform)} instead.")

        if n_saved is not None and n_saved < 1:  # validated before a DiskSaver creates a directory
            raise ValueError(f"n_saved must be a positive integer or None, got {n_saved}")

        if isinstance(save_handler, (str, Path)):
            save_handler = DiskSaver(save_handler, create_dir=True, save_on_rank=save_on_rank)

        if score_name is not None and score_function is None:
            score_function = self.get_default_score_fn(score_name)

        self.to_save = to_save
        self.filename_prefix = filename_prefix
        self.save_handler = save_handler
        self.score_function = score_function
        self.score_name = score_name
        self.n_saved = n_saved
        self.ext = getattr(save_handler, "ext", "pt") if getattr(save_handler, "collective", False) else "pt"
        self.global_step_transform = global_step_transform
        self.filename_pattern = filename_pattern
        self.include_self = include_self
        self.greater_or_equal = greater_or_equal
        self.save_on_rank = save_on_rank
        self.async_save = async_save
        self._saved: list[Checkpoint.Item] = []
        self._job: SaveJob | None = None
        self._pending_saved: list[Checkpoint.Item] | None = None
        self._snapshotter: _Snapshotter | None = None
        self._handler_arity: int | None = None

        from ignite.engine.engine import Engine

        for obj in to_save.values():
            if isinstance(obj, Engine):
                self._register_events(obj)

    # ------------------------------------------------------------------------------------------ helpers

    @staticmethod
    def _register_events(engine: Engine) -> None:
        if not engine.has_registered_events(CheckpointEvents.SAVED_CHECKPOINT):
            engine.register_events(*CheckpointEvents)

    @property
    def last_checkpoint(self) -> str | Path | None:
        """File name of the best (or latest) stored checkpoint; a ``Path`` inside the directory of a DiskSaver.

        Waits for a background save (``async_save=True``) to be written first.
        """
        self._join(report=False)
        if len(self._saved) < 1:
            return None
        if getattr(self.save_handler, "collective", False):  # a DCPSaver's checkpoint is a directory in dirname
            return Path(self.save_handler.dirname) / self._saved[-1].filename  # type: ignore[union-attr]
        if not isinstance(self.save_handler, DiskSaver):
            return self._saved[-1].filename
        return self.save_handler.dirname / self._saved[-1].filename

    def _check_lt_n_saved(self, or_equal: bool = False) -> bool:
        if self.n_saved is None:
            return True
        return len(self._saved) < self.n_saved + int(or_equal)

    def _compare_fn(self, new: int | float) -> bool:
        if self.greater_or_equal:
            return new >= self._saved[0].priority
        return new > self._saved[0].priority

    def reset(self) -> None:
        """Forget the stored files (they are not deleted); attach to ``Events.STARTED`` for repeated runs."""
        self.wait()
        self._saved = []

    def _call_save_handler(self, checkpoint: Mapping, filename: str, metadata: Mapping) -> None:
        handler = self.save_handler
        if self._handler_arity is None:
            self._handler_arity = 3
            if not isinstance(handler, BaseSaveHandler):
                try:
                    inspect.signature(handler).bind(checkpoint, filename, metadata)
                except TypeError:
                    self._handler_arity = 2
                except ValueError:  # no signature available (some builtins): fall back to trying
                    self._handler_arity = 0
        if self._handler_arity == 3:
            handler(checkpoint, filename, metadata)
        elif self._handler_arity == 2:
            handler(checkpoint, filename)  # type: ignore[call-arg]
        else:
            try:
                handler(checkpoint, filename, metadata)
            except TypeError:
                handler(checkpoint, filename)  # type: ignore[call-arg]

    def _remove(self, filename: str) -> None:
        if isinstance(self.save_handler, BaseSaveHandler):
            self.save_handler.remove(filename)

    def _writes_here(self) -> bool:
        """False on a rank where a DiskSaver does not write (no snapshot needed there)."""
        handler = self.save_handler
        if isinstance(handler, DiskSaver) and not _on_xla():
            return _rank() == handler.save_on_rank
        return True

    # ------------------------------------------------------------------------------------------ saving

    def __call__(self, engine: Engine, *args: Any, **kwargs: Any) -> None:
        self._register_events(engine)
        self._join()

        global_step = None
        if self.global_step_transform is not None:
            global_step = self.global_step_transform(engine, engine.last_event_name)

        if self.score_function is not None:
            priority = self.score_function(engine)
            if not isinstance(priority, numbers.Number):
                raise ValueError("Output of score_function should be a number")
        else:
            if global_step is None:
                global_step = engine.state.get_event_attrib_value(Events.ITERATION_COMPLETED)
            priority = global_step

        if not (self._check_lt_n_saved() or self._compare_fn(priority)):
            return

        priority_str = f"{priority}" if isinstance(priority, numbers.Integral) else f"{priority:.4f}"
        name = _object_name(self.to_save)
        filename_pattern = self._filename_pattern(global_step)
        filename = filename_pattern.format(
            filename_prefix=self.filename_prefix,
            ext=self.ext,
            name=name,
            score_name=self.score_name,
            score=priority_str if self.score_function is not None else None,
            global_step=global_step,
        )
        metadata = {
            "basename": f"{self.filename_prefix}_{name}" if len(self.filename_prefix) > 0 else name,
            "score_name": self.score_name,
            "priority": priority,
        }

        # The new list of stored files; it replaces `_saved` only once the new file is written (durably, with
        # a DiskSaver), so that `_saved` never names a file that a crash could lose.
        replaced = any(item.filename == filename for item in self._saved)
        saved_after = [item for item in self._saved if item.filename != filename]
        evicted: list[str] = []
        if not replaced and not self._check_lt_n_saved():
            evicted.append(saved_after.pop(0).filename)
        saved_after.append(Checkpoint.Item(priority, filename))
        saved_after.sort(key=lambda it: it[0])

        # while the checkpoint is taken, state_dict() describes the list as it is once this file is stored (so
        # that include_self and an ExactResume holding this handler resume with the file they are loaded from)
        self._pending_saved = saved_after
        try:
            checkpoint = self._setup_checkpoint()
            if len(checkpoint) == 1:
                checkpoint = checkpoint[name]
            if self.include_self:
                # with a single object this key lands inside its state dict (upstream behaviour, tested)
                checkpoint["checkpointer"] = self.state_dict()
        finally:
            self._pending_saved = None

        removed_first = [] if self._writes_first() else ([filename] if replaced else []) + evicted
        if self.async_save and getattr(self.save_handler, "collective", False):
            # DCPSaver: every rank stages its shards to CPU now; the write, the rename and the listing run in the
            # background writer, which waits for the write to succeed on every rank
            finish = self.save_handler.save_async(checkpoint, filename, metadata)  # type: ignore[union-attr]
            self._job = SaveJob(lambda: self._store(finish, saved_after, evicted, removed_first), filename)
        elif self.async_save and self._writes_here():
            if self._snapshotter is None:
                self._snapshotter = _Snapshotter()
            snapshot = self._snapshotter(checkpoint)
            self._job = SaveJob(
                lambda: self._store(
                    lambda: self._call_save_handler(snapshot, filename, metadata), saved_after, evicted, removed_first
                ),
                filename,
            )
        else:
            self._store(
                lambda: self._call_save_handler(checkpoint, filename, metadata), saved_after, evicted, removed_first
            )

        try:
            engine.fire_event(CheckpointEvents.SAVED_CHECKPOINT)
        finally:
            # the writer starts as the handler returns: waking it earlier makes the loop wait for the GIL while
            # still in the handler (a handler of SAVED_CHECKPOINT that waits for the file queues it itself)
            if self._job is not None:
                self._job.start()

    def _writes_first(self) -> bool:
        """Whether the new file is written before the evicted one is removed.

        Only when the save handler is a :class:`DiskSaver` whose ``__call__`` and ``remove`` are ours: then
        every file name is its own file, and writing first means a crash never leaves fewer checkpoints than
        before. A subclass that maps names to files its own way (e.g. one fixed ``model.pt``) or any other
        handler gets the spec's order: remove, then save.
        """
        handler = type(self.save_handler)
        if getattr(handler, "collective", False):  # DCPSaver: each name its own directory, renamed into place
            return True
        return (
            issubclass(handler, DiskSaver)
            and handler.__call__ is DiskSaver.__call__
            and handler.remove is DiskSaver.remove
        )

    def _store(
        self, write: Callable[[], None], saved_after: list, evicted: list[str], removed_first: list[str]
    ) -> None:
        """Run ``write`` (which stores the new checkpoint) and update ``_saved`` and the stored files in the
        handler's order (see ``_writes_first``)."""
        if removed_first:
            for old in removed_first:
                self._remove(old)
                self._saved = [item for item in self._saved if item.filename != old]
            write()
            self._saved = saved_after
            return
        try:
            write()
        except CheckpointDiskFullError as e:
            kept = [item.filename for item in self._saved]
            raise CheckpointDiskFullError(
                e.errno, f"{e.strerror} The previous checkpoints are intact and still listed: {kept}."
            ) from e
        self._saved = saved_after  # the new file is in place (and, with a DiskSaver, on disk): list it
        for old in evicted:
            self._remove(old)

    def _filename_pattern(self, global_step: Any) -> str:
        if self.filename_pattern is not None:
            return self.filename_pattern
        return self.setup_filename_pattern(
            with_prefix=len(self.filename_prefix) > 0,
            with_score=self.score_function is not None,
            with_score_name=self.score_name is not None,
            with_global_step=global_step is not None,
        )

    def _join(self, report: bool = True) -> None:
        """Wait for the background save; raise its error (once) if it failed and ``report`` is set."""
        job = self._job
        if job is None:
            return
        job.wait()
        if job.error is None or report:
            self._job = None
        if job.error is not None and report:
            # the failed file was never listed; with a DiskSaver nothing was evicted for it
            raise RuntimeError(f"Asynchronous save of checkpoint '{job.filename}' failed: {job.error!r}") from job.error

    def wait(self) -> None:
        """Block until a background save (``async_save=True``) is written; re-raise its error if it failed."""
        self._join()

    def _setup_checkpoint(self) -> dict[str, Any]:
        """The state dicts of ``to_save`` (same nesting), DP/DDP unwrapped, ZeRO optimizers consolidated."""
        if getattr(self.save_handler, "collective", False):  # a sharded saver builds its own (DCPSaver)
            return self.save_handler.state_dicts(self.to_save)  # type: ignore[union-attr]
        zero_cls = None
        if "torch.distributed.optim" in sys.modules:
            zero_cls = getattr(sys.modules["torch.distributed.optim"], "ZeroRedundancyOptimizer", None)

        def func(obj: Any, **kwargs: Any) -> Any:
            if "torch.distributed.fsdp" in sys.modules:  # FSDP2: a full state dict for one file (collective)
                from ignite.handlers._sharded import full_state_dict, has_dtensor_params, is_fsdp_module

                inner = unwrap_module(obj) if isinstance(obj, nn.Module) else obj
                if is_fsdp_module(inner):
                    return plain_keys(full_state_dict(inner, rank0_only=self.save_on_rank == 0))
                if has_dtensor_params(obj):
                    raise ValueError(
                        "The optimizer of an FSDP2 (sharded) model cannot be saved into one file: "
                        "use save_handler=ignite.handlers.DCPSaver(dirname), which saves it sharded"
                    )
            if isinstance(obj, nn.Module):
                return module_state_dict(obj)  # plain keys: no DP/DDP ``module.``, no compiled ``_orig_mod.``
            if zero_cls is not None and isinstance(obj, zero_cls):
                obj.consolidate_state_dict(to=self.save_on_rank)
                if _rank() != self.save_on_rank:
                    return {}
            return obj.state_dict()

        return _tree_map(func, self.to_save)

    # ------------------------------------------------------------------------------------------ patterns, scores

    @staticmethod
    def setup_filename_pattern(
        with_prefix: bool = True, with_score: bool = True, with_score_name: bool = True, with_global_step: bool = True
    ) -> str:
        """The default file-name pattern for the given parts, e.g. ``"{filename_prefix}_{name}_{global_step}_"
        "{score_name}={score}.{ext}"`` with everything."""
        filename_pattern = "{name}"
        if not (with_global_step or with_score):
            raise ValueError("At least one of with_score and with_global_step should be True.")
        if with_global_step:
            filename_pattern += "_{global_step}"
        if with_score_name and with_score:
            filename_pattern += "_{score_name}={score}"
        elif with_score:
            filename_pattern += "_{score}"
        elif with_score_name:
            raise ValueError("If with_score_name is True, with_score should be also True")
        if with_prefix:
            filename_pattern = "{filename_prefix}_" + filename_pattern
        filename_pattern += ".{ext}"
        return filename_pattern

    @staticmethod
    def get_default_score_fn(metric_name: str, score_sign: float = 1.0) -> Callable:
        """``engine -> score_sign * engine.state.metrics[metric_name]`` (``score_sign=-1`` for a loss)."""
        if score_sign not in (1.0, -1.0):
            raise ValueError("Argument score_sign should be 1 or -1")

        def wrapper(engine: Engine) -> float:
            return score_sign * engine.state.metrics[metric_name]

        return wrapper

    # ------------------------------------------------------------------------------------------ loading

    @staticmethod
    def _check_objects(objs: Mapping, attr: str) -> None:
        def func(obj: Any, **kwargs: Any) -> None:
            if not hasattr(obj, attr):
                raise TypeError(f"Object {type(obj)} should have `{attr}` method")

        _tree_map(func, objs)

    @staticmethod
    def load_objects(to_load: Mapping, checkpoint: str | Mapping | Path, **kwargs: Any) -> None:
        """Load each object of ``to_load`` from ``checkpoint`` (a file path or an already loaded dict).

        ```python
        Checkpoint.load_objects(to_load={"model": model, "optimizer": optimizer}, checkpoint="ckpt/checkpoint_100.pt")
        ```

        Keyword arguments go to ``nn.Module.load_state_dict`` (``strict=False`` for partial loading). With one
        object in ``to_load`` whose key is absent from the checkpoint, the whole checkpoint is that object's state
        dict. A file that is empty, truncated or corrupted raises :class:`CorruptCheckpointError` naming it.
        A directory written by :class:`~ignite.handlers.dcp_saver.DCPSaver` is loaded by
        :func:`~ignite.handlers.dcp_saver.load_dcp` on every rank, resharded onto the current world size.
        Loading from a path first waits for the background saves (``async_save=True``) still running.
        """
        if not isinstance(checkpoint, (Mapping, str, Path)):
            raise TypeError(f"Argument checkpoint should be a string or a dictionary, but given {type(checkpoint)}")

        Checkpoint._check_objects(to_load, "load_state_dict")

        if isinstance(checkpoint, (str, Path)):
            wait_for_pending_saves()  # the file may be one that a background save is still writing
            if Path(checkpoint).is_dir():  # a sharded (DCP) checkpoint: every rank loads its shards
                from ignite.handlers.dcp_saver import load_dcp

                load_dcp(to_load, checkpoint, strict=kwargs.get("strict", True))
                return
            checkpoint = _load_file(checkpoint)

        def _load_object(obj: Any, chkpt_obj: Any) -> None:
            if "torch.distributed.fsdp" in sys.modules:
                from ignite.handlers._sharded import is_fsdp_module, load_full_state_dict

                inner = unwrap_module(obj) if isinstance(obj, nn.Module) else obj
                if is_fsdp_module(inner):  # a full state dict (one file) sharded again on every rank
                    return load_full_state_dict(inner, plain_keys(chkpt_obj), strict=kwargs.get("strict", True))
            if isinstance(obj, nn.Module):
                load_module_state(obj, chkpt_obj, **kwargs)  # unwrapped; keys with or without ``_orig_mod.``
            else:
                obj.load_state_dict(chkpt_obj)

        if len(to_load) == 1:
            key, obj = next(iter(to_load.items()))
            if key not in checkpoint:
                _load_object(obj, checkpoint)
                return

        _tree_apply2(_load_object, dict(to_load), checkpoint)

    def reload_objects(self, to_load: Mapping, load_kwargs: dict | None = None, **filename_components: Any) -> None:
        """Load ``to_load`` from a checkpoint of this handler's directory, named by ``filename_components``: a
        file of a :class:`DiskSaver`, or a directory of a :class:`~ignite.handlers.dcp_saver.DCPSaver` (every rank
        calls it then, as for :meth:`load_objects`).

        The components are ``global_step`` (whether and which step the default pattern contains), ``name``
        (default: the single key of ``to_save`` or ``"checkpoint"``) and ``score`` (default ``None``); upstream's
        documentation calls the first one ``global_state``, the key actually read is ``global_step``.
        """
        dirname = self._saver_dirname()
        global_step = filename_components.get("global_step", None)
        filename_pattern = self._filename_pattern(global_step)
        checkpoint_fp = filename_pattern.format(
            filename_prefix=self.filename_prefix,
            ext=self.ext,
            name=filename_components.get("name", _object_name(self.to_save)),
            score_name=self.score_name,
            score=filename_components.get("score", None),
            global_step=global_step,
        )
        path = dirname / checkpoint_fp
        self.load_objects(to_load=to_load, checkpoint=path, **(load_kwargs or {}))

    def state_dict(self) -> OrderedDict:
        """``{"_saved": [(priority, filename), ...]}``, lowest priority first (after a background save ends)."""
        if self._pending_saved is not None:  # called while this handler takes a checkpoint
            return OrderedDict([("_saved", [(p, f) for p, f in self._pending_saved])])
        self._join(report=False)
        return OrderedDict([("_saved", [(p, f) for p, f in self._saved])])

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore the list of stored files, so that ``n_saved`` pruning continues across a restart."""
        super().load_state_dict(state_dict)
        self._join()
        self._saved = [Checkpoint.Item(p, f) for p, f in state_dict["_saved"]]

    # ------------------------------------------------------------------------------------------ discovery

    def _filename_regex(self) -> re.Pattern:
        """A regex matching the names this handler gives its files (score and step parts left free)."""
        return filename_regex(
            self.filename_pattern, self.filename_prefix, _object_name(self.to_save), self.ext, self.score_name
        )

    def _saver_dirname(self) -> Path:
        """The directory of a :class:`DiskSaver` or of a sharded saver (``DCPSaver``); the spec's
        ``AttributeError`` for any other save handler."""
        handler = self.save_handler
        if isinstance(handler, DiskSaver):
            return handler.dirname
        if getattr(handler, "collective", False):
            return Path(handler.dirname)  # type: ignore[union-attr]
        raise AttributeError(f"Checkpoint's `save_handler` should be of type `DiskSaver`, given {type(handler)}")

    def _find_checkpoints(self) -> list[Path]:
        """This handler's checkpoints in its saver's directory, newest first (temporaries excluded): files of a
        :class:`DiskSaver`, complete checkpoint directories of a ``DCPSaver``."""
        dirname = self._saver_dirname()
        sharded = getattr(self.save_handler, "collective", False)
        return find_checkpoints(dirname, self._filename_regex(), directories=sharded)


class ModelCheckpoint(Checkpoint):
    """:class:`Checkpoint` writing to a directory with a :class:`DiskSaver`, given the objects at call time.

    ```python
    handler = ModelCheckpoint("/tmp/models", "best", n_saved=2, score_function=score_fn, score_name="acc")
    evaluator.add_event_handler(Events.COMPLETED, handler, {"model": model})    # best_model_acc=0.9123.pt
    ```

    ``require_empty`` rejects a directory holding any ``*.pt`` file (whatever its prefix). ``kwargs`` go to
    ``torch.save``. ``async_save`` as in :class:`Checkpoint`.
    """

    def __init__(
        self,
        dirname: str | Path,
        filename_prefix: str = "",
        score_function: Callable | None = None,
        score_name: str | None = None,
        n_saved: int | None = 1,
        atomic: bool = True,
        require_empty: bool = True,
        create_dir: bool = True,
        global_step_transform: Callable | None = None,
        filename_pattern: str | None = None,
        include_self: bool = False,
        greater_or_equal: bool = False,
        save_on_rank: int = 0,
        *,
        async_save: bool = False,
        **kwargs: Any,
    ) -> None:
        if n_saved is not None and n_saved < 1:
            raise ValueError(f"n_saved must be a positive integer or None, got {n_saved}")
        disk_saver = DiskSaver(
            dirname,
            atomic=atomic,
            create_dir=create_dir,
            require_empty=require_empty,
            save_on_rank=save_on_rank,
            **kwargs,
        )
        super().__init__(
            to_save={},
            save_handler=disk_saver,
            filename_prefix=filename_prefix,
            score_function=score_function,
            score_name=score_name,
            n_saved=n_saved,
            global_step_transform=global_step_transform,
            filename_pattern=filename_pattern,
            include_self=include_self,
            greater_or_equal=greater_or_equal,
            save_on_rank=save_on_rank,
            async_save=async_save,
        )

    @property
    def last_checkpoint(self) -> Path | None:  # type: ignore[override]
        self._join(report=False)
        if len(self._saved) < 1:
            return None
        if not isinstance(self.save_handler, DiskSaver):
            raise RuntimeError(f"Internal error, save_handler should be DiskSaver, but has {type(self.save_handler)}.")
        return self.save_handler.dirname / self._saved[-1].filename

    def __call__(self, engine: Engine, to_save: Mapping) -> None:  # type: ignore[override]
        if len(to_save) == 0:
            raise RuntimeError("No objects to checkpoint found.")
        self._check_objects(to_save, "state_dict")
        self.to_save = to_save
        super().__call__(engine)
