"""Reproducible runs: per-epoch seeding, resumable batch samplers and RNG snapshots."""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

import torch
from torch.utils.data import DataLoader
from torch.utils.data.sampler import BatchSampler

from ignite import _rng
from ignite.engine._data_position import position_pass
from ignite.engine.engine import Engine
from ignite.engine.events import Events
from ignite.utils import manual_seed

__all__ = ["update_dataloader", "keep_random_state", "ReproducibleBatchSampler", "DeterministicEngine"]


def update_dataloader(dataloader: DataLoader, new_batch_sampler: BatchSampler) -> DataLoader:
    """Rebuild ``dataloader`` (same class and options) around ``new_batch_sampler``."""
    params_keys = [k for k in dataloader.__dict__.keys() if not k.startswith("_")]
    for k in ("batch_size", "sampler", "drop_last", "batch_sampler", "dataset_kind"):
        if k in params_keys:
            params_keys.remove(k)
    params = {k: getattr(dataloader, k) for k in params_keys}
    params["batch_sampler"] = new_batch_sampler
    return type(dataloader)(**params)


class _Pass:
    """One pass of a :class:`ReproducibleBatchSampler`: drawn at the first ``next`` (as a generator would be, so
    the RNG use matches a plain loader's) or earlier by ``draw``."""

    def __init__(self, owner: ReproducibleBatchSampler) -> None:
        self._owner = owner
        self._batches: Iterator[list[int]] | None = None

    def draw(self) -> None:
        if self._batches is None:
            self._owner.setup_batch_indices()
            self._batches = iter(self._owner.batch_indices or [])

    def __iter__(self) -> _Pass:
        return self

    def __next__(self) -> list[int]:
        if self._batches is None:
            self.draw()
        return next(self._batches)  # type: ignore[arg-type]


class ReproducibleBatchSampler(BatchSampler):
    """Batch sampler that draws one pass of ``batch_sampler`` at ``__iter__`` and can skip its first batches.

    Re-seeding the global RNG before each pass reproduces the pass; ``start_iteration`` skips that many
    batches of the next pass without loading any data.
    """

    def __init__(self, batch_sampler: BatchSampler, start_iteration: int | None = None) -> None:
        if not isinstance(batch_sampler, BatchSampler):
            raise TypeError("Argument batch_sampler should be torch.utils.data.sampler.BatchSampler")
        self.batch_indices: list | None = None
        self.batch_sampler = batch_sampler
        self.start_iteration = start_iteration
        self.sampler = self.batch_sampler.sampler

    def setup_batch_indices(self) -> None:
        self.batch_indices = []
        for batch in self.batch_sampler:
            self.batch_indices.append(batch)
        if self.start_iteration is not None:
            self.batch_indices = self.batch_indices[self.start_iteration :]
            self.start_iteration = None

    def __iter__(self) -> Iterator[list[int]]:
        self._pending = _Pass(self)
        return self._pending

    def _draw_pending(self) -> None:
        """Draw the pass of the iterator handed out last, if its first batch was not asked for yet."""
        pending = getattr(self, "_pending", None)
        if pending is not None:
            pending.draw()

    def __len__(self) -> int:
        return len(self.batch_sampler)


_get_rng_states = _rng.capture_list
_set_rng_states = _rng.restore_list


def _repr_rng_state(rng_states: list[Any]) -> str:
    return " ".join(hashlib.md5(str(list(s)).encode()).hexdigest() for s in rng_states)


def keep_random_state(func: Callable) -> Callable:
    """Decorator restoring the Python, torch and numpy RNG states after ``func`` (even if it raises).

    Returns ``func``'s result (upstream drops it).
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rng_states = _get_rng_states()
        try:
            return func(*args, **kwargs)
        finally:
            _set_rng_states(rng_states)

    return wrapper


def _init_run_handler(engine: DeterministicEngine) -> None:
    engine._init_run()


def _setup_seed_handler(engine: DeterministicEngine, iter_counter: int | None = None) -> None:
    engine._setup_seed(iter_counter=iter_counter)


class DeterministicEngine(Engine):
    """Engine whose data order is reproducible and resumable from any iteration.

    Each pass over the data is sampled with seed ``state.seed + passes_so_far``; a run resumed from a
    checkpoint skips the already-seen batches (for a ``DataLoader``, by index, without loading them) and
    restores the RNG states saved in ``state_dict()`` when resuming mid-pass.
    """

    def __init__(self, process_function: Callable[[Engine, Any], Any]) -> None:
        super().__init__(process_function)
        self.state_dict_user_keys.append("rng_states")
        if not hasattr(self.state, "rng_states"):
            self.state.rng_states = None  # type: ignore[attr-defined]
        self._dataloader_len: int | None = None
        self._exact_skip: str | None = None  # set by ExactResume for the run it resumes (see _position_exactly)
        # module-level functions (not bound methods) so that no engine <-> handler cycle forms
        self.add_event_handler(Events.STARTED, _init_run_handler)
        self.add_event_handler(Events.DATALOADER_STOP_ITERATION | Events.TERMINATE_SINGLE_EPOCH, _setup_seed_handler)

    def state_dict(self) -> OrderedDict:
        state_dict = super().state_dict()
        state_dict["rng_states"] = _get_rng_states()
        return state_dict

    def _init_run(self) -> None:
        self._exact_skip = None
        self.state.seed = int(torch.randint(0, int(1e9), (1,)).item())
        if torch.cuda.is_available():
            if hasattr(torch, "use_deterministic_algorithms"):
                torch.use_deterministic_algorithms(True, warn_only=True)
            else:
                torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False

    def _setup_engine(self) -> None:
        if self.state.dataloader is None:
            raise ValueError(
                "Deterministic engine does not support the option of data=None. Please, provide data as iterable"
            )
        self._dataloader_len = self._get_data_length(self.state.dataloader)

        if isinstance(self.state.dataloader, DataLoader):
            dl = self.state.dataloader
            can_patch = getattr(dl, "_dataset_kind", None) in (None, 0)  # 0: map-style dataset
            if can_patch:
                if (
                    self._dataloader_len is not None
                    and hasattr(dl.sampler, "epoch")
                    and self._dataloader_len != self.state.epoch_length
                ):
                    warnings.warn(
                        "When defined engine's epoch length is different of input dataloader length, "
                        "distributed sampler indices can not be setup in a reproducible manner"
                    )
                batch_sampler = dl.batch_sampler
                if batch_sampler is not None and not isinstance(batch_sampler, ReproducibleBatchSampler):
                    self.state.dataloader = update_dataloader(
                        dl,
                        ReproducibleBatchSampler(batch_sampler),  # type: ignore[arg-type]
                    )

        iteration = self.state.iteration
        exact_skip, self._exact_skip = self._exact_skip, None
        if exact_skip is not None:
            self._dataloader_iter = self._position_exactly(exact_skip)
            self.state.rng_states = None  # type: ignore[attr-defined]
        else:
            self._dataloader_iter = self._from_iteration(iteration)

        # the first epoch of this run may be partial (resume)
        if self.state.epoch_length is not None:
            iteration %= self.state.epoch_length
        self._init_iter = iteration

        rng_states = None if exact_skip is not None else getattr(self.state, "rng_states", None)
        if rng_states is not None and self._dataloader_len and self.state.iteration % self._dataloader_len > 0:
            # the interrupted pass is drawn from its seed before the saved states replace the RNG's
            batch_sampler = getattr(self.state.dataloader, "batch_sampler", None)
            if isinstance(batch_sampler, ReproducibleBatchSampler):
                batch_sampler._draw_pending()
            _set_rng_states(rng_states)
            self.state.rng_states = None  # type: ignore[attr-defined]

    def _resume_exactly(self, data_skip: str) -> None:
        """Called by ``ExactResume`` at ``STARTED`` of the run it resumes: position the data without reseeding."""
        self._exact_skip = data_skip

    def _position_exactly(self, data_skip: str) -> Iterator:
        """The data iterator of a resumed run, leaving the random states as they are (``ExactResume`` sets them).

        Inside a pass, the pass is drawn again from its seed and the batches already used are skipped
        (``data_skip`` as in ``ExactResume``); at the end of a pass the iterator is empty, so that the next pass
        starts as it did in the interrupted run (``DATALOADER_STOP_ITERATION``, then reseeding).
        """
        length = self._dataloader_len
        iteration = self.state.iteration
        data = self.state.dataloader
        if length and iteration > 0 and iteration % length == 0 and self.state.epoch_length is not None:
            return iter(())
        rng = _rng.capture()
        try:
            if not length:
                return self._from_iteration(iteration)
            self._setup_seed()  # the seed of the interrupted pass
            if not isinstance(data, DataLoader):
                data_skip = "fetch"
            return position_pass(data, iteration % length, data_skip)  # type: ignore[arg-type]
        finally:
            _rng.restore(rng)

    def _from_iteration(self, iteration: int) -> Iterator:
        data = self.state.dataloader
        if isinstance(data, DataLoader):
            try:
                iteration %= len(data.batch_sampler)  # type: ignore[arg-type]
                self._setup_seed()
                if iteration > 0:
                    data.batch_sampler.start_iteration = iteration  # type: ignore[union-attr]
                return iter(data)
            except TypeError:
                pass  # no batch sampler, or an iterable dataset: generic path

        if iteration > 0:
            self.logger.info("Resuming from iteration for provided data will fetch data until required iteration ...")
        if hasattr(data, "__len__"):
            iteration %= len(data)  # type: ignore[arg-type]
        self._setup_seed(iteration=0)
        data_iter = iter(data)
        counter = 0
        restarted_empty = False
        while counter < iteration:
            try:
                next(data_iter)
                counter += 1
                restarted_empty = False
            except StopIteration:
                if restarted_empty:  # a one-shot iterator with fewer items than the skip count
                    break
                data_iter = iter(data)
                restarted_empty = True
        return data_iter

    def _setup_seed(self, _: Any = None, iter_counter: int | None = None, iteration: int | None = None) -> None:
        if iter_counter is None:
            le = self._dataloader_len if self._dataloader_len is not None else 1
        elif not iter_counter > 0:
            raise ValueError("iter_counter should be positive value")
        else:
            le = iter_counter
        if iteration is None:
            iteration = self.state.iteration
        manual_seed(self.state.seed + iteration // le)  # type: ignore[operator]
