"""ProgressBar overhead: µs per iteration of an engine with vs without a bar, output to an in-memory stream.

Prints one JSON line. The engine's process function does nothing, so the difference is the bar's own cost:
per-iteration bookkeeping plus its time-throttled redraws (tqdm's ``mininterval``, 0.1 s by default). Times are
the process's CPU time, best of ``--repeats`` interleaved runs.

    python bench/progress_bar.py [--iters N] [--repeats R]
"""

from __future__ import annotations

import argparse
import io
import json
import time

from ignite.engine import Engine
from ignite.handlers import ProgressBar


class _CountingStream(io.StringIO):
    """An in-memory stream counting the bar frames written to it (each starts with a carriage return)."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0

    def write(self, s: str) -> int:
        self.frames += s.count("\r")
        return super().write(s)


def _step(engine: Engine, batch: int) -> float:
    return 0.5


def _time_run(iters: int, pbar_kwargs: dict | None, attach_kwargs: dict | None) -> tuple[float, int]:
    engine = Engine(_step)
    stream = None
    if pbar_kwargs is not None:
        stream = _CountingStream()
        ProgressBar(file=stream, **pbar_kwargs).attach(engine, **(attach_kwargs or {}))
    t0 = time.process_time()  # CPU time of this process: robust to other load on the machine
    engine.run(range(iters), max_epochs=1)
    elapsed = time.process_time() - t0
    return elapsed / iters * 1e6, (stream.frames if stream is not None else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iters", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    cases = {
        "no_bar": (None, None),
        "bar": ({}, None),
        "bar_with_loss": ({}, {"output_transform": lambda loss: {"loss": loss}}),
    }
    best: dict[str, float] = {}
    frames: dict[str, int] = {}
    _time_run(1000, {}, None)  # warm-up: imports, first allocation
    for _ in range(args.repeats):
        for name, (pbar_kwargs, attach_kwargs) in cases.items():
            us, n_frames = _time_run(args.iters, pbar_kwargs, attach_kwargs)
            if us < best.get(name, float("inf")):
                best[name] = us
                frames[name] = n_frames

    print(
        json.dumps(
            {
                "bench": "progress_bar",
                "iterations": args.iters,
                "repeats": args.repeats,
                "engine_us_per_iter": round(best["no_bar"], 3),
                "engine_with_bar_us_per_iter": round(best["bar"], 3),
                "engine_with_bar_and_loss_us_per_iter": round(best["bar_with_loss"], 3),
                "bar_overhead_us_per_iter": round(best["bar"] - best["no_bar"], 3),
                "bar_with_loss_overhead_us_per_iter": round(best["bar_with_loss"] - best["no_bar"], 3),
                "frames_drawn": frames["bar"],
                "target_us_per_iter": 5.0,
            }
        )
    )


if __name__ == "__main__":
    main()
