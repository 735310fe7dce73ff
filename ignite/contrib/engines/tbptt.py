"""Truncated back-propagation through time: a trainer that splits each sequence batch into chunks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.engine import Engine, EventEnum, _prepare_batch
from ignite.utils import apply_to_tensor

__all__ = ["Tbptt_Events", "create_supervised_tbptt_trainer"]


class Tbptt_Events(EventEnum):
    """Events fired around each time chunk of a TBPTT iteration."""

    TIME_ITERATION_STARTED = "time_iteration_started"
    TIME_ITERATION_COMPLETED = "time_iteration_completed"


def _detach_hidden(hidden: torch.Tensor | Sequence) -> torch.Tensor | Sequence:
    """Cut the autograd history of a hidden state (a tensor or a tuple of tensors)."""
    return apply_to_tensor(hidden, torch.Tensor.detach)


def create_supervised_tbptt_trainer(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: torch.nn.Module,
    tbtt_step: int,
    dim: int = 0,
    device: str | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
) -> Engine:
    """Trainer for recurrent models: each batch ``(x, y)`` is split along ``dim`` into chunks of ``tbtt_step``.

    Every chunk is an optimisation step; the hidden state is carried over detached. The model must return
    ``(y_pred, hidden)`` and accept ``model(x)`` or ``model(x, hidden)``. The iteration output is the mean
    chunk loss.
    """
    import ignite.contrib.engines.tbptt as _this

    def _update(engine: Engine, batch: Sequence[torch.Tensor]) -> float:
        loss_list = []
        hidden = None
        x, y = batch
        for batch_t in zip(x.split(tbtt_step, dim=dim), y.split(tbtt_step, dim=dim)):
            x_t, y_t = prepare_batch(batch_t, device=device, non_blocking=non_blocking)
            engine.fire_event(Tbptt_Events.TIME_ITERATION_STARTED)
            model.train()
            optimizer.zero_grad()
            if hidden is None:
                y_pred_t, hidden = model(x_t)
            else:
                hidden = _this._detach_hidden(hidden)
                y_pred_t, hidden = model(x_t, hidden)
            loss_t = loss_fn(y_pred_t, y_t)
            loss_t.backward()
            optimizer.step()
            engine.state.output = loss_t.item()
            loss_list.append(loss_t.item())
            engine.fire_event(Tbptt_Events.TIME_ITERATION_COMPLETED)
        return sum(loss_list) / len(loss_list)

    engine = Engine(_update)
    engine.register_events(*Tbptt_Events)
    return engine
