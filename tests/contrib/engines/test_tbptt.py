"""ignite.contrib.engines.tbptt (spec engine.md §10)."""

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


def _hand_tbptt(model, optimizer, x, y, tbtt_step):
    """Truncated backpropagation through time written out: one optimizer step per chunk, hidden detached."""
    hidden, losses = None, []
    for xc, yc in zip(x.split(tbtt_step), y.split(tbtt_step)):
        optimizer.zero_grad()
        y_pred, hidden = model(xc) if hidden is None else model(xc, hidden)
        hidden = hidden.detach()
        loss = nn.functional.mse_loss(y_pred, yc)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_tbptt_trainer_mechanics():
    torch.manual_seed(0)
    x = torch.rand(6, 4, 1)  # (seq, batch, features), split along dim 0
    y = torch.rand(6, 4, 1)
    reference = _RNN()
    ref_optimizer = torch.optim.SGD(reference.parameters(), lr=1)
    ref_losses = _hand_tbptt(reference, ref_optimizer, x, y, tbtt_step=2)

    model = _RNN()
    optimizer = torch.optim.SGD(model.parameters(), lr=1)
    trainer = create_supervised_tbptt_trainer(model, optimizer, nn.functional.mse_loss, tbtt_step=2)
    assert type(trainer) is Engine
    assert trainer.has_registered_events(Tbptt_Events.TIME_ITERATION_STARTED)
    assert trainer.has_registered_events(Tbptt_Events.TIME_ITERATION_COMPLETED)
    started, outputs, weights = [], [], []
    trainer.add_event_handler(Tbptt_Events.TIME_ITERATION_STARTED, lambda e: started.append(1))

    @trainer.on(Tbptt_Events.TIME_ITERATION_COMPLETED)
    def record(engine):
        outputs.append(engine.state.output)
        weights.append(model.rnn.weight_hh_l0.item())

    state = trainer.run([(x, y)])

    assert len(started) == 3 and len(outputs) == 3
    assert [len(a) for a in model.calls] == [0, 1, 1]  # model called with 1, 2, 2 positional args
    assert outputs == pytest.approx(ref_losses, rel=1e-6)  # the chunk losses of the hand-written loop ...
    assert state.output == pytest.approx(sum(ref_losses) / 3, rel=1e-6)
    for p, q in zip(model.parameters(), reference.parameters()):  # ... and the same parameters after it
        torch.testing.assert_close(p, q)
    assert len(set(weights)) == 3 and weights[0] != 0.0  # one optimizer step per chunk
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
