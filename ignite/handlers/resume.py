"""Exact resume: a checkpoint entry that makes a resumed run continue bit-identically.

Upstream PyTorch-Ignite resumes from an iteration approximately: random states, the position inside a shuffled
pass over the data, and the state of handlers and metrics attached to the trainer are lost.
:class:`ExactResume` carries all of them. Put it in ``to_save`` next to the trainer::

    trainer = create_supervised_trainer(model, optimizer, loss_fn)
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer, "resume": ExactResume(trainer)}
    checkpointer = Checkpoint(to_save, DiskSaver("runs/ckpt", require_empty=False), n_saved=2)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=100), checkpointer)
    trainer.run(loader, max_epochs=10)

and, in a new process built the same way, load the last checkpoint before running::

    Checkpoint.load_objects(to_load=to_save, checkpoint=path)
    trainer.run(loader, max_epochs=10)      # parameters end bit-identical to an uninterrupted run (CPU)

:class:`ignite.handlers.preemption.PreemptionHandler` does that loading by itself.
"""

from __future__ import annotations

import functools
import inspect
import logging
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import torch

from ignite import _rng
from ignite.base import Serializable
from ignite.engine._data_position import position_pass
from ignite.engine.events import Events

if TYPE_CHECKING:
    from ignite.engine.engine import Engine

__all__ = ["ExactResume"]

_logger = logging.getLogger(__name__)
_VERSION = 1
_MAX_FANOUT = 64  # containers larger than this are not searched for optimizers
_ITERATION_EVENTS = ("GET_BATCH_STARTED", "GET_BATCH_COMPLETED", "ITERATION_STARTED", "ITERATION_COMPLETED")


# ------------------------------------------------------------------------------------------------ RNG states

_capture_rng = _rng.capture
_restore_rng = _rng.restore


def _generators(data: Any) -> list[torch.Generator]:
    """The ``torch.Generator`` objects a data loader draws its order from (loader, sampler, batch sampler)."""
    found: list[torch.Generator] = []
    for owner in (
        data,
        getattr(data, "sampler", None),
        getattr(getattr(data, "batch_sampler", None), "sampler", None),
    ):
        gen = getattr(owner, "generator", None)
        if isinstance(gen, torch.Generator) and all(gen is not g for g in found):
            found.append(gen)
    return found


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


# ------------------------------------------------------------------------------------------------ handlers


def _owner(func: Callable) -> Any:
    """The object behind a registered handler (filter wrappers, partials and bound methods unwrapped)."""
    parent = getattr(func, "_parent", None)
    if isinstance(parent, weakref.ref):
        func = parent() or getattr(func, "_handler", func)
    while isinstance(func, functools.partial):
        func = func.func
    if inspect.ismethod(func):
        return func.__self__
    return func


def _skip_object(obj: Any) -> bool:
    from ignite.engine.engine import Engine

    return isinstance(obj, (Engine, torch.nn.Module, torch.optim.Optimizer, ExactResume)) or inspect.isroutine(obj)


def _handler_objects(engine: Engine) -> tuple[OrderedDict, list]:
    """Stateful handler objects keyed by ``event/index/class`` of their first registration, and all owners."""
    stateful: OrderedDict[str, Any] = OrderedDict()
    owners: list[Any] = []
    seen: set[int] = set()
    registry = engine._event_handlers
    for event in sorted(registry, key=lambda e: str(getattr(e, "_name_", e))):
        event_name = str(getattr(event, "_name_", event))
        index = -1
        for func, _, _ in list(registry[event]):
            obj = _owner(func)
            if isinstance(obj, ExactResume) or getattr(func, "_exact_resume_hook", False):
                continue  # ExactResume's own hooks (some inserted at restore time) do not shift the positions
            index += 1
            if id(obj) in seen or _skip_object(obj):
                continue
            seen.add(id(obj))
            owners.append(obj)
            if callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "load_state_dict", None)):
                stateful[f"{event_name}/{index}/{type(obj).__qualname__}"] = obj
    return stateful, owners


def _find_optimizers(objs: list, depth: int = 4) -> list[torch.optim.Optimizer]:
    """Optimizers reachable from handler objects' attributes (schedulers change their hyper-parameters)."""
    from torch.utils.data import DataLoader, Dataset

    from ignite.engine.engine import Engine

    found: list[torch.optim.Optimizer] = []
    seen: set[int] = set()

    def visit(x: Any, d: int) -> None:
        if id(x) in seen or x is None or isinstance(x, (str, bytes, int, float, bool, torch.Tensor)):
            return
        seen.add(id(x))
        if isinstance(x, torch.optim.Optimizer):
            found.append(x)
            return
        if d == 0 or isinstance(x, (torch.nn.Module, Engine)) or inspect.isroutine(x) or isinstance(x, type):
            return
        if isinstance(x, (Dataset, DataLoader)):
            return
        if isinstance(x, Mapping):
            if len(x) <= _MAX_FANOUT:
                for v in list(x.values()):
                    visit(v, d - 1)
        elif isinstance(x, (list, tuple)):
            if len(x) <= _MAX_FANOUT:
                for v in x:
                    visit(v, d - 1)
        elif hasattr(x, "__dict__"):
            for v in list(vars(x).values()):
                visit(v, d - 1)

    for obj in objs:
        visit(obj, depth)
    return found


def _closure_objects(func: Any) -> list:
    """Objects a process function refers to (closure cells, or the instance of a bound method)."""
    if inspect.ismethod(func):
        return [func.__self__]
    cells = getattr(func, "__closure__", None) or ()
    out = []
    for cell in cells:
        try:
            out.append(cell.cell_contents)
        except ValueError:  # empty cell
            pass
    return out


def _optimizer_key(opt: torch.optim.Optimizer) -> str:
    """Identifies an optimizer across processes: its class and the shapes of its parameter groups."""
    groups = ";".join(",".join("x".join(map(str, p.shape)) for p in g["params"]) for g in opt.param_groups)
    return f"{type(opt).__qualname__}[{groups}]"


def _keyed_optimizers(engine: Engine, owners: list) -> dict[str, torch.optim.Optimizer]:
    found = _find_optimizers(_closure_objects(engine._process_function) + owners)
    keyed: dict[str, torch.optim.Optimizer] = {}
    for opt in found:
        key = _optimizer_key(opt)
        n = 0
        while f"{key}#{n}" in keyed:
            n += 1
        keyed[f"{key}#{n}"] = opt
    return keyed


def _hyper_parameters(opt: torch.optim.Optimizer) -> list[dict]:
    return [
        {k: (v.clone() if isinstance(v, torch.Tensor) else v) for k, v in group.items() if k != "params"}
        for group in opt.param_groups
    ]


def _plain(x: Any) -> bool:
    """Whether ``x`` is made of types that ``torch.load(weights_only=True)`` reads back."""
    if x is None or isinstance(x, (bool, int, float, str, torch.Tensor)):
        return True
    if isinstance(x, Mapping):
        return all(isinstance(k, (str, int)) and _plain(v) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return all(_plain(v) for v in x)
    return False


# ------------------------------------------------------------------------------------------------ ExactResume


class ExactResume(Serializable):
    """Checkpoint entry that lets a resumed run continue exactly where the saved one was.

    Create it for the trainer and put it in ``to_save`` (the trainer itself must be there too)::

        to_save = {"model": model, "optimizer": optimizer, "trainer": trainer, "resume": ExactResume(trainer)}

    Its ``state_dict()``, taken when the checkpoint is written, holds:

    * the random states of Python, torch (CPU and every initialised CUDA device) and numpy;
    * the position in the current pass over the data: how many batches were drawn since the pass started and the
      random states (global and the loader's ``torch.Generator``) at the moment the pass's iterator was created;
    * the ``state_dict()`` of every object attached to the trainer as a handler that has one (metrics,
      schedulers, early stopping, checkpointers, ...), the hyper-parameters (``lr``, ...) of the optimizers
      reachable from the process function's closure and from those handlers, and ``trainer.state.metrics``.

    After ``load_state_dict`` (e.g. through :meth:`Checkpoint.load_objects`, with the trainer's own state loaded
    too), the next ``trainer.run``:

    1. re-creates the interrupted pass: the saved random states are set, the iterator is created (drawing the
       same shuffle), the consumed batches are skipped, and the random states are put back. For a ``DataLoader``
       with ``num_workers=0`` the skipped batches are dropped by index without loading them; otherwise (workers,
       iterable datasets, plain iterables) they are fetched and discarded, which also replays random
       augmentation done in workers. ``data_skip="indices"`` or ``"fetch"`` forces one way.
    2. restores, at the point of the run matching the save — before the first batch for a save inside an epoch,
       before the first ``EPOCH_STARTED`` handler for a save at an epoch boundary — the random states, the handler
       states, the optimizers' hyper-parameters and ``state.metrics``, undoing what the re-fired ``STARTED``
       (and, inside an epoch, ``EPOCH_STARTED``) handlers changed. A save made during the last iteration of an
       epoch (before its ``EPOCH_COMPLETED``) fires that ``EPOCH_COMPLETED`` first.

    Handlers are matched between the two processes by event, position and class, so build the trainer the same
    way (the same script). The save sees handlers of the current event that run *before* the checkpointer:
    attach the checkpointer after the metrics and schedulers attached to the same event. A
    :class:`~ignite.engine.deterministic.DeterministicEngine` gets back its ``state.seed`` (drawn at ``STARTED``,
    not part of its ``state_dict``) and positions its data itself in step 1: the interrupted pass is drawn again
    from its per-pass seed and skipped as above, without touching the random states; a save at the end of a pass
    resumes with an exhausted iterator, so that the next pass is reseeded at ``DATALOADER_STOP_ITERATION`` as
    in the interrupted run.
    ``engine.set_data`` during a run is not tracked. No per-iteration cost: the position is derived from
    ``state.iteration``.

    Args:
        engine: the trainer.
        data_skip: ``"auto"``, ``"indices"`` or ``"fetch"`` (see above).
    """

    def __init__(self, engine: Engine, data_skip: str = "auto") -> None:
        if data_skip not in ("auto", "indices", "fetch"):
            raise ValueError(f"Argument data_skip should be 'auto', 'indices' or 'fetch', got {data_skip!r}")
        self._engine_ref = weakref.ref(engine)
        self.data_skip = data_skip
        self._pass: dict[str, Any] | None = None
        self._pending: dict[str, Any] | None = None
        self._position: dict[str, Any] | None = None
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

    # ------------------------------------------------------------------------------------------ run hooks

    def _deterministic(self, engine: Engine) -> bool:
        from ignite.engine.deterministic import DeterministicEngine

        return isinstance(engine, DeterministicEngine)

    def _on_started(self, engine: Engine) -> None:
        self._pass = None
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
        if self._deterministic(engine):
            # DeterministicEngine draws state.seed at STARTED (before this handler) and seeds each pass from it;
            # it positions its data itself, leaving the random states to the restore below
            if pending.get("seed") is not None:
                engine.state.seed = pending["seed"]
            engine._resume_exactly(self.data_skip)  # type: ignore[attr-defined]
        if pending["boundary"]:
            events = [Events.EPOCH_STARTED]
        else:
            events = [Events.GET_BATCH_STARTED, Events.ITERATION_STARTED]

        def restore_once() -> None:
            # The entries stay in place until the epoch ends: removing a handler from the list being fired would
            # make the engine skip the handler after it. Only the first call restores.
            self._restore(engine)

        restore_once._exact_resume_hook = True  # type: ignore[attr-defined]
        for event in events:
            entry = engine._prepend_handler(event, restore_once, pass_engine=False)
            self._restore_entries.append((event, entry))

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
        self._pass = {"start_iteration": engine.state.iteration, "rng": _capture_rng(), "generators": None}
        gens = _generators(data)
        if gens:
            self._pass["generators"] = [g.get_state() for g in gens]
        return iter(data)

    def _positioned_iter(self, engine: Engine, data: Iterable, position: Mapping) -> Iterator:
        consumed = position["consumed"]
        self._pass = {
            "start_iteration": engine.state.iteration - consumed,
            "rng": position["rng"],
            "generators": position["generators"],
        }
        length = position["length"]
        if length is not None and consumed >= length:
            # the pass had ended when the checkpoint was taken; the engine starts the next one as it did then
            return iter(())
        current = _capture_rng()
        current_gens = [g.get_state() for g in _generators(data)]
        _restore_rng(position["rng"])
        if position["generators"] is not None:
            _set_generator_states(data, position["generators"])
        try:
            it = position_pass(data, consumed, self.data_skip)
        finally:
            _restore_rng(current)
            if current_gens:
                _set_generator_states(data, current_gens)
        return it

    # ------------------------------------------------------------------------------------------ (de)serialisation

    def state_dict(self) -> OrderedDict:
        """Random states, data position, handler states, optimizer hyper-parameters and ``state.metrics``."""
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
            }

        stateful, owners = _handler_objects(engine)
        handlers: dict[str, Any] = {}
        for key, obj in stateful.items():
            try:
                handlers[key] = obj.state_dict()
            except NotImplementedError:
                continue
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
                ("handlers", handlers),
                ("optimizers", {k: _hyper_parameters(o) for k, o in _keyed_optimizers(engine, owners).items()}),
                ("metrics", {k: v for k, v in state.metrics.items() if isinstance(k, str) and _plain(v)}),
            ]
        )

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Keep the saved state; the next run of the trainer applies it (see the class documentation)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Argument state_dict should be a dictionary, but given {type(state_dict)}")
        version = state_dict.get("version")
        if version != _VERSION:
            raise ValueError(f"Unsupported ExactResume state (version {version!r}, expected {_VERSION})")
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

        stateful, owners = _handler_objects(engine)
        for key, sd in pending["handlers"].items():
            obj = stateful.get(key)
            if obj is None:
                warnings.warn(f"ExactResume: no handler '{key}' is attached to the trainer; its saved state is ignored")
                continue
            obj.load_state_dict(sd)

        optimizers = _keyed_optimizers(engine, owners)
        for key, groups in pending["optimizers"].items():
            opt = optimizers.get(key)
            if opt is None:
                warnings.warn(
                    f"ExactResume: no optimizer '{key}' is reachable from the trainer; its saved "
                    "hyper-parameters are ignored"
                )
                continue
            for group, saved in zip(opt.param_groups, groups):
                group.update(saved)
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
