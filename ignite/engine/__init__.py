"""Engines, events and the supervised trainer/evaluator factories."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch

from ignite.engine import _resumable
from ignite.engine._steps import (
    _call_model,
    _identity,
    _loss_item,
    _pred_and_target,
    _prepare_batch,
    supervised_evaluation_step,
    supervised_evaluation_step_amp,
    supervised_training_step,
    supervised_training_step_amp,
    supervised_training_step_apex,
    supervised_training_step_tpu,
)
from ignite.engine.deterministic import DeterministicEngine
from ignite.engine.engine import Engine
from ignite.engine.events import CallableEventWithFilter, EventEnum, Events, EventsList, RemovableEventHandle, State
from ignite.engine.loaders import CombinedLoader  # noqa: F401  (beyond upstream, not in __all__; a small module)
from ignite.utils import convert_tensor  # noqa: F401  (upstream examples import it from here)

if TYPE_CHECKING:
    from ignite.metrics.metric import Metric

__all__ = [
    "State",
    "create_supervised_trainer",
    "create_supervised_evaluator",
    "Engine",
    "DeterministicEngine",
    "Events",
    "EventsList",
    "EventEnum",
    "CallableEventWithFilter",
    "RemovableEventHandle",
    "supervised_training_step",
    "supervised_training_step_amp",
    "supervised_training_step_apex",
    "supervised_training_step_tpu",
    "supervised_evaluation_step",
    "supervised_evaluation_step_amp",
]

_AMP_MODES = (None, "amp", "apex")


def _check_arg(
    on_tpu: bool, on_mps: bool, amp_mode: str | None, scaler: bool | torch.amp.GradScaler | None
) -> tuple[str | None, torch.amp.GradScaler | None]:
    """Validate the device/AMP/scaler combination; create a ``GradScaler`` when ``scaler is True``."""
    if on_mps and amp_mode:
        raise ValueError("amp_mode cannot be used with mps device. Consider using amp_mode=None or device='cuda'.")
    import ignite.distributed as idist

    if on_tpu and not idist.has_xla_support:
        raise RuntimeError("In order to run on TPU, please install PyTorch XLA")
    if amp_mode and on_tpu:
        raise ValueError("amp_mode cannot be used with xla device. Consider using amp_mode=None or device='cuda'.")
    if scaler:
        if amp_mode != "amp":
            raise ValueError(f"scaler argument is {scaler}, but amp_mode is {amp_mode}. Consider using amp_mode='amp'.")
        if isinstance(scaler, bool):
            try:
                from torch.amp import GradScaler
            except ImportError:
                raise ImportError("Please install torch>=2.3.1 to use scaler argument.") from None
            scaler = GradScaler(enabled=True)
    if on_tpu:
        return "tpu", None
    if scaler and amp_mode == "amp":
        return amp_mode, scaler  # type: ignore[return-value]
    return amp_mode, None


def _device_flags(device: str | torch.device | None) -> tuple[bool, bool]:
    device_type = device.type if isinstance(device, torch.device) else device
    on_tpu = "xla" in device_type if device_type is not None else False
    on_mps = "mps" in device_type if device_type is not None else False
    return on_tpu, on_mps


def _warn_unknown_amp_mode(amp_mode: str | None) -> None:
    if amp_mode not in _AMP_MODES:
        warnings.warn(f"Unknown amp_mode={amp_mode!r} (expected None, 'amp' or 'apex'): running without AMP.")


def create_supervised_trainer(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable | torch.nn.Module,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
    model_transform: Callable[[Any], Any] = _identity,
    output_transform: Callable[[Any, Any, Any, torch.Tensor], Any] = _loss_item,
    deterministic: bool = False,
    amp_mode: str | None = None,
    scaler: bool | torch.amp.GradScaler = False,
    gradient_accumulation_steps: int = 1,
    model_fn: Callable[[torch.nn.Module, Any], Any] = _call_model,
    *,
    amp_dtype: torch.dtype | None = None,
    compile: bool | Mapping[str, Any] = False,
    accumulation_boundary: str = "epoch",
) -> Engine:
    """Build a trainer engine for a supervised model.

    Each iteration prepares the batch (moved to ``device``), runs the model, computes the loss, backpropagates
    and steps the optimizer (every ``gradient_accumulation_steps`` iterations). ``amp_mode="amp"`` runs the
    forward pass under autocast on the device of ``device`` (CPU included; ``amp_dtype`` picks e.g. bfloat16),
    ``scaler=True`` creates a ``GradScaler`` stored as ``trainer.state.scaler``. ``deterministic=True`` gives a
    :class:`DeterministicEngine`. The engine's output is ``output_transform(x, y, y_pred, loss)``, by default
    the loss as a float.

    Beyond upstream (keyword-only, see ``docs/guides/compile-and-accumulation.md``): ``compile=True`` or a dict
    of ``torch.compile`` options compiles the forward pass and loss (so their backward), and the optimizer step
    of a built-in optimizer with tensor learning rates; handlers and metrics stay outside the compiled code.
    ``accumulation_boundary="epoch"`` (default) restarts accumulation windows every epoch and steps a shorter
    last window at the epoch end; ``"global"`` counts windows over the whole run as upstream does. Under DDP the
    micro-steps inside a window run in ``model.no_sync()``: one gradient all-reduce per optimizer step; under
    FSDP2 (``fully_shard``) they run with ``set_requires_gradient_sync(False)``: one reduce-scatter per step.

    ```python
    trainer = create_supervised_trainer(model, optimizer, loss_fn, compile={"backend": "inductor"})
    ```
    """
    import ignite.engine as _this

    on_tpu, on_mps = _device_flags(device)
    _warn_unknown_amp_mode(amp_mode)
    mode, _scaler = _this._check_arg(on_tpu, on_mps, amp_mode, scaler)
    if compile is not False and mode in ("apex", "tpu"):
        raise ValueError(f"Argument compile is not supported with {mode!r} (only with amp_mode=None or 'amp')")
    args = (model, optimizer, loss_fn, device, non_blocking, prepare_batch, model_transform, output_transform)
    extra: dict[str, Any] = {} if accumulation_boundary == "epoch" else {"accumulation_boundary": accumulation_boundary}
    if compile is not False:
        extra["compile"] = compile
    if mode == "amp":
        if amp_dtype is not None:
            extra["amp_dtype"] = amp_dtype
        update = _this.supervised_training_step_amp(*args, _scaler, gradient_accumulation_steps, model_fn, **extra)
    elif mode == "apex":
        update = _this.supervised_training_step_apex(*args, gradient_accumulation_steps, model_fn, **extra)
    elif mode == "tpu":
        update = _this.supervised_training_step_tpu(*args, gradient_accumulation_steps, model_fn, **extra)
    else:
        update = _this.supervised_training_step(*args, gradient_accumulation_steps, model_fn, **extra)

    trainer = DeterministicEngine(update) if deterministic else Engine(update)
    # the hyper-parameters handlers change (lr decay, schedulers) are resumable state of the trainer (ExactResume)
    if isinstance(optimizer, torch.optim.Optimizer):
        trainer._register_resumable(_resumable.OptimizerHyperParameters(optimizer), "optimizer", hold=True)
    if _scaler and scaler and isinstance(scaler, bool):
        trainer.state.scaler = _scaler  # type: ignore[attr-defined]
    return trainer


def create_supervised_evaluator(
    model: torch.nn.Module,
    metrics: dict[str, Metric] | None = None,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
    model_transform: Callable[[Any], Any] = _identity,
    output_transform: Callable[[Any, Any, Any], Any] = _pred_and_target,
    amp_mode: str | None = None,
    model_fn: Callable[[torch.nn.Module, Any], Any] = _call_model,
    *,
    amp_dtype: torch.dtype | None = None,
    compile: bool | Mapping[str, Any] = False,
) -> Engine:
    """Build an evaluator engine: forward passes without gradients, with ``metrics`` attached by name.

    The engine's output is ``output_transform(x, y, y_pred)``, by default ``(y_pred, y)``. ``compile=True`` (or
    a dict of ``torch.compile`` options, beyond upstream) compiles the forward pass; metrics stay outside it.
    """
    import ignite.engine as _this

    on_tpu, on_mps = _device_flags(device)
    _warn_unknown_amp_mode(amp_mode)
    mode, _ = _this._check_arg(on_tpu, on_mps, amp_mode, None)
    metrics = metrics or {}
    kwargs: dict[str, Any] = dict(
        non_blocking=non_blocking,
        prepare_batch=prepare_batch,
        model_transform=model_transform,
        output_transform=output_transform,
        model_fn=model_fn,
    )
    if compile is not False:
        kwargs["compile"] = compile
    if mode == "amp":
        if amp_dtype is not None:
            kwargs["amp_dtype"] = amp_dtype
        evaluate_step = _this.supervised_evaluation_step_amp(model, device, **kwargs)
    else:
        evaluate_step = _this.supervised_evaluation_step(model, device, **kwargs)

    evaluator = Engine(evaluate_step)
    for name, metric in metrics.items():
        metric.attach(evaluator, name)
    return evaluator
