"""ignite.contrib.engines.tbptt (spec engine.md §10)."""

from unittest.mock import MagicMock

import pytest
import torch
from torch import nn

import ignite.contrib.engines as ce
import ignite.contrib.engines.tbptt as tbptt
from ignite.contrib.engines import Tbptt_Events, create_supervised_tbptt_trainer
from ignite.contrib.engines.tbptt import _detach_hidden
from ignite.engine import Engine, EventEnum, State


def test_reexports_and_events():
    assert ce.Tbptt_Events is tbptt.Tbptt_Events
    assert ce.create_supervised_tbptt_trainer is tbptt.create_supervised_tbptt_trainer
    assert issubclass(Tbptt_Events, EventEnum)
    assert [(e.name, e.value) for e in Tbptt_Events] == [
        ("TIME_ITERATION_STARTED", "time_iteration_started"),
        ("TIME_ITERATION_COMPLETED", "time_iteration_completed"),
    ]
    for e in Tbptt_Events:
        assert e not in State.event_to_attr


def test_detach_hidden():
    t = torch.ones(2, requires_grad=True) * 2
    d = _detach_hidden(t)
    assert not d.requires_grad and d.is_leaf and torch.equal(d, t)
    h, c = _detach_hidden((t, t * 3))
    assert not h.requires_grad and not c.requires_grad
    with pytest.raises(TypeError):
        _detach_hidden(0)


class _RNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(1, 1, bias=False)
        nn.init.zeros_(self.rnn.weight_hh_l0)
        nn.init.ones_(self.rnn.weight_ih_l0)
        self.calls = []

    def forward(self, x, *args):
        self.calls.append(args)
        return self.rnn(x, *args)


def test_tbptt_trainer_mechanics(monkeypatch):
    model = _RNN()
    optimizer = torch.optim.SGD(model.parameters(), lr=1)
    zero_grad = MagicMock(wraps=optimizer.zero_grad)
    step = MagicMock(wraps=optimizer.step)
    monkeypatch.setattr(optimizer, "zero_grad", zero_grad)
    monkeypatch.setattr(optimizer, "step", step)
    loss_values = []

    def loss_fn(y_pred, y):
        loss = nn.functional.mse_loss(y_pred, y)
        loss_values.append(loss.item())
        return loss

    detach = MagicMock(wraps=_detach_hidden)
    monkeypatch.setattr(tbptt, "_detach_hidden", detach)

    trainer = create_supervised_tbptt_trainer(model, optimizer, loss_fn, tbtt_step=2)
    assert type(trainer) is Engine
    assert trainer.has_registered_events(Tbptt_Events.TIME_ITERATION_STARTED)
    assert trainer.has_registered_events(Tbptt_Events.TIME_ITERATION_COMPLETED)
    started, completed, outputs = [], [], []
    trainer.add_event_handler(Tbptt_Events.TIME_ITERATION_STARTED, lambda e: started.append(1))
    trainer.add_event_handler(
        Tbptt_Events.TIME_ITERATION_COMPLETED, lambda e: completed.append(1) or outputs.append(e.state.output)
    )

    x = torch.rand(6, 4, 1)  # (seq, batch, features), split along dim 0
    y = torch.rand(6, 4, 1)
    state = trainer.run([(x, y)])

    assert len(started) == 3 and len(completed) == 3
    assert [len(a) for a in model.calls] == [0, 1, 1]  # model called with 1, 2, 2 positional args
    assert detach.call_count == 2
    assert zero_grad.call_count == 3 and step.call_count == 3
    assert len(loss_values) == 3
    assert outputs == pytest.approx(loss_values)
    assert state.output == pytest.approx(sum(loss_values) / 3)
    assert model.rnn.weight_hh_l0.item() != 0.0
    for hidden in (model.calls[1][0], model.calls[2][0]):
        assert hidden.is_leaf and not hidden.requires_grad


def test_tbptt_trainer_dim_and_uneven_chunks():
    model = _RNN()
    model.rnn = nn.RNN(1, 1, bias=False, batch_first=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    prepared = []

    def prepare_batch(batch, device=None, non_blocking=False):
        prepared.append((batch[0].shape, device, non_blocking))
        return batch

    trainer = create_supervised_tbptt_trainer(
        model, optimizer, nn.MSELoss(), tbtt_step=3, dim=1, device="cpu", non_blocking=True, prepare_batch=prepare_batch
    )
    x = torch.rand(2, 7, 1)  # (batch, seq, features)
    trainer.run([(x, torch.rand(2, 7, 1))])
    assert [p[0][1] for p in prepared] == [3, 3, 1]
    assert all(p[1:] == ("cpu", True) for p in prepared)


def test_tbptt_lstm_hidden_tuple():
    class LSTMModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(2, 3)
            self.fc = nn.Linear(3, 1)

        def forward(self, x, hidden=None):
            out, hidden = self.lstm(x, hidden)
            return self.fc(out), hidden

    model = LSTMModel()
    trainer = create_supervised_tbptt_trainer(
        model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), tbtt_step=4
    )
    state = trainer.run([(torch.rand(10, 3, 2), torch.rand(10, 3, 1))], max_epochs=2)
    assert isinstance(state.output, float) and state.iteration == 2
