"""CPU snapshots of checkpoints for asynchronous saves.

The training loop is blocked only while the tensors are copied; the file is written from the copies by a
background thread. The copy is what remains of a save's cost on the loop, so it is made as cheap as the memory
allows: copy buffers are kept from one save to the next (fresh memory costs a page fault per 4 KiB page, which
doubles the time of a plain ``clone()``), and large host copies are split across several threads (one thread
reaches about half of the machine's memory bandwidth).
"""

from __future__ import annotations

import copy
import numbers
import os
import threading
from typing import Any

import torch
import torch.nn as nn

from ignite.utils import _tree_map

__all__ = ["_Snapshotter"]

# host copies are split into pieces of this many bytes, shared among the copy threads
_PIECE = 4 << 20
# below this total a single thread copies (starting threads costs more than it saves)
_PARALLEL_MIN_BYTES = 16 << 20
_MAX_COPY_THREADS = 8


def _copy_threads() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, _MAX_COPY_THREADS))


def _bytes_view(storage: torch.UntypedStorage) -> torch.Tensor:
    return torch.empty(0, dtype=torch.uint8, device=storage.device).set_(storage)


def _parallel_copy(pairs: list[tuple[torch.UntypedStorage, torch.UntypedStorage]]) -> None:
    """``dst.copy_(src)`` for every host pair, in pieces spread over threads when the total is large."""
    total = sum(src.nbytes() for _, src in pairs)
    threads = _copy_threads()
    if threads == 1 or total < _PARALLEL_MIN_BYTES:
        for dst, src in pairs:
            dst.copy_(src)
        return
    pieces: list[tuple[torch.Tensor, torch.Tensor]] = []
    for dst, src in pairs:
        d, s = _bytes_view(dst), _bytes_view(src)
        n = src.nbytes()
        for start in range(0, n, _PIECE):
            stop = min(start + _PIECE, n)
            pieces.append((d[start:stop], s[start:stop]))
    # each worker takes every k-th piece: equal shares without a queue; copy_ releases the GIL
    errors: list[BaseException] = []

    def work(first: int) -> None:
        try:
            for d, s in pieces[first::threads]:
                d.copy_(s)
        except BaseException as e:  # re-raised in the calling thread
            errors.append(e)

    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(1, threads)]
    for w in workers:
        w.start()
    work(0)
    for w in workers:
        w.join()
    if errors:
        raise errors[0]


class _Snapshotter:
    """Copies the tensors of a checkpoint to CPU into buffers kept from one save to the next.

    Storages are copied whole and views rebuilt on the copies, so shared storage stays shared (as
    ``torch.save`` writes it). Buffers are matched by the source storage's pointer, size and device.
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
            ):
                return t.detach().to("cpu", copy=True)
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
            return torch.empty(0, dtype=t.dtype).set_(dst, t.storage_offset(), t.size(), t.stride())

        def leaf(x: Any, key: Any = None) -> Any:
            if isinstance(x, torch.Tensor):
                return snap(x)
            if x is None or isinstance(x, (numbers.Number, str, bytes, torch.dtype, torch.device)):
                return x
            return copy.deepcopy(x)

        out = _tree_map(leaf, obj)
        _parallel_copy(host_copies)
        if needs_sync:
            torch.cuda.synchronize()
        self._buffers = used
        return out
