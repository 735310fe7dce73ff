"""Crash and resume exactly: a training process is killed with SIGKILL mid-epoch, restarted from its last
checkpoint, and ends with the very same weights, bit for bit, as a run that was never interrupted.

Shows: a ``Checkpoint`` every few iterations whose ``to_save`` holds an ``ExactResume`` (random generator states,
the position in the shuffled epoch, handler states); ``Checkpoint.load_objects`` from the newest file; the
crash-safe write (a kill during a write leaves the previous checkpoint intact). The script runs three child
processes of itself: the one that is killed, the one that resumes, and an uninterrupted reference.

    python examples/crash_resume.py                       # 8 epochs, killed at iteration 150
    python examples/crash_resume.py --fast                # 2 epochs, killed at iteration 50 (what CI runs)
    python examples/crash_resume.py --child --run-dir DIR [--resume CHECKPOINT]   # one training process
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import _common
import torch

from ignite.engine import Events
from ignite.handlers import Checkpoint, DiskSaver, ExactResume
from ignite.utils import manual_seed

CHECKPOINT_EVERY = 15  # iterations; an epoch has 28


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _common.parser(__doc__, "crash_resume")
    p.add_argument("--epochs", type=_common.positive_int, default=8)
    p.add_argument("--kill-at", type=_common.positive_int, help="iteration after which to SIGKILL (150; --fast: 50)")
    p.add_argument("--child", action="store_true", help="be one training process (used by the script itself)")
    p.add_argument("--run-dir", type=_common.output_dir, help="the child's checkpoints and final weights")
    p.add_argument("--resume", type=_common.existing_file, metavar="CHECKPOINT", help="the child resumes from it")
    args = _common.parse(p, argv, fast_epochs=2)
    if args.kill_at is None:
        args.kill_at = 50 if args.fast else 150
    if args.child and args.run_dir is None:
        p.error("argument --run-dir: required with --child")
    if not args.child and args.resume is not None:
        p.error("argument --resume: only for a --child process")
    if not args.child and args.kill_at >= args.epochs * 28:
        p.error(f"argument --kill-at: {args.kill_at} is not before the last iteration ({args.epochs * 28})")
    return args


# ------------------------------------------------------------------------------------ one training process


def child(args: argparse.Namespace) -> int:
    manual_seed(args.seed)
    trainer, loader, model, optimizer = _common.digits_mlp_trainer(args.seed)

    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer, "exact": ExactResume(trainer)}
    checkpoint = Checkpoint(to_save, DiskSaver(args.run_dir / "checkpoints", require_empty=False), n_saved=2)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=CHECKPOINT_EVERY), checkpoint)
    _common.print_iterations(trainer)

    if args.resume is not None:
        Checkpoint.load_objects(to_load=to_save, checkpoint=torch.load(args.resume, weights_only=False))
        print(f"resumed from {args.resume.name}: epoch {trainer.state.epoch + 1}, iteration {trainer.state.iteration}")
    trainer.run(loader, max_epochs=args.epochs)
    torch.save(model.state_dict(), args.run_dir / "final.pt")
    return 0


# ----------------------------------------------------------------------------------------------- the story


def latest_checkpoint(directory: Path) -> Path:
    """Checkpoint names end with the iteration: ``checkpoint_45.pt``."""
    return max(directory.glob("checkpoint_*.pt"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))


def parent(args: argparse.Namespace) -> int:
    out: Path = args.output_dir
    common = ["--child", "--epochs", str(args.epochs), "--seed", str(args.seed), "--threads", str(args.threads)]
    interrupted, reference = out / "interrupted", out / "reference"
    for directory in (interrupted, reference):
        for old in [*directory.glob("checkpoints/*.pt"), directory / "final.pt"]:
            old.unlink(missing_ok=True)

    cmd = _common.python_command(__file__, *common, "--run-dir", str(interrupted))
    code, lines = _common.run_until(cmd, f"iteration {args.kill_at}", _common.SIGKILL)
    print(f"1. training process killed (exit code {code}) after {lines[-1]!r}")

    checkpoint = latest_checkpoint(interrupted / "checkpoints")
    cmd = _common.python_command(__file__, *common, "--run-dir", str(interrupted), "--resume", str(checkpoint))
    code, lines = _common.run_until(cmd, "", None)
    print(f"2. a new process {lines[0]}; it finished with exit code {code} after {lines[-1]!r}")

    cmd = _common.python_command(__file__, *common, "--run-dir", str(reference))
    code, lines = _common.run_until(cmd, "", None)
    print(f"3. the uninterrupted reference finished with exit code {code} after {lines[-1]!r}")

    resumed = torch.load(interrupted / "final.pt", weights_only=True)
    uninterrupted = torch.load(reference / "final.pt", weights_only=True)
    identical = all(torch.equal(resumed[k], uninterrupted[k]) for k in uninterrupted)
    print(f"resumed run's weights are bit-identical to the uninterrupted run's: {identical}")
    _common.report({"resumed_from": checkpoint.name, "identical": identical})
    return 0 if identical else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
