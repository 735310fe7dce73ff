"""Survive preemption: SIGTERM stops training cleanly with a checkpoint; the same command started again resumes.

Shows: ``PreemptionHandler`` on a ``Checkpoint``: on SIGTERM (a cluster's preemption notice; SLURM sends it with
``--signal=TERM@60`` or ``USR1``, also handled) the current iteration finishes, a checkpoint is written, the
process exits with status 0; the next start of the same command finds the newest valid checkpoint and continues
bit-identically (``ExactResume`` is added for you). The script runs three child processes of itself: the one
that gets SIGTERM, the same command again, and an uninterrupted reference; it compares their final weights.

    python examples/preemption.py                     # 8 epochs, SIGTERM after iteration 150
    python examples/preemption.py --fast              # 2 epochs, SIGTERM after iteration 50 (what CI runs)
    python examples/preemption.py --child --run-dir DIR   # one training process: kill -TERM it, start it again

A SLURM job that requeues itself when preempted:

    #SBATCH --signal=TERM@60 --requeue
    srun python examples/preemption.py --child --run-dir $SCRATCH/run1
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import _common
import torch

from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint, DiskSaver, PreemptionHandler
from ignite.utils import manual_seed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _common.parser(__doc__, "preemption")
    p.add_argument("--epochs", type=_common.positive_int, default=8)
    p.add_argument("--signal-at", type=_common.positive_int, help="iteration after which to SIGTERM (150; --fast: 50)")
    p.add_argument("--child", action="store_true", help="be one training process (used by the script itself)")
    p.add_argument("--run-dir", type=_common.output_dir, help="the child's checkpoints and final weights")
    args = _common.parse(p, argv, fast_epochs=2)
    if args.signal_at is None:
        args.signal_at = 50 if args.fast else 150
    if args.child and args.run_dir is None:
        p.error("argument --run-dir: required with --child")
    if not args.child and args.signal_at >= args.epochs * 28:
        p.error(f"argument --signal-at: {args.signal_at} is not before the last iteration ({args.epochs * 28})")
    return args


# ------------------------------------------------------------------------------------ one training process


def child(args: argparse.Namespace) -> int:
    manual_seed(args.seed)
    trainer, loader, model, optimizer = _common.digits_mlp_trainer(args.seed)

    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
    checkpoint = Checkpoint(to_save, DiskSaver(args.run_dir / "checkpoints", require_empty=False), n_saved=2)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, checkpoint)  # regular checkpoints, as usual
    preemption = PreemptionHandler(checkpoint)  # + one on SIGTERM/SIGUSR1
    preemption.attach(trainer)  # resumes from the newest valid checkpoint, if there is one
    if preemption.resumed_from is not None:
        print(f"resumed from {preemption.resumed_from.name} at iteration {trainer.state.iteration}", flush=True)
    _common.print_iterations(trainer)

    @trainer.on(Events.TERMINATE)
    def preempted(engine: Engine) -> None:
        print(f"preempted at iteration {engine.state.iteration}", flush=True)

    trainer.run(loader, max_epochs=args.epochs)  # after a signal: checkpoint, then SystemExit(0)
    torch.save(model.state_dict(), args.run_dir / "final.pt")
    print("finished", flush=True)
    return 0


# ----------------------------------------------------------------------------------------------- the story


def parent(args: argparse.Namespace) -> int:
    out: Path = args.output_dir
    common = ["--child", "--epochs", str(args.epochs), "--seed", str(args.seed), "--threads", str(args.threads)]
    preempted, reference = out / "preempted", out / "reference"
    for directory in (preempted, reference):
        for old in [*directory.glob("checkpoints/*.pt"), directory / "final.pt"]:
            old.unlink(missing_ok=True)

    command = _common.python_command(__file__, *common, "--run-dir", str(preempted))
    code, lines = _common.run_until(command, f"iteration {args.signal_at}", signal.SIGTERM)
    print(f"1. SIGTERM after iteration {args.signal_at}: {lines[-1]!r}, exit code {code}")
    first_code = code

    code, lines = _common.run_until(command, "", None)  # the very same command
    print(f"2. the same command again: {lines[0]!r} ... {lines[-1]!r}, exit code {code}")

    code, _ = _common.run_until(_common.python_command(__file__, *common, "--run-dir", str(reference)), "", None)
    print(f"3. the uninterrupted reference: exit code {code}")

    resumed = torch.load(preempted / "final.pt", weights_only=True)
    uninterrupted = torch.load(reference / "final.pt", weights_only=True)
    identical = all(torch.equal(resumed[k], uninterrupted[k]) for k in uninterrupted)
    print(f"resumed run's weights are bit-identical to the uninterrupted run's: {identical}")
    _common.report({"preempted_exit_code": first_code, "resumed": lines[0], "identical": identical})
    return 0 if identical else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
