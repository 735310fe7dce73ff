"""Custom events: a training step that announces its backward pass and its optimizer steps.

Shows: an ``EventEnum`` of new events, registered with ``register_events`` and their own counters
(``event_to_attr``) so that filters such as ``BACKWARD_COMPLETED(every=10)`` count backward passes rather
than iterations; a process function that fires them (with gradient accumulation: one optimizer step every
``--accumulate`` backward passes, so the two counters differ); handlers on them: gradient-norm recording and
clipping after each backward pass, a learning-rate decay every 10 optimizer steps; and a second kind of custom
event fired by a handler (``NEW_BEST`` when validation accuracy improves). ``grad_norms.png`` plots the norms.

    python examples/custom_events.py           # 10 epochs
    python examples/custom_events.py --fast    # 2 epochs (what CI runs)
"""

from __future__ import annotations

import argparse
import sys

import _common
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import Engine, EventEnum, Events, create_supervised_evaluator
from ignite.metrics import Accuracy
from ignite.utils import manual_seed


class BackpropEvents(EventEnum):
    BACKWARD_STARTED = "backward_started"
    BACKWARD_COMPLETED = "backward_completed"
    OPTIM_STEP_COMPLETED = "optim_step_completed"


class ValidationEvents(EventEnum):
    NEW_BEST = "new_best"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _common.parser(__doc__, "custom_events")
    p.add_argument("--epochs", type=_common.positive_int, default=10)
    p.add_argument("--accumulate", type=_common.positive_int, default=2, help="backward passes per optimizer step")
    p.add_argument("--max-norm", type=_common.positive_float, default=1.0, help="gradient clipping threshold")
    args = _common.parse(p, argv, fast_epochs=2)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    manual_seed(args.seed)
    data = _common.digits(seed=args.seed)
    train_loader = DataLoader(TensorDataset(*data["train"]), batch_size=32, shuffle=True)
    val_loader = DataLoader(TensorDataset(*data["val"]), batch_size=512)
    model = _common.digits_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    def step(engine: Engine, batch: list[torch.Tensor]) -> float:
        model.train()
        x, y = batch
        loss = criterion(model(x), y) / args.accumulate
        engine.state.backward_started += 1
        engine.fire_event(BackpropEvents.BACKWARD_STARTED)
        loss.backward()
        engine.state.backward_completed += 1
        engine.fire_event(BackpropEvents.BACKWARD_COMPLETED)
        if engine.state.iteration % args.accumulate == 0:
            optimizer.step()
            optimizer.zero_grad()
            engine.state.optim_step_completed += 1
            engine.fire_event(BackpropEvents.OPTIM_STEP_COMPLETED)
        return loss.item() * args.accumulate

    trainer = Engine(step)
    counters = {e: e.value for e in BackpropEvents}  # state attribute counting each event, same name
    trainer.register_events(*BackpropEvents, event_to_attr=counters)
    trainer.register_events(*ValidationEvents)

    @trainer.on(Events.STARTED)
    def reset_counters(engine: Engine) -> None:
        for attr in counters.values():
            setattr(engine.state, attr, 0)

    grad_norms: list[tuple[int, float]] = []

    @trainer.on(BackpropEvents.BACKWARD_COMPLETED)
    def clip_and_record(engine: Engine) -> None:
        norm = nn.utils.clip_grad_norm_(model.parameters(), args.max_norm)
        grad_norms.append((engine.state.backward_completed, norm.item()))

    @trainer.on(BackpropEvents.OPTIM_STEP_COMPLETED(every=10))
    def decay_lr(engine: Engine) -> None:
        for group in optimizer.param_groups:
            group["lr"] *= 0.98

    evaluator = create_supervised_evaluator(model, metrics={"accuracy": Accuracy()})
    best = {"accuracy": 0.0, "epoch": 0}

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine: Engine) -> None:
        accuracy = evaluator.run(val_loader).metrics["accuracy"]
        s = engine.state
        print(
            f"epoch {s.epoch:3d}  iterations {s.iteration}  backward passes {s.backward_completed}  "
            f"optimizer steps {s.optim_step_completed}  val accuracy {accuracy:.4f}",
            flush=True,
        )
        if accuracy > best["accuracy"]:
            best.update(accuracy=accuracy, epoch=s.epoch)
            engine.fire_event(ValidationEvents.NEW_BEST)

    @trainer.on(ValidationEvents.NEW_BEST)
    def announce(engine: Engine) -> None:
        print(f"  new best validation accuracy {best['accuracy']:.4f}")

    trainer.run(train_loader, max_epochs=args.epochs)

    plt = _common.pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(*zip(*grad_norms), linewidth=0.8)
    ax.axhline(args.max_norm, color="gray", linestyle="--", label=f"clipped to {args.max_norm}")
    ax.set_xlabel("backward pass (BACKWARD_COMPLETED counter)")
    ax.set_ylabel("gradient norm before clipping")
    ax.legend()
    _common.save(fig, args.output_dir / "grad_norms.png")
    s = trainer.state
    _common.report(
        {
            "iterations": s.iteration,
            "backward_completed": s.backward_completed,
            "optim_step_completed": s.optim_step_completed,
            "grad_norms_recorded": len(grad_norms),
            "best_val_accuracy": round(best["accuracy"], 4),
            "lr": round(optimizer.param_groups[0]["lr"], 6),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
