"""CPU snapshots of checkpoints for asynchronous saves.

The training loop is blocked only while the tensors are copied; the file is written from the copies by a
background thread. The copy is what remains of a save's cost on the loop, so it is made as cheap as the memory
allows: copy buffers are kept from one save to the next (fresh memory costs a page fault per 4 KiB page, which
doubles the time of a plain ``clone()``), and large host copies are shared with helper threads when CPUs are
idle (one thread reaches only part of a large machine's memory bandwidth).
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn as nn

__all__ = ["_Snapshotter"]

# host copies are split into pieces of this many bytes, shared among the copy threads
_PIECE = 16 << 20
# below this total a single thread copies (starting threads costs more than it saves)
_PARALLEL_MIN_BYTES = 32 << 20
_MAX_COPY_THREADS = 8


def _copy_threads() -> int:
    """The calling thread plus one helper per idle CPU (by the load average), at most ``_MAX_COPY_THREADS``.

    On a busy machine helpers only compete with the caller for the memory bus and the CPUs: measured on a
    loaded 2-CPU machine, two threads copied 150 MB in 1.1-1.4x the time of one ``memcpy``.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]  # includes the calling process itself
    except (AttributeError, OSError):
        busy = 0.0
    return max(1, min(cpus, _MAX_COPY_THREADS, 1 + int(cpus - busy)))


def _memmove(dst: int, src: int, nbytes: int) -> None:
    """``memcpy`` between host addresses (ctypes releases the GIL). torch's ``copy_`` ran 5-8x slower than this
    on 16 MB of float32 on the development VM, so host copies use it."""
    import ctypes  # cheap once imported; kept out of ``import ignite``

    ctypes.memmove(dst, src, nbytes)


def _parallel_copy(pairs: list[tuple[torch.UntypedStorage, torch.UntypedStorage]]) -> None:
    """Copy every host pair ``(dst, src)``, in pieces shared with helper threads when the total is large.

    Pieces are claimed one at a time, so the calling thread never waits for a piece that no helper has started:
    on a busy machine where the helpers are not scheduled, it copies everything itself (one memcpy's time)
    and waits at most for the pieces a helper is in the middle of.
    """
    total = sum(src.nbytes() for _, src in pairs)
    threads = _copy_threads()
    if threads == 1 or total < _PARALLEL_MIN_BYTES:
        for dst, src in pairs:
            _memmove(dst.data_ptr(), src.data_ptr(), src.nbytes())
        return
    pieces: list[tuple[int, int, int]] = []  # (dst address, src address, bytes)
    for dst, src in pairs:
        d, s, n = dst.data_ptr(), src.data_ptr(), src.nbytes()
        for start in range(0, n, _PIECE):
            pieces.append((d + start, s + start, min(_PIECE, n - start)))
    claims = iter(range(len(pieces)))
    cond = threading.Condition()
    state = {"claimed": 0, "done": 0}  # pieces claimed / finished by helpers
    errors: list[BaseException] = []

    def helper() -> None:
        while True:
            with cond:
                i = next(claims, None)
                if i is None or errors:
                    return
                state["claimed"] += 1
            try:
                _memmove(*pieces[i])
            except BaseException as e:  # re-raised in the calling thread
                errors.append(e)
            with cond:
                state["done"] += 1
                cond.notify_all()

    for _ in range(threads - 1):
        threading.Thread(target=helper, daemon=True).start()
    while True:
        with cond:
            i = next(claims, None)
        if i is None:
            break
        _memmove(*pieces[i])
    with cond:
        cond.wait_for(lambda: state["done"] == state["claimed"])
    if errors:
        raise errors[0]


def _tensors(obj: Any, found: dict[int, torch.Tensor]) -> None:
    """Collect the tensors of a tree of mappings, lists and tuples (by id, each once)."""
    if isinstance(obj, torch.Tensor):
        found.setdefault(id(obj), obj)
    elif isinstance(obj, Mapping):
        for v in obj.values():
            _tensors(v, found)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _tensors(v, found)


class _Snapshotter:
    """Copies the tensors of a checkpoint to CPU into buffers kept from one save to the next.

    Storages are copied whole and views rebuilt on the copies, so shared storage stays shared (as
    ``torch.save`` writes it). Buffers are matched by the source storage's pointer, size and device. The rest of
    the checkpoint is deep-copied with the tensors replaced by their copies, so that everything ``torch.save``
    writes (container types, a state dict's ``_metadata``, parameters and ``requires_grad``) is the same and
    the file of a CPU checkpoint is byte-identical to a synchronous save's.
    """

    def __init__(self) -> None:
        self._buffers: dict[tuple, torch.UntypedStorage] = {}

    def __call__(self, obj: Any) -> Any:
        used: dict[tuple, torch.UntypedStorage] = {}
        host_copies: list[tuple[torch.UntypedStorage, torch.UntypedStorage]] = []
        needs_sync = False

        def snap(t: torch.Tensor) -> torch.Tensor:
            nonlocal needs_sync
            if (
                t.layout != torch.strided
                or t.is_quantized
                or t.is_nested
                or type(t) not in (torch.Tensor, nn.Parameter)
                or t.__dict__
            ):
                return copy.deepcopy(t) if t.device.type == "cpu" else t.detach().to("cpu", copy=True)
            src = t.untyped_storage()
            key = (src.data_ptr(), src.nbytes(), str(src.device))
            dst = used.get(key)
            if dst is None:
                dst = self._buffers.get(key)
                if dst is None:
                    dst = torch.UntypedStorage(src.nbytes(), device="cpu")
                    if src.device.type == "cuda":
                        dst = dst.pin_memory()
                if src.device.type == "cuda":
                    dst.copy_(src, non_blocking=True)
                    needs_sync = True
                else:
                    host_copies.append((dst, src))  # copied below, all at once
                used[key] = dst
            out = torch.empty(0, dtype=t.dtype).set_(dst, t.storage_offset(), t.size(), t.stride())
            if type(t) is nn.Parameter:
                return nn.Parameter(out, requires_grad=t.requires_grad)
            return out.requires_grad_(t.requires_grad)

        found: dict[int, torch.Tensor] = {}
        _tensors(obj, found)
        memo: dict[int, Any] = {key: snap(t) for key, t in found.items()}
        memo[id(memo)] = list(found.values())  # deepcopy's keep-alive list: the originals outlive the copy
        out = copy.deepcopy(obj, memo)
        _parallel_copy(host_copies)
        if needs_sync:
            torch.cuda.synchronize()
        self._buffers = used
        return out
