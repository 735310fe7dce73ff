"""Exponential moving average of a model's weights, updated from engine events."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Mapping
from copy import deepcopy
from typing import Any

import torch
from torch import nn

from ignite.engine import Engine, Events, RemovableEventHandle
from ignite.handlers._state_keys import load_module_state, plain_keys, unwrap_module
from ignite.handlers.state_param_scheduler import LambdaStateScheduler

__all__ = ["EMAHandler"]


class EMAWarmUp:
    """Momentum of the ``k``-th update (``k`` from 1): linear from ``momentum_warmup`` to ``momentum`` over
    ``warmup_iters`` updates, then ``momentum``. A class rather than a closure, so that it pickles."""

    def __init__(self, momentum_warmup: float, warmup_iters: int, momentum: float) -> None:
        self.momentum_warmup = momentum_warmup
        self.warmup_iters = warmup_iters
        self.momentum = momentum

    def __call__(self, event_index: int) -> float:
        denominator = max(1, self.warmup_iters - 1)
        value = self.momentum_warmup + (self.momentum - self.momentum_warmup) * (event_index - 1) / denominator
        if self.momentum >= self.momentum_warmup:
            return min(value, self.momentum)
        return max(value, self.momentum)


def _copy_into(ema_model: nn.Module, model: nn.Module) -> nn.Module:
    """``ema_model`` with the parameters and buffers of ``model`` (same names and shapes, checked)."""
    if not isinstance(ema_model, nn.Module):
        raise TypeError(f"Argument ema_model should be an nn.Module, got {type(ema_model).__name__}")
    if isinstance(ema_model, nn.parallel.DistributedDataParallel):
        ema_model = ema_model.module
    ours = {k: v.shape for k, v in ema_model.state_dict().items()}
    theirs = {k: v.shape for k, v in model.state_dict().items()}
    if ours != theirs:
        raise ValueError(
            "Argument ema_model should have the parameters and buffers of model (same names and shapes); "
            f"differing: {sorted(set(ours.items()) ^ set(theirs.items()))}"
        )
    with torch.no_grad():
        for dst, src in zip(
            list(ema_model.parameters()) + list(ema_model.buffers()), list(model.parameters()) + list(model.buffers())
        ):
            dst.copy_(src)
    return ema_model


class EMAHandler:
    """Keep ``ema_model``, an exponential moving average of ``model``'s parameters:
    ``ema = (1 - momentum) * ema + momentum * param`` after each event (default ``ITERATION_COMPLETED``).

    ```python
    ema_handler = EMAHandler(model, momentum=0.0002)
    ema_handler.attach(trainer, name="ema_momentum", event=Events.ITERATION_COMPLETED)
    evaluator = create_supervised_evaluator(ema_handler.ema_model, metrics={"acc": Accuracy()})
    ```

    The momentum is read from ``engine.state.<name>`` at every update, so any state scheduler writing that
    attribute changes it. ``momentum_warmup`` and ``warmup_iters`` given together ramp it linearly from
    ``momentum_warmup`` to ``momentum``. Buffers are aliased to the model's (``"copy"``), averaged like the
    parameters (``"update"``) or left to the EMA model's own forward passes (``"ema_train"``).
    A compiled or ``DistributedDataParallel`` model is unwrapped (saved under the plain model's keys); a
    ``DataParallel`` one is not (the EMA copy is a
    ``DataParallel`` too). ``state_dict()`` holds the EMA weights, so a checkpoint of the handler resumes exactly.

    An FSDP2 model (``idist.auto_model(..., fsdp=True)``) cannot be deep-copied: pass ``ema_model=``, a second
    instance built and sharded the same way; its parameters are set to the model's and averaged shard by shard
    (keyword only, also accepted for plain models).
    """

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.0002,
        momentum_warmup: float | None = None,
        warmup_iters: int | None = None,
        handle_buffers: str = "copy",
        *,
        ema_model: nn.Module | None = None,
    ) -> None:
        if not 0 < momentum < 1:
            raise ValueError(f"Invalid momentum: {momentum}")
        self.momentum = momentum
        self._momentum_lambda_obj: EMAWarmUp | None = None
        if momentum_warmup is not None and warmup_iters is not None:
            self.momentum_scheduler: LambdaStateScheduler | None = None
            self._momentum_lambda_obj = EMAWarmUp(momentum_warmup, warmup_iters, momentum)

        if not isinstance(model, nn.Module):
            raise ValueError(
                f"model should be an instance of nn.Module or its subclasses, but gotmodel: {model.__class__.__name__}"
            )
        model = unwrap_module(model, data_parallel=False)  # the plain model inside torch.compile and DDP
        self.model = model
        if ema_model is None:
            from ignite.handlers._sharded import is_fsdp_module

            if is_fsdp_module(model):
                raise ValueError(
                    "Argument ema_model is required for an FSDP2 (sharded) model, which cannot be deep-copied: "
                    "build and shard a second instance the same way and pass it as ema_model"
                )
            self.ema_model = deepcopy(model)
        else:
            self.ema_model = _copy_into(ema_model, model)
        for param in self.ema_model.parameters():
            param.detach_()

        if handle_buffers not in ("copy", "update", "ema_train"):
            raise ValueError(
                f"handle_buffers can only be one of 'copy', 'update', 'ema_train', but got {handle_buffers}"
            )
        self.handle_buffers = handle_buffers
        if handle_buffers == "ema_train":
            self.ema_model.train()
        else:
            self.ema_model.eval()
        # pairs resolved once: the update runs every iteration
        self._param_pairs = list(zip(self.ema_model.parameters(), self.model.parameters()))
        self._buffer_pairs = list(zip(self.ema_model.buffers(), self.model.buffers()))

    @torch.no_grad()
    def _update_ema_model(self, engine: Engine, name: str) -> None:
        momentum = getattr(engine.state, name)
        ema_params: list[torch.Tensor] = [e for e, _ in self._param_pairs]
        params = [p.detach() for _, p in self._param_pairs]
        if ema_params:
            torch._foreach_mul_(ema_params, 1.0 - momentum)
            torch._foreach_add_(ema_params, params, alpha=momentum)
        if self.handle_buffers == "update":
            for ema_b, b in self._buffer_pairs:
                try:
                    ema_b.mul_(1.0 - momentum).add_(b, alpha=momentum)
                except RuntimeError:  # integer buffers (e.g. num_batches_tracked): take the model's
                    ema_b.data = b.data
        elif self.handle_buffers == "copy":
            for ema_b, b in self._buffer_pairs:
                ema_b.data = b.data

    def attach(
        self,
        engine: Engine,
        name: str = "ema_momentum",
        warn_if_exists: bool = True,
        event: Any = Events.ITERATION_COMPLETED,
    ) -> RemovableEventHandle:
        """Update the EMA model on ``event``, with the momentum read from ``engine.state.<name>``.

        With warm-up, a :class:`LambdaStateScheduler` writing ``engine.state.<name>`` is attached to the same
        event first (upstream always wrote ``ema_momentum`` whatever ``name`` was; here it follows ``name``).
        """
        if hasattr(engine.state, name):
            if warn_if_exists:
                warnings.warn(
                    f"Attribute '{name}' already exists in Engine.state. It might because 1. the engine has loaded "
                    f"its state dict or 2. {name} is already created by other handlers. Turn off this warning by "
                    "settingwarn_if_exists to False.",
                    category=UserWarning,
                )
        else:
            setattr(engine.state, name, self.momentum)

        if self._momentum_lambda_obj is not None:
            self.momentum_scheduler = LambdaStateScheduler(self._momentum_lambda_obj, param_name=name)
            self.momentum_scheduler.attach(engine, event)
        return engine.add_event_handler(event, self._update_ema_model, name)

    def state_dict(self) -> OrderedDict:
        """The EMA model's weights (and the warm-up position when there is one)."""
        state = OrderedDict(ema_model=plain_keys(self.ema_model.state_dict()))
        scheduler = getattr(self, "momentum_scheduler", None)
        if scheduler is not None:
            state["momentum_scheduler"] = scheduler.state_dict()
        return state

    def load_state_dict(self, state_dict: Mapping) -> None:
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Argument state_dict should be a dictionary, but given {type(state_dict)}")
        if "ema_model" not in state_dict:
            raise ValueError(
                f"Required state attribute 'ema_model' is absent in provided state_dict '{state_dict.keys()}'"
            )
        load_module_state(self.ema_model, state_dict["ema_model"], data_parallel=False)
        scheduler = getattr(self, "momentum_scheduler", None)
        if scheduler is not None and "momentum_scheduler" in state_dict:
            scheduler.load_state_dict(state_dict["momentum_scheduler"])
