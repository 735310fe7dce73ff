"""Learning-rate range test (Leslie Smith; fastai's ``lr_find``): train while the lr grows, watch the loss."""

from __future__ import annotations

import contextlib
import logging
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from math import ceil
from pathlib import Path
from typing import Any

import torch
from torch.optim import Optimizer

import ignite.distributed as idist
from ignite import _rng
from ignite.engine import Engine, Events
from ignite.handlers.param_scheduler import (
    LRScheduler,
    ParamGroupScheduler,
    PiecewiseLinear,
    PyTorchLRScheduler,
    _import_pyplot,
)

__all__ = ["FastaiLRFinder"]


class _ExponentialLR(PyTorchLRScheduler):
    """lr of step ``s``: ``start * (end / start) ** (s / num_iter)`` per group.

    As upstream's (the default): ``s = last_epoch + 1``, uncapped; its construction already steps once, so the
    first iteration trains with the lr of ``s = 1``. With ``from_start``: ``s = last_epoch``, held at ``end``
    after ``num_iter`` steps (the first iteration trains with ``start``).
    """

    def __init__(
        self, optimizer: Optimizer, start_lrs: list[float], end_lrs: list[float], num_iter: int, from_start: bool
    ) -> None:
        self.start_lrs = start_lrs
        self.end_lrs = end_lrs
        self.num_iter = num_iter
        self.from_start = from_start
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:  # type: ignore[override]
        if self.from_start:
            r = min(self.last_epoch, self.num_iter) / self.num_iter
        else:
            r = (self.last_epoch + 1) / self.num_iter
        return [start * (end / start) ** r for start, end in zip(self.start_lrs, self.end_lrs)]


def _check_lr_values(name: str, value: Any, n_groups: int, default: list[float] | None) -> list[float]:
    if value is None and default is not None:
        return default
    if isinstance(value, float):
        return [value] * n_groups
    if isinstance(value, list):
        if len(value) != n_groups:
            raise ValueError(
                f"Number of values of {name} should be equal to optimizer values."
                f"{name} values:{len(value)} optimizer values: {n_groups}"
            )
        return value
    raise TypeError(f"{name} should be a float or list of floats, but given {type(value)}")


class FastaiLRFinder:
    """Learning-rate finder: run the trainer while the lr grows from ``start_lr`` to ``end_lr``, record the loss.

    ```python
    lr_finder = FastaiLRFinder()
    to_save = {"model": model, "optimizer": optimizer}
    with lr_finder.attach(trainer, to_save, end_lr=1.0) as trainer_with_lr_finder:
        trainer_with_lr_finder.run(train_loader)

    print(lr_finder.lr_suggestion())
    lr_finder.plot()
    lr_finder.apply_suggested_lr(optimizer)
    trainer.run(train_loader, max_epochs=10)
    ```

    What is recorded is upstream's: ``get_results()["lr"][i - 1]`` is the lr the schedule sets after iteration
    ``i`` (the one iteration ``i + 1`` trains with), beside the loss of iteration ``i``. In ``"exp"`` mode it is
    ``start_lr * (end_lr / start_lr) ** (i / num_iter)``, and iteration 1 already trains with the value of
    ``i = 1``; in ``"linear"`` mode it is ``start_lr + (end_lr - start_lr) * (i - 1) / num_iter``. So
    :meth:`lr_suggestion` matches what PyTorch-Ignite suggests. ``attach(..., record_lr_used=True)`` records
    instead, beside each loss, the lr its iteration trained with: the schedule starts at ``start_lr`` and
    reaches ``end_lr`` at iteration ``num_iter + 1``. The search stops after ``num_iter + 1`` iterations or when
    the smoothed loss exceeds ``diverge_th`` times the best one.

    Leaving the ``with`` block, normally or through an exception, puts back everything the search changed:
    the objects of ``to_save`` (model and optimizer included, param group lrs and all), the trainer's state and
    handlers, the modules' train/eval modes and the random generators, so the training that follows is the one
    that would have run without the search.
    """

    _lr_schedule: LRScheduler | PiecewiseLinear | ParamGroupScheduler

    def __init__(self) -> None:
        self._diverge_flag = False
        self._history: dict[str, list[Any]] = {}
        self._best_loss: float | None = None
        self._generator_states: dict[int, tuple[torch.Generator, torch.Tensor]] = {}
        self._record_lr_used = False
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)

    # ------------------------------------------------------------------------------------------- the search
    def _run(
        self,
        trainer: Engine,
        optimizer: Optimizer,
        output_transform: Callable,
        num_iter: int | None,
        start_lrs: list[float],
        end_lrs: list[float],
        step_mode: str,
        smooth_f: float,
        diverge_th: float,
    ) -> None:
        self._history = {"lr": [], "loss": []}
        self._best_loss = None
        self._diverge_flag = False
        for generator in _data_generators(trainer.state.dataloader):  # seeded samplers, restored on exit
            self._generator_states.setdefault(id(generator), (generator, generator.get_state()))

        # counted from the iteration the run starts at (a trainer that resumes a run does not start at 0)
        state = trainer.state
        start = state.iteration
        if state.max_epochs is None:
            max_iter = state.max_iters
        elif state.epoch_length is not None:
            max_iter = state.epoch_length * state.max_epochs
        else:
            max_iter = None  # data without a length: the run's size is unknown
        if num_iter is None:
            if max_iter is None:
                raise ValueError(
                    "FastaiLRFinder cannot tell how many iterations to search for: the data has no length. "
                    "Please pass num_iter to attach() (or epoch_length or max_iters to run())."
                )
            num_iter = max_iter - start
        elif max_iter is not None and max_iter - start < num_iter:
            state.max_iters = start + num_iter
            state.max_epochs = ceil((start + num_iter) / state.epoch_length)

        if not trainer.has_event_handler(self._reached_num_iterations):
            trainer.add_event_handler(Events.ITERATION_COMPLETED, self._reached_num_iterations, start + num_iter)
        if not trainer.has_event_handler(self._log_lr_and_loss):
            trainer.add_event_handler(
                Events.ITERATION_COMPLETED, self._log_lr_and_loss, output_transform, smooth_f, diverge_th
            )

        self.logger.debug("Running LR finder for %s iterations", num_iter)
        if step_mode.lower() == "exp":
            exp_lr = _ExponentialLR(optimizer, start_lrs, end_lrs, num_iter, from_start=self._record_lr_used)
            self._lr_schedule = LRScheduler(exp_lr)
        elif len(optimizer.param_groups) == 1:
            self._lr_schedule = PiecewiseLinear(
                optimizer, param_name="lr", milestones_values=[(0, start_lrs[0]), (num_iter, end_lrs[0])]
            )
        else:
            self._lr_schedule = ParamGroupScheduler(
                [
                    PiecewiseLinear(
                        optimizer, "lr", milestones_values=[(0, start), (num_iter, end)], param_group_index=i
                    )
                    for i, (start, end) in enumerate(zip(start_lrs, end_lrs))
                ]
            )
        if self._record_lr_used:
            self._lr_schedule(None)  # the first iteration trains with the start lr(s)
        elif step_mode.lower() == "linear":
            for group, lr in zip(optimizer.param_groups, start_lrs):
                group["lr"] = lr  # the first iteration trains with the schedule's first value
        if not trainer.has_event_handler(self._lr_schedule):
            trainer.add_event_handler(Events.ITERATION_COMPLETED, self._lr_schedule)

    def _reached_num_iterations(self, trainer: Engine, last_iteration: int) -> None:
        if trainer.state.iteration > last_iteration:
            trainer.terminate()

    def _log_lr_and_loss(self, trainer: Engine, output_transform: Callable, smooth_f: float, diverge_th: float) -> None:
        output = trainer.state.output
        loss = output_transform(output)
        if isinstance(loss, float):
            pass
        elif isinstance(loss, torch.Tensor):
            if loss.ndim == 0 or (loss.ndim == 1 and loss.numel() == 1):
                loss = loss.item()
            else:
                raise ValueError(
                    "if output of the engine is torch.Tensor, then "
                    "it must be 0d torch.Tensor or 1d torch.Tensor with 1 element, "
                    f"but got torch.Tensor of shape {loss.shape}."
                )
        else:
            raise TypeError(
                "output of the engine should be of type float or 0d torch.Tensor "
                "or 1d torch.Tensor with 1 element, "
                f"but got output of type {type(loss).__name__}.\n"
                "You may wish to use the output_transform kwarg with the attach method, e.g.\n"
                "    with lr_finder.attach(trainer, to_save, output_transform=lambda out: out['loss']) as t:\n"
                "        t.run(train_loader)"
            )
        loss = idist.all_reduce(loss)

        if self._record_lr_used:
            # the lr the iteration that produced this loss ran with (the schedule moves it after this handler)
            lrs = [group["lr"] for group in self._lr_schedule.optimizer_param_groups]
            self._history["lr"].append(lrs[0] if len(lrs) == 1 else lrs)
        else:  # upstream's record: the lr the schedule sets at this step
            self._history["lr"].append(self._lr_schedule.get_param())

        if smooth_f > 0 and self._history["loss"]:
            loss = smooth_f * loss + (1 - smooth_f) * self._history["loss"][-1]
        if self._best_loss is None or loss < self._best_loss:
            self._best_loss = loss
        self._history["loss"].append(loss)

        if loss > diverge_th * self._best_loss:
            self._diverge_flag = True
            self.logger.info("Stopping early, the loss has diverged")
            trainer.terminate()

    def _warning(self, _: Any) -> None:
        if not self._diverge_flag:
            warnings.warn(
                "Run completed without loss diverging, increase end_lr, decrease diverge_th or look"
                " at lr_finder.plot()",
                UserWarning,
            )

    def _detach(self, trainer: Engine) -> None:
        """Remove the handlers added at STARTED (also run at COMPLETED)."""
        for handler in (self._reached_num_iterations, self._log_lr_and_loss, getattr(self, "_lr_schedule", None)):
            if handler is not None and trainer.has_event_handler(handler, Events.ITERATION_COMPLETED):
                trainer.remove_event_handler(handler, Events.ITERATION_COMPLETED)

    # alias kept for code that knows the upstream name
    _reset = _detach

    # ----------------------------------------------------------------------------------------------- results
    def get_results(self) -> dict[str, list[Any]]:
        """``{"lr": [...], "loss": [...]}`` of the last search (lr entries are lists with several param groups)."""
        return self._history

    def plot(
        self,
        skip_start: int = 10,
        skip_end: int = 5,
        log_lr: bool = True,
        display_suggestion: bool = True,
        ax: Any | None = None,
        **kwargs: Any,
    ) -> Any:
        """Plot loss against lr with matplotlib (trimming ``skip_start``/``skip_end`` points); returns the axes."""
        plt = _import_pyplot()
        if not self._history:
            raise RuntimeError("learning rate finder didn't run yet so results can't be plotted")
        if skip_start < 0:
            raise ValueError("skip_start cannot be negative")
        if skip_end < 0:
            raise ValueError("skip_end cannot be negative")

        lrs = self._history["lr"]
        losses = self._history["loss"]
        if ax is None:
            _, ax = plt.subplots(**kwargs)

        n_groups = len(lrs[0]) if lrs and isinstance(lrs[0], list) else 1
        if display_suggestion:
            sug_lr = self.lr_suggestion()
            idx = self._history["lr"].index(sug_lr)
            if skip_start >= idx:
                warnings.warn(
                    "skip_start is larger than the suggested LR found"
                    " and it will not be visible on the plot. Please, make the value smaller.",
                    UserWarning,
                )
            corresponding_loss = self._history["loss"][idx]
            sug_lrs = sug_lr if isinstance(sug_lr, list) else [sug_lr]
            for i, lr in enumerate(sug_lrs):
                ax.scatter(
                    lr,
                    corresponding_loss,
                    color="red" if n_groups == 1 else None,
                    s=75,
                    marker="o",
                    zorder=3,
                    label=f"suggested lr for param_groups {i}",
                )

        end = len(lrs) - skip_end if skip_end > 0 else len(lrs)
        lrs = lrs[skip_start:end]
        losses = losses[skip_start:end]

        columns = [[row[i] for row in lrs] for i in range(n_groups)] if n_groups > 1 else [lrs]
        for column in columns:
            ax.plot(column, losses)
        if log_lr:
            ax.set_xscale("log")
        if lrs:
            first, last = lrs[0], lrs[-1]
            ax.set_xlim(
                [min(first) if isinstance(first, list) else first, max(last) if isinstance(last, list) else last]
            )
        ax.set_xlabel("Learning rate")
        ax.set_ylabel("Loss")
        if display_suggestion:
            ax.legend()
        plt.show()
        return ax

    def lr_suggestion(self) -> Any:
        """The lr at the steepest descent of the loss, before its minimum (a list with several param groups)."""
        if not self._history:
            raise RuntimeError("learning rate finder didn't run yet so lr_suggestion can't be returned")
        losses = self._history["loss"]
        min_loss_idx = int(torch.tensor(losses).argmin().item())
        decreasing = losses[: min_loss_idx + 1]
        if len(decreasing) < 3:
            raise RuntimeError(
                "FastaiLRFinder got unexpected curve shape, the curve should be somehow U-shaped, "
                "please decrease start_lr or increase end_lr to resolve this issue."
            )
        grads = torch.tensor([0.5 * (decreasing[i + 1] - decreasing[i - 1]) for i in range(1, len(decreasing) - 1)])
        return self._history["lr"][int(grads.argmin().item()) + 1]

    def apply_suggested_lr(self, optimizer: Optimizer) -> None:
        """Set the suggested lr(s) in ``optimizer``'s param groups."""
        sug_lr = self.lr_suggestion()
        if not isinstance(sug_lr, list):
            sug_lr = [sug_lr]
        if len(sug_lr) != len(optimizer.param_groups):
            raise RuntimeError(
                "The number of parameter groups does not match between given optimizer and the one used for "
                f"estimating the learning rate: {len(sug_lr)} vs {len(optimizer.param_groups)}"
            )
        for group, lr in zip(optimizer.param_groups, sug_lr):
            group["lr"] = lr

    # ------------------------------------------------------------------------------------------------ attach
    @contextlib.contextmanager
    def attach(
        self,
        trainer: Engine,
        to_save: Mapping,
        output_transform: Callable = lambda output: output,
        num_iter: int | None = None,
        start_lr: float | list[float] | None = None,
        end_lr: float | list[float] | None = 10.0,
        step_mode: str = "exp",
        smooth_f: float = 0.05,
        diverge_th: float = 5.0,
        *,
        record_lr_used: bool = False,
    ) -> Iterator[Engine]:
        """Context manager giving ``trainer`` with the finder attached; everything is restored on exit.

        ``to_save`` maps names to objects with ``state_dict``/``load_state_dict`` and must hold the
        ``"optimizer"``. ``num_iter`` defaults to the run's length (required for data without a length);
        ``start_lr`` to the optimizer's lrs. ``step_mode`` is ``"exp"`` or ``"linear"``; ``smooth_f`` smooths the
        loss exponentially; the search stops when the loss exceeds ``diverge_th`` times the best loss.
        ``record_lr_used=True`` (beyond upstream) runs the schedule from ``start_lr`` and records beside each
        loss the lr its iteration trained with, instead of upstream's record (see the class docstring).
        """
        optimizer = _check_to_save(to_save)
        _check_search_arguments(smooth_f, diverge_th, step_mode, num_iter, record_lr_used)
        self._record_lr_used = record_lr_used
        n_groups = len(optimizer.param_groups)
        start_lrs = _check_lr_values("start_lr", start_lr, n_groups, [group["lr"] for group in optimizer.param_groups])
        end_lrs = _check_lr_values("end_lr", end_lr, n_groups, None)
        for start, end in zip(start_lrs, end_lrs):
            if start >= end:
                raise ValueError(f"start_lr must be less than end_lr, start_lr={start_lrs} vs end_lr={end_lrs}")

        with tempfile.TemporaryDirectory() as tmpdir:
            cache = Path(tmpdir) / "ignite_lr_finder_cache.pt"
            snapshot = {k: obj.state_dict() for k, obj in to_save.items()}
            snapshot["trainer"] = trainer.state_dict()
            torch.save(snapshot, cache)
            restore_extra = _snapshot_extras(trainer, to_save)
            self._generator_states = {}

            added = []
            for event, handler, args in (
                (
                    Events.STARTED,
                    self._run,
                    (optimizer, output_transform, num_iter, start_lrs, end_lrs, step_mode, smooth_f, diverge_th),
                ),
                (Events.COMPLETED, self._warning, ()),
                (Events.COMPLETED, self._detach, ()),
            ):
                if not trainer.has_event_handler(handler, event):
                    trainer.add_event_handler(event, handler, *args)
                    added.append((event, handler))
            try:
                yield trainer
            finally:
                for event, handler in added:
                    if trainer.has_event_handler(handler, event):
                        trainer.remove_event_handler(handler, event)
                self._detach(trainer)
                saved = torch.load(cache, weights_only=True)
                trainer.load_state_dict(saved.pop("trainer"))
                for k, obj in to_save.items():
                    obj.load_state_dict(saved[k])
                restore_extra()
                for generator, generator_state in self._generator_states.values():
                    generator.set_state(generator_state)
                self._generator_states = {}


def _check_to_save(to_save: Any) -> torch.optim.Optimizer:
    """The optimizer of ``to_save``, after checking that every object in it can save and load its state."""
    if not isinstance(to_save, Mapping):
        raise TypeError(f"Argument to_save should be a mapping, but given {type(to_save)}")
    for obj in to_save.values():
        for attr in ("state_dict", "load_state_dict"):
            if not callable(getattr(obj, attr, None)):
                raise TypeError(f"Object {type(obj)} should have `{attr}` method")
    if "optimizer" not in to_save:
        raise ValueError("Mapping to_save should contain 'optimizer' key")
    optimizer = to_save["optimizer"]
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"Object to_save['optimizer'] should be torch optimizer, but given {type(optimizer)}")
    return optimizer


def _check_search_arguments(
    smooth_f: float, diverge_th: float, step_mode: str, num_iter: int | None, record_lr_used: bool
) -> None:
    if smooth_f < 0 or smooth_f >= 1:
        raise ValueError("smooth_f is outside the range [0, 1]")
    if diverge_th < 1:
        raise ValueError("diverge_th should be larger than 1")
    if step_mode not in ["exp", "linear"]:
        raise ValueError(f"step_mode should be 'exp' or 'linear', but given {step_mode}")
    if num_iter is not None:
        if not isinstance(num_iter, int):
            raise TypeError(f"if provided, num_iter should be an integer, but give {num_iter}")
        if num_iter <= 0:
            raise ValueError(f"if provided, num_iter should be positive, but give {num_iter}")
    if not isinstance(record_lr_used, bool):
        raise TypeError(f"Argument record_lr_used should be a bool, but given {type(record_lr_used)}")


_ENGINE_FLAGS = ("should_terminate", "should_terminate_single_epoch", "should_interrupt", "last_event_name")


def _snapshot_extras(trainer: Engine, to_save: Mapping) -> Callable[[], None]:
    """What the state dicts do not cover: the trainer's other state attributes, the modules' train/eval modes,
    attributes torch's LR schedulers add to the optimizer, and the random generators."""
    state_attrs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in trainer.state.__dict__.items()}
    modes = [
        (module, module.training)
        for obj in to_save.values()
        if isinstance(obj, torch.nn.Module)
        for module in obj.modules()
    ]
    optimizer_attrs = set(to_save["optimizer"].__dict__)
    flags = {name: getattr(trainer, name) for name in _ENGINE_FLAGS}
    rng = _rng.capture()  # the random states the search consumes, put back on exit

    def restore() -> None:
        trainer.state.__dict__.clear()
        trainer.state.__dict__.update(state_attrs)
        for name, value in flags.items():
            setattr(trainer, name, value)
        for module, training in modes:
            module.training = training
        optimizer = to_save["optimizer"]
        for name in set(optimizer.__dict__) - optimizer_attrs:
            delattr(optimizer, name)
        _rng.restore(rng)

    return restore


_data_generators = _rng.data_generators
