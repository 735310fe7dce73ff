"""Re-creating a pass over the data at a given batch: by index (nothing loaded) or by fetching and discarding.

Used by ``ExactResume`` (plain ``Engine``) and by ``DeterministicEngine`` when an exact resume positions its data.
The caller sets the random states the pass was drawn from before calling :func:`position_pass`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

__all__ = [
    "position_pass",
    "skip_by_indices",
    "describe_sampler",
    "global_consumed",
    "elastic_share",
    "iterate_share",
    "global_order",
]

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


# ------------------------------------------------------------------------------------------------ elastic resume
# A DistributedSampler on W ranks deals one global order: the sample at global position p goes to rank p % W, as
# that rank's (p // W)-th sample. After every rank has consumed s samples, the consumed ones are exactly the first
# W * s of the global order, whatever W is; a resume on W' ranks deals the rest of that order the same way.


def distributed_sampler(data: Any) -> Any:
    """The ``DistributedSampler`` of a ``DataLoader``, or ``None``."""
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    if isinstance(data, DataLoader) and isinstance(data.sampler, DistributedSampler):
        return data.sampler
    return None


def describe_sampler(data: Any) -> dict[str, Any] | None:
    """What re-creates the global order of the current pass of ``data`` (plain values), or ``None``."""
    sampler = distributed_sampler(data)
    if sampler is None or data.batch_size is None:
        return None
    return {
        "kind": "DistributedSampler",
        "num_replicas": int(sampler.num_replicas),
        "epoch": int(sampler.epoch),
        "seed": int(sampler.seed),
        "shuffle": bool(sampler.shuffle),
        "drop_last": bool(sampler.drop_last),
        "dataset_length": len(sampler.dataset),
        "num_samples": int(sampler.num_samples),
        "batch_size": int(data.batch_size),
        # the part of the order this pass deals: from ``offset``, to ``dealt_to`` ranks, ``share_length`` each
        # (a resumed pass on another world deals the rest of the interrupted pass's order)
        "offset": 0,
        "dealt_to": int(sampler.num_replicas),
        "share_length": int(sampler.num_samples),
    }


def global_consumed(saved: dict[str, Any], consumed: int) -> int:
    """How many samples of the global order were used once each dealt rank had drawn ``consumed`` batches."""
    return saved["offset"] + saved["dealt_to"] * min(consumed * saved["batch_size"], saved["share_length"])


def global_order(dataset: Any, saved: dict[str, Any]) -> list[int]:
    """The global sample order of the saved pass: the ranks' orders of torch's own sampler, interleaved."""
    from torch.utils.data.distributed import DistributedSampler

    world = saved["num_replicas"]
    per_rank = []
    for rank in range(world):
        sampler: DistributedSampler = DistributedSampler(
            dataset,
            num_replicas=world,
            rank=rank,
            shuffle=saved["shuffle"],
            seed=saved["seed"],
            drop_last=saved["drop_last"],
        )
        sampler.set_epoch(saved["epoch"])
        per_rank.append(list(sampler))
    return [per_rank[r][i] for i in range(len(per_rank[0])) for r in range(world)]


def elastic_share(data: Any, saved: dict[str, Any], consumed: int) -> list[int]:
    """This rank's share of the rest of the saved pass, after ``consumed`` batches on every saving rank.

    Raises ``ValueError`` where the rest cannot be dealt exactly (each sample once) to the current ranks.
    """
    sampler = distributed_sampler(data)
    if sampler is None:
        raise ValueError(
            "ExactResume: the checkpoint was taken inside a pass over a DistributedSampler on "
            f"{saved['num_replicas']} ranks; the data of this run has no DistributedSampler to continue it"
        )
    if len(sampler.dataset) != saved["dataset_length"]:
        raise ValueError(
            f"ExactResume: the dataset has {len(sampler.dataset)} samples, the checkpoint was taken on "
            f"{saved['dataset_length']}"
        )
    rest = global_order(sampler.dataset, saved)[global_consumed(saved, consumed) :]
    world = sampler.num_replicas
    if len(rest) % world:
        raise ValueError(
            f"ExactResume: {len(rest)} samples are left in the interrupted pass (saved on {saved['num_replicas']} "
            f"ranks), which {world} ranks cannot share equally; resuming would repeat or drop samples. "
            f"Resume on a number of ranks that divides {len(rest)}, or on {saved['num_replicas']}."
        )
    share = rest[sampler.rank :: world]
    if data.drop_last and len(share) % data.batch_size:
        raise ValueError(
            f"ExactResume: each of the {world} ranks has {len(share)} samples left in the interrupted pass, not a "
            f"multiple of batch_size={data.batch_size}, and the DataLoader has drop_last=True: samples would be lost"
        )
    return share


def iterate_share(data: Any, share: list[int]) -> Iterator:
    """An iterator over ``data`` (a ``DataLoader``) that yields the batches of the sample indices ``share``."""
    from torch.utils.data import BatchSampler

    from ignite.engine.deterministic import update_dataloader

    return iter(update_dataloader(data, BatchSampler(share, data.batch_size, data.drop_last)))  # type: ignore[arg-type]
