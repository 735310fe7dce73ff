"""The seed documents' examples that combine the engine with metrics and handlers, run as written."""

import os

import pytest
import torch
from sklearn.metrics import accuracy_score, f1_score

from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import EarlyStopping, ModelCheckpoint, PiecewiseLinear
from ignite.metrics import Accuracy, Precision, Recall


def _classification_data(n_batches=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 4, generator=g), torch.randint(0, 3, (16,), generator=g)) for _ in range(n_batches)]


def _update_factory(model, optimizer, as_dict):
    loss_fn = torch.nn.CrossEntropyLoss()

    def update(engine, batch):
        x, y = batch
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if as_dict:
            return {"loss": loss.item(), "y_pred": y_pred.detach(), "y": y}
        return loss.item(), y_pred.detach(), y

    return update


@pytest.mark.parametrize("as_dict", [False, True])
def test_concepts_output_transform_tuple_and_dict(capsys, as_dict):
    data = _classification_data()
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = Engine(_update_factory(model, optimizer, as_dict))
    preds = []

    @trainer.on(Events.ITERATION_COMPLETED)
    def keep(engine):
        out = engine.state.output
        preds.append((out["y_pred"], out["y"]) if as_dict else (out[1], out[2]))

    @trainer.on(Events.EPOCH_COMPLETED)
    def print_loss(engine):
        loss = engine.state.output["loss"] if as_dict else engine.state.output[0]
        print(f"Epoch {engine.state.epoch}: train_loss = {loss}")

    transform = (lambda x: [x["y_pred"], x["y"]]) if as_dict else (lambda x: [x[1], x[2]])
    Accuracy(output_transform=transform).attach(trainer, "acc")
    trainer.run(data, max_epochs=2)
    # the metric covers the last epoch's batches
    y_pred = torch.cat([p for p, _ in preds[-5:]]).argmax(1)
    y = torch.cat([t for _, t in preds[-5:]])
    assert trainer.state.metrics["acc"] == accuracy_score(y.numpy(), y_pred.numpy())
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Epoch 1", "Epoch 2"]


def test_faq_early_stopping_and_best_model_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    trainer = create_supervised_trainer(model, optimizer, torch.nn.CrossEntropyLoss())
    evaluator = create_supervised_evaluator(model, metrics={"accuracy": Accuracy()})
    val = _classification_data(seed=1)

    def score_function(engine):
        return engine.state.metrics["accuracy"]

    @trainer.on(Events.EPOCH_COMPLETED)
    def in_training_loop_on_epoch_completed(engine):
        evaluator.run(val)

    handler = EarlyStopping(patience=2, score_function=score_function, trainer=trainer)
    evaluator.add_event_handler(Events.COMPLETED, handler)
    best_model_saver = ModelCheckpoint(str(tmp_path), "best", score_function=score_function)
    evaluator.add_event_handler(Events.COMPLETED, best_model_saver, {"mymodel": model})

    scores = []
    evaluator.add_event_handler(Events.COMPLETED, lambda e: scores.append(e.state.metrics["accuracy"]))
    trainer.run(_classification_data(), max_epochs=30)

    # early stopping: the run ended exactly `patience` evaluations after the last improvement
    best_epoch = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if trainer.state.epoch < 30:
        assert len(scores) - 1 - best_epoch == 2
    (saved,) = os.listdir(tmp_path)
    assert saved.startswith("best_mymodel_") and saved.endswith(f"{max(scores):.4f}.pt")


def test_slides_f1_from_precision_and_recall():
    precision = Precision(average=False)
    recall = Recall(average=False)
    F1_per_class = precision * recall * 2 / (precision + recall)
    F1_mean = F1_per_class.mean()
    engine = Engine(lambda e, b: b)
    F1_mean.attach(engine, "F1")
    g = torch.Generator().manual_seed(3)
    batches = [(torch.rand(20, 4, generator=g), torch.randint(0, 4, (20,), generator=g)) for _ in range(3)]
    engine.run(batches)
    y_pred = torch.cat([b[0] for b in batches]).argmax(1).numpy()
    y = torch.cat([b[1] for b in batches]).numpy()
    assert abs(engine.state.metrics["F1"] - f1_score(y, y_pred, average="macro")) < 1e-6


def test_slides_piecewise_linear_schedule():
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    scheduler = PiecewiseLinear(optimizer, "lr", [(10, 0.5), (20, 0.45), (21, 0.3), (30, 0.1), (40, 0.1)])
    trainer = Engine(lambda e, b: None)
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    lrs = []
    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda: lrs.append(optimizer.param_groups[0]["lr"]))
    trainer.run(range(45))
    # event index k = iteration - 1: constant 0.5 up to 10, linear to 0.45 at 20, 0.3 at 21, 0.1 from 30
    assert lrs[0] == lrs[10] == 0.5
    assert abs(lrs[15] - 0.475) < 1e-9 and abs(lrs[20] - 0.45) < 1e-9 and abs(lrs[21] - 0.3) < 1e-9
    assert abs(lrs[25] - (0.3 - 0.2 * 4 / 9)) < 1e-9 and lrs[30] == lrs[44] == 0.1
