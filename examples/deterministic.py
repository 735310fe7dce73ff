"""Reproducibility with ``DeterministicEngine``: same seed, same weights; stopped and resumed, still the same.

Shows: ``create_supervised_trainer(..., deterministic=True)`` (a ``DeterministicEngine``) on a shuffled loader,
with dropout and random noise added to each batch. Each row compares final weights with a reference run:

* the same seed again: bit-identical; another seed: different;
* stopped at the end of an epoch, saved (``trainer.state_dict()`` with the model and optimizer), resumed in new
  objects after the same ``manual_seed``: bit-identical (each pass is drawn from ``state.seed + pass``);
* stopped mid-epoch and resumed with an ``ExactResume`` in the checkpoint: bit-identical; with the engine's
  state alone: bit-identical here too (the rest of the pass is drawn from its seed, then the saved random
  states are put back), but only because this loader has no worker processes: random augmentation drawn in
  workers is restored only by ``ExactResume``, which also keeps handlers' and metrics' state;
* a plain ``Engine`` stopped at the end of an epoch: different (its next pass reshuffles from whatever the
  global random state is).

    python examples/deterministic.py            # 5 epochs, stopped at iteration 70
    python examples/deterministic.py --fast     # 2 epochs, stopped at iteration 40 (what CI runs)
"""

from __future__ import annotations

import io
import sys
from typing import Any

import _common
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import Engine, Events, create_supervised_trainer
from ignite.handlers import Checkpoint, ExactResume
from ignite.utils import manual_seed

BATCHES_PER_EPOCH = 28


def build(seed: int, deterministic: bool) -> tuple[Engine, nn.Module, torch.optim.Optimizer, DataLoader]:
    manual_seed(seed)
    x, y = _common.digits(seed=0)["train"]
    loader = DataLoader(TensorDataset(x, y), batch_size=45, shuffle=True)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def augment(batch: list[torch.Tensor], device: Any = None, non_blocking: bool = False) -> tuple:
        images, labels = batch
        return images + 0.05 * torch.randn_like(images), labels  # random noise: another random draw per step

    trainer = create_supervised_trainer(
        model, optimizer, nn.CrossEntropyLoss(), prepare_batch=augment, deterministic=deterministic
    )
    return trainer, model, optimizer, loader


def train(
    seed: int, epochs: int, deterministic: bool = True, stop_at: int | None = None, exact: bool = False
) -> dict[str, torch.Tensor]:
    """Train; with ``stop_at``, stop there, save, and resume in new objects (as a new process would).
    ``exact``: save an ``ExactResume`` too (all random states and the position in the pass)."""
    trainer, model, optimizer, loader = build(seed, deterministic)
    manual_seed(seed)
    if stop_at is None:
        trainer.run(loader, max_epochs=epochs)
        return model.state_dict()
    to_save = {"trainer": trainer, "model": model, "optimizer": optimizer}
    if exact:
        to_save["exact"] = ExactResume(trainer)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), lambda engine: engine.terminate())
    trainer.run(loader, max_epochs=epochs)
    saved = io.BytesIO()
    torch.save({name: obj.state_dict() for name, obj in to_save.items()}, saved)

    trainer, model, optimizer, loader = build(seed + 1000, deterministic)  # other random state on purpose
    to_load = {"trainer": trainer, "model": model, "optimizer": optimizer}
    if exact:
        to_load["exact"] = ExactResume(trainer)
    saved.seek(0)
    Checkpoint.load_objects(to_load, torch.load(saved, weights_only=False))
    manual_seed(seed)  # the engine draws its data seed from the global RNG at the start of run: seed it the same
    trainer.run(loader, max_epochs=epochs)
    return model.state_dict()


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__, "deterministic")
    p.add_argument("--epochs", type=_common.positive_int, default=5)
    p.add_argument("--stop-at", type=_common.positive_int, help="iteration to stop and resume at (70; --fast: 40)")
    args = _common.parse(p, argv, fast_epochs=2)
    if args.stop_at is None:
        args.stop_at = 40 if args.fast else 70
    if args.stop_at >= args.epochs * BATCHES_PER_EPOCH:
        p.error(f"argument --stop-at: {args.stop_at} is not before the last iteration ({args.epochs * 28})")
    if args.stop_at % BATCHES_PER_EPOCH == 0:
        print(f"note: iteration {args.stop_at} ends an epoch; a mid-epoch stop shows more")

    epoch_end = (args.stop_at // BATCHES_PER_EPOCH) * BATCHES_PER_EPOCH or BATCHES_PER_EPOCH
    reference = train(args.seed, args.epochs)
    results = {
        "same seed, again": same(reference, train(args.seed, args.epochs)),
        "another seed": same(reference, train(args.seed + 1, args.epochs)),
        f"resumed at iteration {epoch_end} (end of an epoch)": same(
            reference, train(args.seed, args.epochs, stop_at=epoch_end)
        ),
        f"resumed at iteration {args.stop_at}, ExactResume": same(
            reference, train(args.seed, args.epochs, stop_at=args.stop_at, exact=True)
        ),
        f"resumed at iteration {args.stop_at}, engine state only": same(
            reference, train(args.seed, args.epochs, stop_at=args.stop_at)
        ),
    }
    plain = train(args.seed, args.epochs, deterministic=False)
    results[f"plain Engine, resumed at iteration {epoch_end}"] = same(
        plain, train(args.seed, args.epochs, deterministic=False, stop_at=epoch_end)
    )
    for what, identical in results.items():
        print(f"{what:50s} bit-identical weights: {identical}")
    _common.report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
