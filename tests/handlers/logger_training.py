"""A tiny real training run shared by the logger tests, recording by hand what each logger must store."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ignite.engine import Engine, Events
from ignite.handlers import global_step_from_engine

EPOCHS = 3
EPOCH_LENGTH = 4


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 1)
        self.frozen = nn.Linear(1, 1)  # no gradient: skipped by the grads handlers
        self.frozen.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


@dataclass
class Run:
    model: Net
    optimizer: torch.optim.Optimizer
    trainer: Engine
    evaluator: Engine
    loss: dict[int, float] = field(default_factory=dict)  # iteration -> loss
    lr: dict[int, float] = field(default_factory=dict)  # iteration (at ITERATION_STARTED) -> lr
    accuracy: dict[int, float] = field(default_factory=dict)  # trainer epoch -> evaluator "accuracy"
    weight_norms: dict[int, dict[str, float]] = field(default_factory=dict)  # epoch -> name -> norm
    grad_norms: dict[int, dict[str, float]] = field(default_factory=dict)
    weights: dict[int, dict[str, torch.Tensor]] = field(default_factory=dict)  # epoch -> name -> copy
    grads: dict[int, dict[str, torch.Tensor]] = field(default_factory=dict)


def make_run(seed: int = 0) -> Run:
    """Trainer (loss as a 0-d tensor output, lr decayed every iteration) and an evaluator run every epoch."""
    torch.manual_seed(seed)
    model = Net()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    x, y = torch.randn(8, 3), torch.randn(8, 1)

    def step(engine: Engine, batch: int) -> torch.Tensor:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        for group in optimizer.param_groups:
            group["lr"] *= 0.9
        return loss.detach()

    trainer = Engine(step)
    evaluator = Engine(lambda e, b: None)
    run = Run(model, optimizer, trainer, evaluator)

    @trainer.on(Events.ITERATION_STARTED)
    def record_lr(engine: Engine) -> None:
        run.lr[engine.state.iteration] = optimizer.param_groups[0]["lr"]

    @trainer.on(Events.ITERATION_COMPLETED)
    def record_loss(engine: Engine) -> None:
        run.loss[engine.state.iteration] = engine.state.output.item()

    @trainer.on(Events.EPOCH_COMPLETED)
    def record_weights_and_evaluate(engine: Engine) -> None:
        epoch = engine.state.epoch
        named = list(model.named_parameters())
        run.weight_norms[epoch] = {n: p.norm().item() for n, p in named}
        run.grad_norms[epoch] = {n: p.grad.norm().item() for n, p in named if p.grad is not None}
        run.weights[epoch] = {n: p.detach().clone() for n, p in named}
        run.grads[epoch] = {n: p.grad.clone() for n, p in named if p.grad is not None}
        evaluator.run([0])

    @evaluator.on(Events.COMPLETED)
    def set_metrics(engine: Engine) -> None:
        accuracy = 0.5 + 0.1 * trainer.state.epoch
        engine.state.metrics = {"accuracy": accuracy, "nll": 1.0 / trainer.state.epoch}
        run.accuracy[trainer.state.epoch] = accuracy

    return run


def attach_standard(logger, run: Run, trainer_event=Events.ITERATION_COMPLETED) -> None:
    """The usual wiring: training loss, lr, validation metrics at the trainer's epoch."""
    logger.attach_output_handler(
        run.trainer, trainer_event, tag="training", output_transform=lambda loss: {"loss": loss}
    )
    logger.attach_opt_params_handler(run.trainer, Events.ITERATION_STARTED, run.optimizer)
    logger.attach_output_handler(
        run.evaluator,
        Events.COMPLETED,
        tag="validation",
        metric_names=["accuracy"],
        global_step_transform=global_step_from_engine(run.trainer),
    )


def train(run: Run) -> None:
    run.trainer.run(range(EPOCH_LENGTH), max_epochs=EPOCHS)
