"""Several data sources in one loop: :class:`CombinedLoader` and its resumable position."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ignite import _rng
from ignite.engine._data_position import position_pass

__all__ = ["CombinedLoader"]

_MODES = ("cycle", "shortest", "longest")
_DATA_SKIPS = ("auto", "indices", "fetch")
_VERSION = 1


_generators = _rng.data_generators


class _Source:
    """One loader's place in the current combined pass: its iterator, batches drawn, and how its pass began."""

    __slots__ = ("data", "name", "it", "consumed", "ended", "exhausted", "start")

    def __init__(self, data: Iterable, name: str) -> None:
        self.data = data
        self.name = name
        self.it: Iterator | None = None
        self.consumed = 0  # batches drawn from the current pass of this loader
        self.ended = False  # the current pass has raised StopIteration
        self.exhausted = False  # the loader has ended a pass during this combined pass
        self.start: dict[str, Any] | None = None  # random states at the start of the current pass

    def new_pass(self) -> Iterator:
        self.start = {
            "rng": _rng.capture(cuda=False),
            "generators": [g.get_state() for g in _generators(self.data)],
        }
        self.consumed = 0
        self.ended = False
        self.it = iter(self.data)
        return self.it

    def resume(self, saved: Mapping[str, Any], data_skip: str) -> None:
        """Re-create the saved pass from its starting random states and skip the batches already drawn."""
        self.consumed = int(saved["consumed"])
        self.ended = bool(saved["ended"])
        self.exhausted = bool(saved["exhausted"])
        self.start = saved["start"]
        if self.start is None:
            return
        gens = _generators(self.data)
        current = _rng.capture(cuda=False)
        _rng.restore(self.start["rng"])
        for gen, state in zip(gens, self.start["generators"]):
            gen.set_state(state)
        try:
            self.it = position_pass(self.data, self.consumed, data_skip)
            if self.ended:
                # running into the end draws too (a RandomSampler draws its next permutation): do it again
                next(self.it, None)
        finally:
            # the global states go back; the loader's own generators stay where drawing the pass left them
            _rng.restore(current)

    def state(self) -> dict[str, Any]:
        return {"consumed": self.consumed, "ended": self.ended, "exhausted": self.exhausted, "start": self.start}


class _Pass:
    """The position of one combined pass: how many steps it has yielded, and each loader's place."""

    __slots__ = ("sources", "step", "finished")

    def __init__(self, sources: list[_Source]) -> None:
        self.sources = sources
        self.step = 0
        self.finished = False


class CombinedLoader:
    """Iterate several data sources together: each step yields one batch of every source.

    For semi-supervised training (a labelled and an unlabelled loader), GANs (real images and noise), or multi-task
    training. ``loaders`` is a list (each step yields a tuple of batches) or a dict (each step yields a dict with
    the same keys). ``mode`` says when a pass over the combination ends:

    * ``"cycle"``: with the longest source; a shorter source that runs out starts a new pass over itself (a new
      shuffle for a shuffling ``DataLoader``) until then;
    * ``"shortest"``: as soon as one source runs out;
    * ``"longest"``: when every source has run out; a source that has run out yields ``None``.

    ``len()`` is the number of steps of a pass (the longest length, the shortest for ``"shortest"``); it raises
    ``TypeError`` when a source it depends on has no length. Knowing the lengths, a pass stops without drawing
    further batches; without them it stops at the ``StopIteration`` that ends it (in ``"cycle"`` mode: once every
    source has run out at least once), and the batches already drawn in that step are dropped.

    The position is resumable: :meth:`state_dict` holds the number of steps of the current pass and, for every
    source, the batches drawn from its current pass and the random states (global and the loader's own
    ``torch.Generator``) when that pass started. :meth:`load_state_dict` re-creates each interrupted pass (drawing
    the same shuffle) and skips what was drawn; the next ``iter()`` continues from there, so the batches that follow
    are those of the uninterrupted run: put it in ``Checkpoint``'s ``to_save`` next to the trainer (with
    :class:`~ignite.handlers.resume.ExactResume` too if wanted: it leaves the positioning to it). ``data_skip``
    picks how the batches are skipped: ``"indices"`` without loading them (a ``DataLoader`` with a batch sampler),
    ``"fetch"`` by loading and discarding them, ``"auto"`` by index where that gives the same result
    (``num_workers=0``).
    Later passes of a loader are exact when they draw from its own ``generator``; one drawing from the global
    random state is exact when that state is restored too. The position saved is that of the latest ``iter()``.

    Args:
        loaders: a non-empty list or dict of re-iterable data sources (``DataLoader``, list, ...), not iterators.
        mode: ``"cycle"``, ``"shortest"`` or ``"longest"``.
        data_skip: ``"auto"``, ``"indices"`` or ``"fetch"``.

    Examples:
        ```python
        import torch
        from torch.utils.data import DataLoader
        from ignite.engine import CombinedLoader, Engine

        labelled = DataLoader(torch.arange(6.0), batch_size=2, shuffle=True, generator=torch.Generator().manual_seed(0))
        unlabelled = DataLoader(torch.arange(100.0, 110.0), batch_size=2)
        data = CombinedLoader({"sup": labelled, "unsup": unlabelled}, mode="cycle")
        assert len(data) == 5  # the longest; labelled is reshuffled after 3 steps

        def step(engine, batch):
            return batch["sup"].sum() + batch["unsup"].sum()

        Engine(step).run(data, max_epochs=2)
        ```
    """

    def __init__(
        self,
        loaders: Sequence[Iterable] | Mapping[Any, Iterable],
        mode: str = "cycle",
        data_skip: str = "auto",
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"Argument mode should be one of {_MODES}, got {mode!r}")
        if data_skip not in _DATA_SKIPS:
            raise ValueError(f"Argument data_skip should be one of {_DATA_SKIPS}, got {data_skip!r}")
        if isinstance(loaders, Mapping):
            keys: list[Any] | None = list(loaders)
            items = list(loaders.values())
            names = [f"loaders[{k!r}]" for k in loaders]
        elif isinstance(loaders, Sequence) and not isinstance(loaders, (str, bytes)):
            keys = None
            items = list(loaders)
            names = [f"loaders[{i}]" for i in range(len(items))]
        else:
            raise TypeError(f"Argument loaders should be a list or a dict of data loaders, got {type(loaders)}")
        if not items:
            raise ValueError("Argument loaders should hold at least one data loader, got an empty one")
        for name, data in zip(names, items):
            if not isinstance(data, Iterable):
                raise TypeError(f"Argument {name} should be iterable, got {type(data)}")
            if isinstance(data, Iterator):
                raise TypeError(
                    f"Argument {name} is an iterator ({type(data).__name__}), which can be iterated once only; "
                    "pass a re-iterable object such as a DataLoader or a list"
                )
            if mode == "cycle" and _length(data) == 0:
                raise ValueError(f"Argument {name} is empty: it cannot be cycled")
        self.mode = mode
        self.data_skip = data_skip
        self._keys = keys
        self._loaders = items
        self._names = names
        self._live: _Pass | None = None  # the latest pass: the position state_dict saves
        self._resume_next = False  # the next iter() continues _live (loaded by load_state_dict)

    @property
    def loaders(self) -> list[Iterable] | dict[Any, Iterable]:
        """The data sources, as given (a new list or dict)."""
        if self._keys is None:
            return list(self._loaders)
        return dict(zip(self._keys, self._loaders))

    def __len__(self) -> int:
        lengths = []
        for name, data in zip(self._names, self._loaders):
            n = _length(data)
            if n is None:
                raise TypeError(f"CombinedLoader (mode={self.mode!r}) has no length: {name} has none")
            lengths.append(n)
        return min(lengths) if self.mode == "shortest" else max(lengths)

    def _limit(self) -> int | None:
        try:
            return len(self)
        except TypeError:
            return None

    # ------------------------------------------------------------------------------------------ iteration

    def __iter__(self) -> Iterator[Any]:
        if self._resume_next and self._live is not None:
            current = self._live
        else:
            current = _Pass([_Source(data, name) for data, name in zip(self._loaders, self._names)])
            self._live = current
        self._resume_next = False
        return self._steps(current, self._limit())

    def _resumes_itself(self) -> bool:
        """Whether the next ``iter()`` continues a loaded position (an exact resume then skips nothing more)."""
        return self._resume_next

    def _steps(self, current: _Pass, limit: int | None) -> Iterator[Any]:
        pull = {"cycle": self._pull_cycle, "shortest": self._pull_shortest, "longest": self._pull_longest}[self.mode]
        sources = current.sources
        keys = self._keys
        while limit is None or current.step < limit:
            batches = []
            for src in sources:
                batch = pull(src, sources)
                if batch is _STOP:
                    current.finished = True
                    return
                batches.append(batch)
            current.step += 1
            yield tuple(batches) if keys is None else dict(zip(keys, batches))
        # not on close(): an engine that stops mid-pass drops its iterator, and the position must stay saveable
        current.finished = True

    @staticmethod
    def _next(src: _Source) -> Any:
        it = src.it if src.it is not None else src.new_pass()
        batch = next(it, _STOP)
        if batch is _STOP:
            src.ended = True
        else:
            src.consumed += 1
        return batch

    def _pull_shortest(self, src: _Source, sources: list[_Source]) -> Any:
        batch = self._next(src)
        if batch is _STOP:
            src.exhausted = True
        return batch

    def _pull_longest(self, src: _Source, sources: list[_Source]) -> Any:
        if src.exhausted:
            return None
        batch = self._next(src)
        if batch is not _STOP:
            return batch
        src.exhausted = True
        return _STOP if all(s.exhausted for s in sources) else None

    def _pull_cycle(self, src: _Source, sources: list[_Source]) -> Any:
        batch = self._next(src)
        if batch is not _STOP:
            return batch
        src.exhausted = True
        if all(s.exhausted for s in sources):
            return _STOP  # every source has ended a pass (sources without a length)
        src.new_pass()
        batch = self._next(src)
        if batch is _STOP:
            raise ValueError(f"Argument {src.name} produced no batch in a new pass: an empty loader cannot be cycled")
        return batch

    # ------------------------------------------------------------------------------------------ (de)serialisation

    def state_dict(self) -> dict[str, Any]:
        """The position of the latest pass (``None`` once it has ended or before the first ``iter()``)."""
        current = self._live
        position = None
        if current is not None and not current.finished:
            position = {"step": current.step, "sources": [src.state() for src in current.sources]}
        return {
            "version": _VERSION,
            "mode": self.mode,
            "keys": list(self._keys) if self._keys is not None else len(self._loaders),
            "position": position,
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Re-create the saved position now; the next ``iter()`` continues from it.

        The interrupted passes are replayed here (their random draws advance the loaders' generators as they did
        in the saved run). A position at the end of a pass leaves the next ``iter()`` to start a new pass.
        """
        position = self._check_state(state_dict)
        self._live = None
        self._resume_next = False
        if position is None:
            return
        current = _Pass([_Source(data, name) for data, name in zip(self._loaders, self._names)])
        current.step = int(position["step"])
        for src, saved in zip(current.sources, position["sources"]):
            src.resume(saved, self.data_skip)
        limit = self._limit()
        if limit is not None and current.step >= limit:
            return  # the pass had ended (its loaders are replayed above): the next iter() starts a new one
        self._live = current
        self._resume_next = True

    def _check_state(self, state_dict: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The saved position, once ``state_dict`` is known to fit these loaders."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Argument state_dict should be a dictionary, got {type(state_dict)}")
        missing = [k for k in ("version", "mode", "keys", "position") if k not in state_dict]
        if missing:
            raise ValueError(f"Argument state_dict is missing the key(s) {missing}")
        if state_dict["version"] != _VERSION:
            raise ValueError(f"Argument state_dict has version {state_dict['version']!r}, expected {_VERSION}")
        if state_dict["mode"] != self.mode:
            raise ValueError(f"Argument state_dict was saved with mode={state_dict['mode']!r}, not {self.mode!r}")
        keys = list(self._keys) if self._keys is not None else len(self._loaders)
        if state_dict["keys"] != keys:
            raise ValueError(f"Argument state_dict was saved for the loaders {state_dict['keys']!r}, not {keys!r}")
        position = state_dict["position"]
        if position is None:
            return None
        if len(position["sources"]) != len(self._loaders):
            raise ValueError(
                f"Argument state_dict holds {len(position['sources'])} loader positions, expected {len(self._loaders)}"
            )
        for data, name, saved in zip(self._loaders, self._names, position["sources"]):
            n_saved = len(saved["start"]["generators"]) if saved["start"] is not None else None
            if n_saved is not None and n_saved != len(_generators(data)):
                raise ValueError(
                    f"Argument state_dict was saved with {n_saved} random generator(s) for {name}, which now has "
                    f"{len(_generators(data))}"
                )
        return position

    def __repr__(self) -> str:
        return f"CombinedLoader({self.loaders!r}, mode={self.mode!r})"


_STOP: Any = object()


def _length(data: Any) -> int | None:
    try:
        return len(data)
    except TypeError:
        return None
