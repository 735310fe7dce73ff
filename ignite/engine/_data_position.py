"""Re-creating a pass over the data at a given batch: by index (nothing loaded) or by fetching and discarding.

Used by ``ExactResume`` (plain ``Engine``) and by ``DeterministicEngine`` when an exact resume positions its data.
The caller sets the random states the pass was drawn from before calling :func:`position_pass`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["position_pass", "skip_by_indices"]

_END = object()


class _SkipBatches:
    """A batch sampler for one pass: the batches of ``batch_sampler`` after the first ``skip`` (none is loaded).

    :meth:`start` draws the pass (the sampler's random permutation) and skips; it runs on the first pull at the
    latest, but :func:`position_pass` calls it right after creating the loader's iterator, so that the
    permutation is drawn at the same point of the random stream as in an uninterrupted run (after the loader's
    own seed, before anything that happens between creating the iterator and pulling the first batch).
    """

    def __init__(self, batch_sampler: Iterable, skip: int) -> None:
        self.batch_sampler = batch_sampler
        self.skip = skip
        self.sampler = getattr(batch_sampler, "sampler", None)
        self._it: Iterator | None = None

    def start(self) -> None:
        if self._it is None:
            it = iter(self.batch_sampler)
            for _ in range(self.skip):
                if next(it, _END) is _END:
                    break
            self._it = it

    def __iter__(self) -> Iterator:
        self._it = None
        return self._batches()

    def _batches(self) -> Iterator:
        self.start()
        yield from self._it  # type: ignore[misc]

    def __len__(self) -> int:
        return max(len(self.batch_sampler) - self.skip, 0)  # type: ignore[arg-type]


def skip_by_indices(data: Any) -> bool:
    """Whether ``data`` is a ``DataLoader`` whose skipped batches can be dropped by index with the same result.

    With workers the batches must be fetched: each worker's random state (augmentation) depends on the samples
    it has already produced.
    """
    from torch.utils.data import DataLoader

    return (
        isinstance(data, DataLoader)
        and data.num_workers == 0
        and data.batch_sampler is not None
        and getattr(data, "_dataset_kind", 0) == 0
    )


def position_pass(data: Iterable, consumed: int, data_skip: str = "auto") -> Iterator:
    """A new iterator over ``data`` whose first ``consumed`` batches are already skipped.

    ``data_skip``: ``"indices"`` drops them by index (a ``DataLoader`` with a batch sampler), ``"fetch"`` pulls
    and discards them, ``"auto"`` picks ``"indices"`` where :func:`skip_by_indices` allows it.
    """
    resumes_itself = getattr(data, "_resumes_itself", None)
    if resumes_itself is not None and resumes_itself():
        return iter(data)  # data loaded with its own position (``CombinedLoader``): it is positioned already
    by_indices = data_skip == "indices" or (data_skip == "auto" and skip_by_indices(data))
    if by_indices and consumed > 0:
        from ignite.engine.deterministic import update_dataloader

        skipper = _SkipBatches(data.batch_sampler, consumed)  # type: ignore[attr-defined]
        it = iter(update_dataloader(data, skipper))  # type: ignore[arg-type]
        skipper.start()
        return it
    it = iter(data)
    for _ in range(consumed):
        if next(it, _END) is _END:
            break
    return it
