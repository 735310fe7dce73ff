"""Sharded checkpoints: :class:`DCPSaver` writes ``torch.distributed.checkpoint`` (DCP) directories for
:class:`~ignite.handlers.checkpoint.Checkpoint`, and :func:`load_dcp` reads them back on any world size.

Every rank writes its own shards (no gather to one process), and the directory is renamed into place only once
all ranks finished, so a checkpoint is either complete and listed, or absent. With ``Checkpoint(...,
async_save=True)`` the shards are staged to CPU by ``torch.distributed.checkpoint.async_save`` and written in the
background (:meth:`DCPSaver.save_async`).
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from ignite.handlers._disk_saver import BaseSaveHandler, _fsync_dir

__all__ = ["DCPSaver", "load_dcp"]

_TMP = ".dcp-tmp"
_OLD = ".dcp-old"
_METADATA = ".metadata"
# DCP's warning for a save without a process group (a prefix of it, as a filter's message regex)
_SINGLE_PROCESS_SAVE = r"torch\.distributed is disabled, unavailable or uninitialized, assuming the intent is to save"


def _dist() -> tuple[int, bool]:
    """``(rank, whether a process group is up)``."""
    import torch.distributed as dist

    up = dist.is_available() and dist.is_initialized()
    return (dist.get_rank() if up else 0), up


def _barrier(group: Any = None) -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier(group=group)


def _all_ok(ok: bool, group: Any) -> bool:
    """Whether ``ok`` holds on every rank of ``group`` (``ok`` itself without a process group)."""
    if group is None:
        return ok
    import torch.distributed as dist

    flag = torch.tensor([int(ok)])
    dist.all_reduce(flag, op=dist.ReduceOp.MIN, group=group)
    return bool(flag.item())


@contextmanager
def _single_process_quiet(up: bool) -> Iterator[None]:
    """Silence DCP's warning that it runs in one process: without a process group, that is what we ask for."""
    with warnings.catch_warnings():
        if not up:
            warnings.filterwarnings("ignore", message="torch.distributed is disabled", category=UserWarning)
        yield


def _unwrap(obj: Any) -> Any:
    if isinstance(obj, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        return obj.module
    return getattr(obj, "_orig_mod", obj)  # a torch.compile'd module: its keys are the plain model's


def _walk(objs: Mapping, prefix: tuple = ()) -> list[tuple[tuple, Any]]:
    """``(path, object)`` for every object of a (nested) mapping of stateful objects."""
    out: list[tuple[tuple, Any]] = []
    for key, obj in objs.items():
        if isinstance(obj, Mapping):
            out += _walk(obj, prefix + (key,))
        else:
            out.append((prefix + (key,), obj))
    return out


def _owner(optimizer: torch.optim.Optimizer, modules: list[nn.Module], name: str) -> nn.Module:
    """The module in ``modules`` that holds every parameter ``optimizer`` updates."""
    params = {id(p) for group in optimizer.param_groups for p in group["params"]}
    for module in modules:
        if params <= {id(p) for p in module.parameters()}:
            return module
    raise ValueError(
        f"Sharded checkpoints save an optimizer by the parameter names of its model, but no model among the "
        f"objects holds every parameter of optimizer '{name}': put that model in the same mapping"
    )


def _set(tree: dict, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def sharded_state_dicts(objs: Mapping) -> dict[str, Any]:
    """The state dicts of ``objs`` (same nesting) in the form DCP reshards.

    Modules give ``get_model_state_dict`` (DTensor shards under FSDP2, plain tensors otherwise); an optimizer
    gives ``get_optimizer_state_dict`` keyed by the parameter names of the module among ``objs`` that owns its
    parameters; any other object its own ``state_dict()``. Collective under FSDP2: every rank calls it.
    """
    from torch.distributed.checkpoint.state_dict import get_model_state_dict, get_optimizer_state_dict

    items = _walk(objs)
    modules = [_unwrap(o) for _, o in items if isinstance(_unwrap(o), nn.Module)]
    out: dict[str, Any] = {}
    for path, obj in items:
        obj = _unwrap(obj)
        if isinstance(obj, nn.Module):
            value: Any = get_model_state_dict(obj)
        elif isinstance(obj, torch.optim.Optimizer):
            value = get_optimizer_state_dict(_owner(obj, modules, ".".join(map(str, path))), obj)
        else:
            value = obj.state_dict()
        _set(out, path, value)
    return out


class DCPSaver(BaseSaveHandler):
    """Write each checkpoint of a :class:`~ignite.handlers.checkpoint.Checkpoint` as a ``torch.distributed.checkpoint``
    directory, every rank writing its own shards.

    ```python
    model = idist.auto_model(model, fsdp=True, fsdp_policy={Block})
    optimizer = torch.optim.AdamW(model.parameters())
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
    handler = Checkpoint(to_save, DCPSaver("runs/ckpt"), n_saved=2)   # runs/ckpt/checkpoint_<iteration>.dcp/
    trainer.add_event_handler(Events.EPOCH_COMPLETED, handler)
    ...
    Checkpoint.load_objects(to_load=to_save, checkpoint=handler.last_checkpoint)  # on any number of ranks
    ```

    Every rank must construct the saver and call the handler (as with FSDP2 anyway). Models are saved with
    ``get_model_state_dict`` and optimizers with ``get_optimizer_state_dict`` (keyed by parameter names, so the
    optimizer's model must be among the saved objects); :func:`load_dcp` (what ``Checkpoint.load_objects`` runs
    for a directory) reshards them onto the current world size, 1 process included.

    Atomicity: the ranks write into ``.<name>.dcp-tmp`` next to the target; once all ranks finished (DCP writes
    its ``.metadata`` last, after gathering every rank's results), rank 0 fsyncs it and renames it to ``<name>``.
    :class:`Checkpoint` lists a checkpoint only after that and removes the one it evicts afterwards, so a process
    killed at any moment leaves the listed checkpoints complete. A replaced directory of the same name is first
    renamed to ``.<name>.dcp-old``; a saver created on the directory later removes stale temporaries and puts back
    an old directory whose replacement never arrived.

    Args:
        dirname: the directory that holds the checkpoint directories.
        create_dir: create it if missing.
        require_empty: refuse a directory that already holds DCP checkpoints.
        thread_count: writer threads per rank (``FileSystemWriter``).
        sync_files: fsync every written file (``FileSystemWriter``); on by default for the atomicity promise.

    Asynchronous saves (``Checkpoint(..., async_save=True)``, see :meth:`save_async`): the handler returns once
    every rank copied its shards to CPU; the ranks write them in the background, and the directory is renamed into
    place, fsynced and listed only after the write succeeded on every rank. Call ``Checkpoint.wait()`` on every
    rank before the process group is destroyed (e.g. on the trainer's ``COMPLETED``).
    """

    #: Checkpoint calls this handler on every rank and builds the state with :meth:`state_dicts`.
    collective = True
    #: extension of the checkpoint directories' names
    ext = "dcp"

    def __init__(
        self,
        dirname: str | Path,
        create_dir: bool = True,
        require_empty: bool = True,
        thread_count: int = 1,
        sync_files: bool = True,
    ) -> None:
        if not isinstance(thread_count, int) or thread_count < 1:
            raise ValueError(f"Argument thread_count should be a positive integer, got {thread_count!r}")
        self.dirname = Path(dirname).expanduser()
        self._group: Any = None  # the gloo group of background saves, made by the first one
        self.thread_count = thread_count
        self.sync_files = sync_files
        if _dist()[0] == 0:
            if create_dir:
                self.dirname.mkdir(parents=True, exist_ok=True)
            if not self.dirname.is_dir():
                raise ValueError(f"Argument dirname: directory '{self.dirname}' is not found")
            self._recover()
            if require_empty:
                found = sorted(p.name for p in self.dirname.iterdir() if (p / _METADATA).is_file())
                if found:
                    raise ValueError(
                        f"Checkpoints {found} are already present in the directory {self.dirname}. If you want to "
                        "use this directory anyway, pass `require_empty=False`."
                    )
        _barrier()

    def _recover(self) -> None:
        """Remove temporaries of interrupted saves; restore an old directory whose replacement never arrived."""
        for entry in list(self.dirname.iterdir()):
            name = entry.name
            if name.startswith(".") and name.endswith(_TMP):
                shutil.rmtree(entry, ignore_errors=True)
            elif name.startswith(".") and name.endswith(_OLD):
                final = self.dirname / name[1 : -len(_OLD)]
                if final.exists():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    os.replace(entry, final)

    def state_dicts(self, to_save: Mapping) -> dict[str, Any]:
        """What :class:`Checkpoint` saves for ``to_save`` (see :func:`sharded_state_dicts`)."""
        return sharded_state_dicts(to_save)

    def __call__(self, checkpoint: Mapping, filename: str, metadata: Mapping | None = None) -> None:
        import torch.distributed.checkpoint as dcp

        if not isinstance(checkpoint, Mapping):
            raise TypeError(f"DCPSaver saves a mapping of state dicts, got {type(checkpoint).__name__}")
        rank, up = _dist()
        final, tmp = self._prepare(filename)
        writer = dcp.FileSystemWriter(tmp, thread_count=self.thread_count, sync_files=self.sync_files)
        try:
            with _single_process_quiet(up):
                dcp.save(dict(checkpoint), storage_writer=writer, no_dist=not up)
        except BaseException as e:
            if rank == 0:
                shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(e, dcp.api.CheckpointException):  # a BaseException: would slip past `except Exception`
                raise RuntimeError(f"Saving sharded checkpoint '{final}' failed: {e}") from e
            raise
        _barrier()
        if rank == 0:
            self._publish(tmp, final)
        _barrier()

    def _prepare(self, filename: str) -> tuple[Path, Path]:
        """The target directory and its (emptied) temporary; every rank returns once rank 0 emptied it."""
        final = self.dirname / filename
        tmp = self.dirname / f".{filename}{_TMP}"
        if _dist()[0] == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        _barrier()
        return final, tmp

    def _save_group(self) -> Any:
        """The process group of background saves: a new gloo group over all ranks, made on first use (every rank
        calls it then). Its own group keeps the background collectives apart from the loop's (and gives a CPU
        backend, which ``async_save`` needs, next to ``nccl``)."""
        if not _dist()[1]:
            return None
        if self._group is None:
            import torch.distributed as dist

            self._group = dist.new_group(backend="gloo")
        return self._group

    def save_async(self, checkpoint: Mapping, filename: str, metadata: Mapping | None = None) -> Callable[[], None]:
        """Stage ``checkpoint`` to CPU and start writing it in the background; return the function that completes
        the save (every rank calls both, in the same order).

        The call blocks only while ``torch.distributed.checkpoint.async_save`` copies this rank's shards to CPU.
        The returned function, run later off the training loop (:class:`Checkpoint` runs it in its background
        writer), waits for the write, checks that it succeeded on every rank, and then (rank 0) fsyncs and renames
        the directory into place; it raises ``RuntimeError`` naming the directory if any rank failed, leaving no
        temporary behind.
        """
        import torch.distributed.checkpoint as dcp

        if not isinstance(checkpoint, Mapping):
            raise TypeError(f"DCPSaver saves a mapping of state dicts, got {type(checkpoint).__name__}")
        rank, up = _dist()
        group = self._save_group()
        if not up:  # the background thread's save warns that it runs in one process: that is what we ask for
            warnings.filterwarnings("ignore", message=_SINGLE_PROCESS_SAVE, category=UserWarning)
        final, tmp = self._prepare(filename)
        writer = dcp.FileSystemWriter(tmp, thread_count=self.thread_count, sync_files=self.sync_files)
        try:
            with _single_process_quiet(up):
                response = dcp.async_save(dict(checkpoint), storage_writer=writer, process_group=group, no_dist=not up)
            # a Future, or (with a stager that copies in the background; not FileSystemWriter's) a pair of them
            future: Any = getattr(response, "upload_completion", response)
        except BaseException as e:  # staging failed (the copy is local: nothing was written)
            if rank == 0:
                shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError(f"Saving sharded checkpoint '{final}' failed: {e}") from e

        def finish() -> None:
            error: BaseException | None = None
            try:
                future.result()
            except BaseException as e:  # a CheckpointException (a BaseException) gathers every rank's errors
                error = e
            written = _all_ok(error is None, group)  # on every rank: only then may the directory be published
            if rank == 0:
                if written:
                    try:
                        self._publish(tmp, final)
                    except BaseException as e:
                        error = e
                if error is not None or not written:
                    shutil.rmtree(tmp, ignore_errors=True)
            published = _all_ok(error is None, group)  # also the barrier: rank 0 renamed it (or failed)
            if error is not None:
                raise RuntimeError(f"Saving sharded checkpoint '{final}' failed: {error}") from error
            if not published:
                raise RuntimeError(f"Saving sharded checkpoint '{final}' failed on another rank")

        return finish

    def _publish(self, tmp: Path, final: Path) -> None:
        _fsync_dir(tmp)
        old = None
        if final.exists():
            old = self.dirname / f".{final.name}{_OLD}"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
        os.replace(tmp, final)
        _fsync_dir(self.dirname)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def remove(self, filename: str) -> None:
        """Delete the checkpoint directory ``filename`` (rank 0 deletes, every rank waits for it).

        Rank 0 deletes only once every rank has called this, i.e. has stopped listing ``filename`` (``Checkpoint``
        updates its list before removing what it evicted): no rank lists a directory being deleted. Once this
        saver made a background save, it synchronises on that save's process group: ``Checkpoint`` then removes
        evicted checkpoints from its background writer.
        """
        _barrier(self._group)
        if _dist()[0] == 0:
            shutil.rmtree(self.dirname / filename, ignore_errors=True)
        _barrier(self._group)


def _flat_keys(tree: Mapping) -> set[str]:
    from torch.distributed.checkpoint._nested_dict import flatten_state_dict

    return set(flatten_state_dict(dict(tree))[0])


def _template_from_metadata(metadata: Any, prefix: tuple) -> Any:
    """A structure to load the saved entries under ``prefix`` into (for objects that are neither modules nor
    optimizers): the saved nesting, tensors allocated at their full size."""
    from torch.distributed.checkpoint.metadata import TensorStorageMetadata

    tree: dict = {}
    for fqn, path in (metadata.planner_data or {}).items():
        if tuple(path[: len(prefix)]) != prefix:
            continue
        meta = metadata.state_dict_metadata[fqn]
        if isinstance(meta, TensorStorageMetadata):
            value: Any = torch.empty(meta.size, dtype=meta.properties.dtype)
        else:
            value = None
        _set(tree, ("root",) + tuple(path[len(prefix) :]), value)
    return tree.get("root")


def _lists(tree: Any) -> Any:
    """Dicts keyed 0..n-1 (how a nested path is rebuilt) back into lists."""
    if isinstance(tree, dict):
        tree = {k: _lists(v) for k, v in tree.items()}
        if tree and all(isinstance(k, int) for k in tree) and sorted(tree) == list(range(len(tree))):
            return [tree[i] for i in range(len(tree))]
    return tree


def load_dcp(to_load: Mapping, checkpoint: str | Path, strict: bool = True) -> None:
    """Load ``to_load`` from the DCP directory ``checkpoint`` onto the current world size (all ranks call it).

    Modules and optimizers are resharded (saved on 2 ranks, loaded on 1 or 3, or the other way round). With
    ``strict`` (default) a checkpoint whose model or optimizer entries differ from the objects' raises
    ``RuntimeError`` naming the missing and the unexpected keys; with ``strict=False`` the common keys are loaded.
    With one object in ``to_load`` whose key is not in the checkpoint, the whole checkpoint is that object's state.

    ```python
    load_dcp({"model": model, "optimizer": optimizer, "trainer": trainer}, "runs/ckpt/checkpoint_100.dcp")
    ```
    """
    import torch.distributed.checkpoint as dcp

    path = Path(checkpoint)
    if not (path / _METADATA).is_file():
        raise FileNotFoundError(f"Argument checkpoint: '{path}' is not a torch.distributed.checkpoint directory")
    reader = dcp.FileSystemReader(path)
    metadata = reader.read_metadata()
    tops = {p[0] for p in (metadata.planner_data or {}).values()}
    whole = len(to_load) == 1 and next(iter(to_load)) not in tops

    items = [(p, _unwrap(o)) for p, o in _walk(to_load)]
    state, owners = _load_templates(items, metadata, whole, path)
    if strict:
        saved = set(metadata.state_dict_metadata)
        for path_, obj in items:
            if isinstance(obj, (nn.Module, torch.optim.Optimizer)):
                _check_keys(_get(state, path_), () if whole else path_, saved, path)
    up = _dist()[1]
    with _single_process_quiet(up):
        dcp.load(
            state[next(iter(to_load))] if whole else state,
            storage_reader=reader,
            planner=dcp.DefaultLoadPlanner(allow_partial_load=not strict),
            no_dist=not up,
        )
    _apply(items, state, owners, strict)


def _load_templates(
    items: list[tuple[tuple, Any]], metadata: Any, whole: bool, path: Path
) -> tuple[dict[str, Any], dict[tuple, nn.Module]]:
    """The structure DCP loads into (the objects' own sharded state dicts; for other objects the saved nesting),
    and the owning module of each optimizer."""
    from torch.distributed.checkpoint.state_dict import get_model_state_dict, get_optimizer_state_dict

    modules = [o for _, o in items if isinstance(o, nn.Module)]
    state: dict[str, Any] = {}
    owners: dict[tuple, nn.Module] = {}
    for path_, obj in items:
        value: Any
        if isinstance(obj, nn.Module):
            value = get_model_state_dict(obj)
        elif isinstance(obj, torch.optim.Optimizer):
            owners[path_] = _owner(obj, modules, ".".join(map(str, path_)))
            value = get_optimizer_state_dict(owners[path_], obj)
        else:
            value = _template_from_metadata(metadata, () if whole else tuple(map(str, path_)))
            if value is None:
                raise RuntimeError(f"Error loading '{'.'.join(map(str, path_))}': not in checkpoint '{path}'")
        _set(state, path_, value)
    return state, owners


def _apply(items: list[tuple[tuple, Any]], state: dict, owners: dict[tuple, nn.Module], strict: bool) -> None:
    """Put the loaded state into the objects (modules and optimizers through torch's resharding setters)."""
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        set_model_state_dict,
        set_optimizer_state_dict,
    )

    options = StateDictOptions(strict=strict)
    for path_, obj in items:
        value = _get(state, path_)
        if isinstance(obj, nn.Module):
            set_model_state_dict(obj, value, options=options)
        elif isinstance(obj, torch.optim.Optimizer):
            set_optimizer_state_dict(owners[path_], obj, value, options=options)
        else:
            obj.load_state_dict(_lists(value))


def _get(tree: Mapping, path: tuple) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _check_keys(value: Any, prefix: tuple, saved: set[str], path: Path) -> None:
    """Raise naming the missing and unexpected keys of one module's or optimizer's entries."""
    dotted = ".".join(map(str, prefix))
    keys = {f"{dotted}.{k}" if dotted else k for k in _flat_keys(value)} if isinstance(value, Mapping) else set()
    under = {k for k in saved if not dotted or k.startswith(dotted + ".")}
    missing = sorted(keys - under)
    unexpected = sorted(under - keys)
    if missing or unexpected:
        raise RuntimeError(
            f"Error loading '{dotted or 'the object'}' from sharded checkpoint '{path}': its structure differs. "
            f"Missing keys (in the object, not in the checkpoint): {missing}. "
            f"Unexpected keys (in the checkpoint, not in the object): {unexpected}."
        )
