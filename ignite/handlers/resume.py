"""Exact resume: a checkpoint entry that makes a resumed run continue bit-identically.

Upstream PyTorch-Ignite resumes from an iteration approximately: random states, the position inside a shuffled
pass over the data, and the state of handlers and metrics attached to the trainer are lost.
:class:`ExactResume` carries all of them. Put it in ``to_save`` next to the trainer:

```python
trainer = create_supervised_trainer(model, optimizer, loss_fn)
to_save = {"model": model, "optimizer": optimizer, "trainer": trainer, "resume": ExactResume(trainer)}
checkpointer = Checkpoint(to_save, DiskSaver("runs/ckpt", require_empty=False), n_saved=2)
trainer.add_event_handler(Events.ITERATION_COMPLETED(every=100), checkpointer)
trainer.run(loader, max_epochs=10)
```

and, in a new process built the same way, load the last checkpoint before running:

```python
Checkpoint.load_objects(to_load=to_save, checkpoint=path)
trainer.run(loader, max_epochs=10)  # parameters end bit-identical to an uninterrupted run (CPU)
```

:class:`ignite.handlers.preemption.PreemptionHandler` does that loading by itself. What is saved besides the
random states and the data position is declared, never discovered: the objects registered as resumable with the
trainer (see ``ignite/engine/_resumable.py``) and the ones given as ``objects``. The guide
``docs/guides/exact-resume.md`` describes the protocol and the elastic (world-size changing) resume.
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import torch

from ignite import _rng
from ignite.base import Serializable
from ignite.engine import _data_position
from ignite.engine._data_position import position_pass
from ignite.engine._resumable import OptimizerHyperParameters, is_stateful
from ignite.engine.events import Events

if TYPE_CHECKING:
    from ignite.engine.engine import Engine

__all__ = ["ExactResume"]

_VERSION = 2
_READABLE_VERSIONS = (1, 2)
_ITERATION_EVENTS = ("GET_BATCH_STARTED", "GET_BATCH_COMPLETED", "ITERATION_STARTED", "ITERATION_COMPLETED")


# ------------------------------------------------------------------------------------------------ RNG states

_capture_rng = _rng.capture
_restore_rng = _rng.restore


_generators = _rng.data_generators


def _set_generator_states(data: Any, states: list) -> None:
    gens = _generators(data)
    if len(gens) != len(states):
        warnings.warn(
            f"ExactResume: the data loader has {len(gens)} random generators but the checkpoint holds {len(states)}; "
            "their states are not restored."
        )
        return
    for gen, st in zip(gens, states):
        gen.set_state(st)


def _world_size() -> int:
    import ignite.distributed as idist

    return idist.get_world_size()


def _plain(x: Any) -> bool:
    """Whether ``x`` is made of types that ``torch.load(weights_only=True)`` reads back."""
    if x is None or isinstance(x, (bool, int, float, str, torch.Tensor)):
        return True
    if isinstance(x, Mapping):
        return all(isinstance(k, (str, int)) and _plain(v) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return all(_plain(v) for v in x)
    return False


def _check_objects(objects: Mapping[str, Any] | None) -> dict[str, Any]:
    """``objects`` as resumable objects by name (optimizers as their hyper-parameters)."""
    if objects is None:
        return {}
    if not isinstance(objects, Mapping):
        raise TypeError(f"Argument objects should be a mapping of names to objects, got {type(objects)}")
    checked: dict[str, Any] = {}
    for key, obj in objects.items():
        if not isinstance(key, str):
            raise TypeError(f"Argument objects should have string keys, got {key!r}")
        if isinstance(obj, torch.optim.Optimizer):
            obj = OptimizerHyperParameters(obj)
        elif not (callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "load_state_dict", None))):
            raise TypeError(
                f"Argument objects[{key!r}] should have state_dict() and load_state_dict() (or be an optimizer), "
                f"got {type(obj)}"
            )
        checked[key] = obj
    return checked


def _load_each(saved: Mapping[str, Any], objects: Mapping[str, Any], what: str) -> None:
    for key, sd in saved.items():
        obj = objects.get(key)
        if obj is None:
            warnings.warn(f"ExactResume: no {what} '{key}' is known for the trainer; its saved state is ignored")
            continue
        obj.load_state_dict(sd)


# ------------------------------------------------------------------------------------------------ data tracking


class _TrackedData:
    """Stands in for the trainer's data during a run: records where each pass over the data starts.

    Attribute access and ``len()`` go to the wrapped data. It is installed at ``STARTED`` and removed at
    ``COMPLETED``/``TERMINATE``.
    """

    def __init__(self, data: Iterable, tracker: ExactResume) -> None:
        self._data = data
        self._tracker = tracker

    def __iter__(self) -> Iterator:
        return self._tracker._new_pass(self._data)

    def __len__(self) -> int:
        return len(self._data)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_data", "_tracker"):
            raise AttributeError(name)
        return getattr(self._data, name)

    def __repr__(self) -> str:
        return f"_TrackedData({self._data!r})"


# ------------------------------------------------------------------------------------------------ ExactResume


class ExactResume(Serializable):
    """Checkpoint entry that lets a resumed run continue exactly where the saved one was.

    Create it for the trainer and put it in ``to_save`` (the trainer itself must be there too):

    ```python
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer, "resume": ExactResume(trainer)}
    ```

    Its ``state_dict()``, taken when the checkpoint is written, holds:

    * the random states of Python, torch (CPU and every initialised CUDA device) and numpy;
    * the position in the current pass over the data: how many batches were drawn since the pass started and the
      random states (global and the loader's ``torch.Generator``) at the moment the pass's iterator was created;
      for a ``DistributedSampler``, what re-creates the pass's global sample order (see elastic resume below);
      for a data source that is itself resumable (``state_dict``/``load_state_dict``, e.g. torchdata's
      ``StatefulDataLoader``), its own ``state_dict()``, which it is given back to continue its pass;
    * the ``state_dict()`` of every object registered as resumable with the trainer (``"attached"``): metrics
      (under ``metric/<name>``), and any handler object, or instance of a bound-method handler, that has
      ``state_dict``/``load_state_dict`` (schedulers, early stopping, checkpointers, your own, under their class
      name, ``#1``, ``#2``... for further objects of one class), and the optimizer hyper-parameters (``lr``, ...)
      of the optimizer given to ``create_supervised_trainer`` (under ``optimizer``);
    * the ``state_dict()`` of each of ``objects`` (``"objects"``), and ``trainer.state.metrics``.

    After ``load_state_dict`` (e.g. through :meth:`Checkpoint.load_objects`, with the trainer's own state loaded
    too), the next ``trainer.run``:

    1. re-creates the interrupted pass: the saved random states are set, the iterator is created (drawing the
       same shuffle), the consumed batches are skipped, and the random states are put back. For a ``DataLoader``
       with ``num_workers=0`` the skipped batches are dropped by index without loading them; otherwise (workers,
       iterable datasets, plain iterables) they are fetched and discarded, which also replays random
       augmentation done in workers. ``data_skip="indices"`` or ``"fetch"`` forces one way. A resumable data
       source gets its saved state through ``load_state_dict`` before ``iter`` instead, and skips nothing.
    2. restores, at the point of the run matching the save — before the first batch for a save inside an epoch,
       before the first ``EPOCH_STARTED`` handler for a save at an epoch boundary — the random states, the saved
       objects' states and ``state.metrics``, undoing what the re-fired ``STARTED`` (and, inside an epoch,
       ``EPOCH_STARTED``) handlers changed. A save made during the last iteration of an epoch (before its
       ``EPOCH_COMPLETED``) fires that ``EPOCH_COMPLETED`` first.

    Objects are matched between the two processes by key, so build the trainer the same way (the same script);
    adding a handler of another class changes no key. The save sees handlers of the current event that run
    *before* the checkpointer: attach the checkpointer after the metrics and schedulers attached to the same
    event. A :class:`~ignite.engine.deterministic.DeterministicEngine` gets back its ``state.seed`` and positions
    its data itself, bit-identically, in step 1.

    **Elastic resume.** With a ``DataLoader`` over a ``DistributedSampler``, a checkpoint taken on ``W`` ranks
    resumes on ``W'`` ranks: the rest of the interrupted pass is the rest of the global order that the saving
    ranks were dealt from, dealt again to the ``W'`` ranks (sample ``p`` of it to rank ``p % W'``), so every
    remaining sample is seen once, in the uninterrupted order. The trainer's counters are re-expressed in the new
    epoch length (``len`` of this run's loader): the epoch is kept, the iteration becomes the one at which the
    new world would have as many batches left in the epoch. A world-size change that cannot be resumed exactly
    (another sampler inside a pass, a rest that the new ranks cannot share equally, a ``DeterministicEngine``, an
    ``epoch_length`` other than the loader's length) raises ``ValueError`` at ``STARTED``.

    ``engine.set_data`` during a run is not tracked. No per-iteration cost: the position is derived from
    ``state.iteration``.

    Args:
        engine: the trainer.
        data_skip: ``"auto"``, ``"indices"`` or ``"fetch"`` (see above).
        objects: further resumable objects by name (anything with ``state_dict``/``load_state_dict`` that is
            not attached to the trainer, e.g. a data source's state); an optimizer given here contributes its
            hyper-parameters (its buffers belong in ``to_save``).
    """

    _ignite_resumable = False  # its hooks are bound methods: it must not register itself

    def __init__(self, engine: Engine, data_skip: str = "auto", objects: Mapping[str, Any] | None = None) -> None:
        if data_skip not in ("auto", "indices", "fetch"):
            raise ValueError(f"Argument data_skip should be 'auto', 'indices' or 'fetch', got {data_skip!r}")
        self._engine_ref = weakref.ref(engine)
        self.data_skip = data_skip
        self.objects = _check_objects(objects)
        self._pass: dict[str, Any] | None = None
        self._pending: dict[str, Any] | None = None
        self._position: dict[str, Any] | None = None
        self._share: tuple[list[int], dict[str, Any]] | None = None
        self._restore_entries: list[tuple] = []
        self._replaying = False
        engine.add_event_handler(Events.STARTED, self._on_started)
        engine.add_event_handler(Events.EPOCH_COMPLETED, self._on_epoch_completed)
        engine.add_event_handler(Events.COMPLETED, self._on_finished)
        engine.add_event_handler(Events.TERMINATE, self._on_finished)

    @property
    def engine(self) -> Engine:
        engine = self._engine_ref()
        if engine is None:
            raise RuntimeError("ExactResume: the engine it was created for no longer exists")
        return engine

    def _attached(self, engine: Engine) -> dict[str, Any]:
        registry = getattr(engine, "_resumables", None)
        return dict(registry.items()) if registry is not None else {}

    # ------------------------------------------------------------------------------------------ run hooks

    def _deterministic(self, engine: Engine) -> bool:
        from ignite.engine.deterministic import DeterministicEngine

        return isinstance(engine, DeterministicEngine)

    def _on_started(self, engine: Engine) -> None:
        self._pass = None
        self._share = None
        data = engine.state.dataloader
        if data is not None and not isinstance(data, _TrackedData) and not self._deterministic(engine):
            engine.state.dataloader = _TrackedData(data, self)
        if not isinstance(engine.state.dataloader, _TrackedData):
            self._position = None  # no data, or a DeterministicEngine: nothing to position

        pending = self._pending
        if pending is None:
            return
        if pending["iteration"] != engine.state.iteration:
            warnings.warn(
                f"ExactResume: the loaded resume state was saved at iteration {pending['iteration']} but the trainer "
                f"starts at iteration {engine.state.iteration} (was the trainer's state loaded from the same "
                "checkpoint?); resuming without it."
            )
            self._pending = self._position = None
            return
        self._resize(engine, pending)
        if self._deterministic(engine):
            # DeterministicEngine draws state.seed at STARTED (before this handler) and seeds each pass from it;
            # it positions its data itself, leaving the random states to the restore below
            if pending.get("seed") is not None:
                engine.state.seed = pending["seed"]
            engine._resume_exactly(self.data_skip)  # type: ignore[attr-defined]
        events = [Events.EPOCH_STARTED] if pending["boundary"] else [Events.GET_BATCH_STARTED, Events.ITERATION_STARTED]

        def restore_once() -> None:
            # The entries stay in place until the epoch ends: removing a handler from the list being fired would
            # make the engine skip the handler after it. Only the first call restores.
            self._restore(engine)

        restore_once._exact_resume_hook = True  # type: ignore[attr-defined]
        for event in events:
            entry = engine._prepend_handler(event, restore_once, pass_engine=False)
            self._restore_entries.append((event, entry))

    def _resize(self, engine: Engine, pending: Mapping[str, Any]) -> None:
        """On a change of world size, deal the rest of the pass to this run's ranks and re-express the counters."""
        data = engine.state.dataloader
        raw = data._data if isinstance(data, _TrackedData) else data
        position = self._position
        saved_sampler = position.get("sampler") if position is not None else None
        sampler = _data_position.distributed_sampler(raw)
        saved_world = pending.get("world_size", 1)
        if saved_sampler is not None and sampler is not None:
            # dealt again: to another world, or a pass that was itself the rest of an interrupted one
            changed = sampler.num_replicas != saved_sampler["num_replicas"] or saved_sampler["offset"] > 0
        else:
            changed = saved_world != _world_size()
        if not changed:
            return
        state = engine.state
        inside = position is not None and 0 < position["consumed"] and not pending["boundary"]
        if self._deterministic(engine):
            raise ValueError(
                f"ExactResume: the checkpoint was taken on {saved_world} ranks; a DeterministicEngine cannot resume "
                "on another number of ranks exactly"
            )
        new_length = engine._get_data_length(raw) if raw is not None else None
        if new_length is None or (position is not None and position["length"] != state.epoch_length):
            raise ValueError(
                "ExactResume: a resume on another number of ranks needs a sized DataLoader whose length is the "
                f"epoch length (saved: epoch_length={state.epoch_length}, data length "
                f"{position['length'] if position is not None else None}; epoch_length not passed to run())"
            )
        if inside and position is not None:
            if saved_sampler is None:
                raise ValueError(
                    f"ExactResume: the checkpoint was taken inside a pass on {saved_world} ranks, and this run has "
                    f"{_world_size()}; only a DistributedSampler's pass can be dealt to another number of ranks "
                    "exactly (resume on the same number of ranks, or from a checkpoint at an epoch end)"
                )
            share = _data_position.elastic_share(raw, saved_sampler, position["consumed"])
            batch = raw.batch_size  # type: ignore[union-attr]
            left = len(share) // batch if raw.drop_last else -(-len(share) // batch)  # type: ignore[union-attr]
            # the pass now deals the rest of the saved order: a checkpoint taken during it says so
            dealt = {
                **saved_sampler,
                "offset": _data_position.global_consumed(saved_sampler, position["consumed"]),
                "dealt_to": sampler.num_replicas,
                "share_length": len(share),
            }
            self._share = (share, dealt)
            state.iteration = state.epoch * new_length + (new_length - left)
        else:
            epochs = state.iteration // state.epoch_length if state.epoch_length else state.epoch
            state.iteration = epochs * new_length
            self._position = None  # the next pass starts afresh
        state.epoch_length = new_length
        pending["iteration"] = state.iteration  # type: ignore[index]

    def _remove_restore_entries(self) -> None:
        engine = self.engine
        for event, entry in self._restore_entries:
            engine._remove_entry(event, entry)
        self._restore_entries = []

    def _on_epoch_completed(self, engine: Engine) -> None:
        if self._restore_entries and self._pending is None and not self._replaying:
            self._remove_restore_entries()

    def _on_finished(self, engine: Engine) -> None:
        data = engine.state.dataloader
        if isinstance(data, _TrackedData) and data._tracker is self:
            engine.state.dataloader = data._data
        if self._restore_entries:  # a run that ended before reaching the restore point
            self._remove_restore_entries()
            self._pending = self._position = None

    def _new_pass(self, data: Iterable) -> Iterator:
        """``iter(data)`` for the engine: position a resumed pass, or record the start of a new one."""
        engine = self.engine
        position, self._position = self._position, None
        if position is not None:
            return self._positioned_iter(engine, data, position)
        self._pass = {
            "start_iteration": engine.state.iteration,
            "rng": _capture_rng(),
            "generators": None,
            "sampler": _data_position.describe_sampler(data),
        }
        gens = _generators(data)
        if gens:
            self._pass["generators"] = [g.get_state() for g in gens]
        return iter(data)

    def _positioned_iter(self, engine: Engine, data: Iterable, position: Mapping) -> Iterator:
        consumed = position["consumed"]
        share, self._share = self._share, None
        self._pass = {
            "start_iteration": engine.state.iteration - consumed if share is None else engine.state.iteration,
            "rng": position["rng"],
            "generators": position["generators"],
            "sampler": position.get("sampler") if share is None else share[1],
        }
        length = position["length"]
        resumable_data = share is None and position.get("data_state") is not None and is_stateful(data)
        if share is None and length is not None and consumed >= length and not resumable_data:
            # the pass had ended when the checkpoint was taken; the engine starts the next one as it did then
            return iter(())
        current = _capture_rng()
        current_gens = [g.get_state() for g in _generators(data)]
        _restore_rng(position["rng"])
        if position["generators"] is not None:
            _set_generator_states(data, position["generators"])
        try:
            if share is not None:  # another world size: this rank's share of the rest of the saved order
                return _data_position.iterate_share(data, share[0])
            if resumable_data:  # the data source continues its pass itself (even an ended one): nothing is skipped
                data.load_state_dict(position["data_state"])  # type: ignore[attr-defined]
                return iter(data)
            return position_pass(data, consumed, self.data_skip)
        finally:
            _restore_rng(current)
            if current_gens:
                _set_generator_states(data, current_gens)

    # ------------------------------------------------------------------------------------------ (de)serialisation

    def state_dict(self) -> OrderedDict:
        """Random states, data position, resumable objects' states and ``state.metrics`` (format 2)."""
        engine = self.engine
        state = engine.state
        epoch_length = state.epoch_length
        boundary = state.iteration == 0 or bool(epoch_length and state.iteration % epoch_length == 0)
        last_event = getattr(engine.last_event_name, "_name_", engine.last_event_name)

        position = None
        data = state.dataloader
        raw = data._data if isinstance(data, _TrackedData) else data
        if self._pass is not None and not self._deterministic(engine):
            length = None
            try:
                length = len(raw)  # type: ignore[arg-type]
            except TypeError:
                pass
            position = {
                "consumed": state.iteration - self._pass["start_iteration"],
                "length": length,
                "rng": self._pass["rng"],
                "generators": self._pass["generators"],
                "sampler": self._pass.get("sampler"),
                "data_state": raw.state_dict() if is_stateful(raw) else None,  # type: ignore[union-attr]
            }
        gens = _generators(raw) if raw is not None else []
        return OrderedDict(
            [
                ("version", _VERSION),
                ("iteration", state.iteration),
                ("seed", getattr(state, "seed", None) if self._deterministic(engine) else None),
                ("boundary", boundary),
                ("epoch_completed_pending", boundary and state.iteration > 0 and last_event in _ITERATION_EVENTS),
                ("rng", _capture_rng()),
                ("generators", [g.get_state() for g in gens]),
                ("position", position),
                ("attached", _states(self._attached(engine))),
                ("objects", _states(self.objects)),
                ("metrics", {k: v for k, v in state.metrics.items() if isinstance(k, str) and _plain(v)}),
                ("world_size", _world_size()),
            ]
        )

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Keep the saved state; the next run of the trainer applies it (see the class documentation)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Argument state_dict should be a dictionary, but given {type(state_dict)}")
        version = state_dict.get("version")
        if version not in _READABLE_VERSIONS:
            raise ValueError(
                f"Unsupported ExactResume state (version {version!r}, expected one of {_READABLE_VERSIONS})"
            )
        self._pending = dict(state_dict)
        self._position = state_dict["position"]

    def _restore(self, engine: Engine) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        _restore_rng(pending["rng"])
        data = engine.state.dataloader
        raw = data._data if isinstance(data, _TrackedData) else data
        if pending["generators"] and raw is not None:
            _set_generator_states(raw, pending["generators"])

        attached = self._attached(engine)
        if pending["version"] == 1:
            from ignite.handlers import _resume_v1

            candidates = [*attached.values(), *self.objects.values()]
            _load_each(pending["handlers"], _resume_v1.handler_keys(engine, candidates, ExactResume), "handler")
            groups = {key: {"param_groups": saved} for key, saved in pending["optimizers"].items()}
            _load_each(groups, _resume_v1.optimizer_keys(candidates), "optimizer")
        else:
            _load_each(pending["attached"], attached, "resumable object attached")
            _load_each(pending["objects"], self.objects, "object")
        engine.state.metrics.update(pending["metrics"])

        if pending["epoch_completed_pending"]:
            # the save happened during the last iteration of an epoch, before its EPOCH_COMPLETED
            engine.state.epoch -= 1
            self._replaying = True
            try:
                engine.fire_event(Events.EPOCH_COMPLETED)
            finally:
                self._replaying = False
                engine.state.epoch += 1


def _states(objects: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, obj in objects.items():
        try:
            out[key] = obj.state_dict()
        except NotImplementedError:
            continue
    return out
