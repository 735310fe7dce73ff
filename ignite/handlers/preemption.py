"""Preemption: checkpoint and stop cleanly on SIGTERM/SIGUSR1, and resume automatically on the next start.

```python
trainer = create_supervised_trainer(model, optimizer, loss_fn)
to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
checkpointer = Checkpoint(to_save, DiskSaver("runs/ckpt", require_empty=False), n_saved=2)
trainer.add_event_handler(Events.EPOCH_COMPLETED, checkpointer)

PreemptionHandler(checkpointer).attach(trainer)   # loads runs/ckpt's latest valid checkpoint, if any
trainer.run(loader, max_epochs=100)
```

Started again after a SIGTERM (a cluster's preemption notice, SLURM's ``--signal=USR1@90``, ``kill``), the same
script continues from where the signal stopped it — bit-identically with the default ``exact=True``.
"""

from __future__ import annotations

import inspect
import logging
import signal
import threading
import warnings
import weakref
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ignite.engine.events import Events
from ignite.handlers.checkpoint import Checkpoint, CorruptCheckpointError, DiskSaver, _load_file
from ignite.handlers.resume import ExactResume

if TYPE_CHECKING:
    from ignite.engine.engine import Engine

__all__ = ["PreemptionHandler"]

_logger = logging.getLogger(__name__)


def _default_signals() -> tuple[int, ...]:
    sigs = [signal.SIGTERM]
    if hasattr(signal, "SIGUSR1"):
        sigs.append(signal.SIGUSR1)
    return tuple(sigs)


class PreemptionHandler:
    """On a signal, finish the current iteration, write a checkpoint, stop the trainer and exit; resume on restart.

    What :meth:`attach` does:

    * **Resume** (``resume=True``): load the newest checkpoint of ``checkpointer`` that reads back (a corrupted
      or truncated file is reported and skipped) into its ``to_save`` objects, so the following ``trainer.run``
      continues from it. ``resumed_from`` tells which file (or ``None``). If that checkpoint ends the run
      (``max_epochs``/``max_iters`` reached), ``trainer.run`` returns at once instead of training again.
    * **Exactness** (``exact=True``): an :class:`~ignite.handlers.resume.ExactResume` is added to
      ``checkpointer.to_save`` under ``"exact_resume"`` unless one is there, so every checkpoint of
      ``checkpointer`` (periodic ones too) resumes bit-identically.
    * **Signals**: for each of ``signals`` (default SIGTERM and SIGUSR1) a handler records the signal. At the end
      of the current iteration the trainer is terminated (at the end of the epoch if the iteration was the
      epoch's last, so that ``EPOCH_COMPLETED`` handlers run first); the checkpoint is written at ``TERMINATE``,
      after every handler of that iteration ran, and waited for if asynchronous; ``COMPLETED`` handlers run;
      then ``trainer.run`` raises ``SystemExit(exit_code)`` (``exit_code=None``: it returns and ``preempted``
      is ``True``). Previous signal handlers are put back when the run ends.

    Requirements: ``checkpointer`` writes to a directory (a :class:`DiskSaver`, created with
    ``require_empty=False`` so that a restart may reuse it), ranks files by step (no ``score_function``), and
    its ``to_save`` holds the trainer. Call :meth:`attach` once everything that ``to_save`` refers to exists,
    in the main thread. Only the trainer is stopped: an evaluation running when the signal arrives finishes
    first.

    Args:
        checkpointer: the :class:`~ignite.handlers.checkpoint.Checkpoint` to write and resume from.
        signals: signal numbers to handle.
        resume: load the latest valid checkpoint in :meth:`attach`.
        exact: add an ``ExactResume`` to the checkpoints.
        exit_code: exit status after a preempted run, or ``None`` to return from ``run``.
    """

    def __init__(
        self,
        checkpointer: Checkpoint,
        signals: Iterable[int] | None = None,
        resume: bool = True,
        exact: bool = True,
        exit_code: int | None = 0,
    ) -> None:
        if not isinstance(checkpointer, Checkpoint):
            raise TypeError(f"Argument checkpointer should be a Checkpoint, but given {type(checkpointer)}")
        if not isinstance(checkpointer.save_handler, DiskSaver):
            raise TypeError(
                "PreemptionHandler needs a Checkpoint writing to a directory (a DiskSaver save handler), "
                f"given {type(checkpointer.save_handler)}"
            )
        if checkpointer.score_function is not None:
            raise ValueError(
                "PreemptionHandler needs a Checkpoint that keeps the latest files (no score_function): a score-based "
                "checkpointer may refuse to save the preemption checkpoint"
            )
        self.checkpointer = checkpointer
        self.signals = tuple(signals) if signals is not None else _default_signals()
        self.resume = resume
        self.exact = exact
        self.exit_code = exit_code
        self.preempted = False
        self.resumed_from: Path | None = None
        self._signal: int | None = None
        self._previous: dict[int, Any] = {}
        self._engine_ref: weakref.ref | None = None
        self._ran = False

    # ------------------------------------------------------------------------------------------ attach

    def attach(self, engine: Engine) -> None:
        """Resume from the latest valid checkpoint (``resume=True``), install the signal handlers and hooks."""
        from ignite.engine.engine import Engine as _Engine

        to_save = self.checkpointer.to_save
        if not any(obj is engine for obj in to_save.values()):
            raise ValueError("PreemptionHandler: the trainer must be one of the values of checkpointer.to_save")
        if self.exact and not any(isinstance(obj, ExactResume) for obj in to_save.values()):
            if not isinstance(to_save, MutableMapping) or "exact_resume" in to_save:
                raise ValueError(
                    "PreemptionHandler(exact=True) adds an ExactResume under 'exact_resume' to checkpointer.to_save, "
                    "which must be a mutable mapping without that key (or put an ExactResume there yourself)"
                )
            to_save["exact_resume"] = ExactResume(engine)
        if not isinstance(engine, _Engine):
            raise TypeError(f"Argument engine should be an Engine, but given {type(engine)}")
        self._engine_ref = weakref.ref(engine)

        if self.resume:
            self.resumed_from = self._load_latest()

        engine.add_event_handler(Events.STARTED, self._on_started)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self._on_iteration_completed)
        engine.add_event_handler(Events.EPOCH_COMPLETED, self._on_epoch_completed)
        engine.add_event_handler(Events.TERMINATE, self._on_terminate)
        self._wrap_run(engine)
        self._install_signals()

    def _load_latest(self) -> Path | None:
        checkpointer = self.checkpointer
        for path in checkpointer._find_checkpoints():
            try:
                checkpoint = _load_file(path)
            except CorruptCheckpointError as e:
                warnings.warn(f"PreemptionHandler: skipping unreadable checkpoint: {e}")
                continue
            Checkpoint.load_objects(to_load=checkpointer.to_save, checkpoint=checkpoint)
            # keep rotating the files written before the restart (ExactResume refines this when present)
            found = list(reversed(checkpointer._find_checkpoints()))
            checkpointer._saved = [Checkpoint.Item(i, p.name) for i, p in enumerate(found)]
            _logger.info("PreemptionHandler: resumed from %s", path)
            return path
        return None

    # ------------------------------------------------------------------------------------------ signals

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            warnings.warn("PreemptionHandler: signal handlers can only be installed from the main thread; skipped")
            return
        for sig in self.signals:
            if sig not in self._previous:
                self._previous[sig] = signal.signal(sig, self._on_signal)

    def _restore_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig, previous in self._previous.items():
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
        self._previous = {}

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self._signal is None:
            self._signal = signum
            # logging from a signal handler may deadlock on the logging lock; keep it to a plain flag

    # ------------------------------------------------------------------------------------------ run hooks

    def _on_started(self, engine: Engine) -> None:
        self._install_signals()
        # check last among ITERATION_COMPLETED handlers: a signal arriving while any of them runs still stops the
        # run at this iteration
        engine._move_handler_last(Events.ITERATION_COMPLETED, self._on_iteration_completed)

    def _on_iteration_completed(self, engine: Engine) -> None:
        if self._signal is None or engine.should_terminate:
            return
        epoch_length = engine.state.epoch_length
        if epoch_length is not None and engine.state.iteration % epoch_length == 0:
            return  # the epoch's last iteration: stop after its EPOCH_COMPLETED handlers
        engine.terminate()

    def _on_epoch_completed(self, engine: Engine) -> None:
        if self._signal is not None and not engine.should_terminate:
            engine.terminate()

    def _on_terminate(self, engine: Engine) -> None:
        if self._signal is None or self.preempted:
            return
        _logger.warning(
            "PreemptionHandler: signal %s received; saving a checkpoint at iteration %s and stopping",
            self._signal,
            engine.state.iteration,
        )
        self.checkpointer(engine)
        self.checkpointer.wait()
        self.preempted = True

    def _wrap_run(self, engine: Engine) -> None:
        run = type(engine).run
        handler_ref = weakref.ref(self)
        engine_ref = weakref.ref(engine)
        signature = inspect.signature(run)

        def wrapped_run(*args: Any, **kwargs: Any) -> Any:
            eng = engine_ref()
            handler = handler_ref()
            if handler is None or eng is None:
                return run(eng, *args, **kwargs)
            first, handler._ran = not handler._ran, True
            if first and handler._finished_already(eng, signature.bind(eng, *args, **kwargs).arguments):
                _logger.info("PreemptionHandler: the resumed run had already finished; nothing to run")
                return eng.state
            handler._install_signals()
            try:
                state = run(eng, *args, **kwargs)
            finally:
                handler._restore_signals()
            if handler.preempted and handler.exit_code is not None:
                raise SystemExit(handler.exit_code)
            return state

        wrapped_run.__doc__ = run.__doc__
        engine.run = wrapped_run  # type: ignore[method-assign]

    def _finished_already(self, engine: Engine, arguments: dict) -> bool:
        """Whether the checkpoint we resumed from was taken at the end of the run that is asked for again."""
        if self.resumed_from is None or engine.state.iteration == 0:
            return False
        state = engine.state
        max_epochs = arguments.get("max_epochs") or state.max_epochs
        max_iters = arguments.get("max_iters") or state.max_iters
        if max_iters is not None:
            return state.iteration >= max_iters
        if max_epochs is not None and state.epoch_length:
            return state.iteration >= state.epoch_length * max_epochs
        return False

    @property
    def engine(self) -> Engine | None:
        return self._engine_ref() if self._engine_ref is not None else None
