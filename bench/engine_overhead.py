"""Per-iteration cost of ``Engine`` against a bare Python loop making the same calls.

Cases: (a) no handlers, (b) 4 handlers on ITERATION_COMPLETED, (c) 16 handlers mixed with every/once
filters, (d) a custom event fired inside the process function. Prints one JSON line (medians, µs/iteration).
Usage: ``python bench/engine_overhead.py [--quick]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time


class _Ctx:
    __slots__ = ("iteration", "output", "batch")

    def __init__(self) -> None:
        self.iteration = 0
        self.output = None
        self.batch = None


def _process(engine, batch):
    return 1


def _handler():
    def h(engine):
        h.calls += 1

    h.calls = 0
    return h


def build(case: str, n: int):
    from ignite.engine import Engine, EventEnum, Events

    if case == "d_custom_event":

        class BenchEvents(EventEnum):
            INSIDE_STEP = "inside_step"

        def process(engine, batch):
            engine.fire_event(BenchEvents.INSIDE_STEP)
            return 1

        engine = Engine(process)
        engine.register_events(*BenchEvents)
        h = _handler()
        engine.add_event_handler(BenchEvents.INSIDE_STEP, h)
        return engine, [h]

    engine = Engine(_process)
    events = {
        "a_no_handlers": [],
        "b_4_handlers": [Events.ITERATION_COMPLETED] * 4,
        "c_16_mixed": [Events.ITERATION_STARTED] * 4
        + [Events.ITERATION_COMPLETED] * 4
        + [Events.ITERATION_COMPLETED(every=10)] * 4
        + [Events.ITERATION_STARTED(every=10)] * 2
        + [Events.ITERATION_COMPLETED(once=max(1, n // 2))] * 2,
    }[case]
    handlers = []
    for ev in events:
        h = _handler()
        engine.add_event_handler(ev, h)
        handlers.append(h)
    return engine, handlers


def run_engine(case: str, data: list) -> float:
    engine, _ = build(case, len(data))
    gc.collect()
    t0 = time.perf_counter()
    engine.run(data, max_epochs=1)
    return time.perf_counter() - t0


def run_bare(case: str, data: list) -> float:
    n = len(data)
    ctx = _Ctx()
    groups = {"b_4_handlers": (0, 4, 0, 0, 0), "c_16_mixed": (4, 4, 4, 2, 2)}.get(case, (0, 0, 0, 0, 0))
    started, completed, every_c, every_s, once_c = ([_handler() for _ in range(k)] for k in groups)
    fired = _handler() if case == "d_custom_event" else None
    once_at = max(1, n // 2)
    gc.collect()
    t0 = time.perf_counter()
    for batch in data:
        ctx.iteration += 1
        it = ctx.iteration
        ctx.batch = batch
        for h in started:
            h(ctx)
        if every_s and it % 10 == 0:
            for h in every_s:
                h(ctx)
        if fired is not None:
            fired(ctx)
        ctx.output = _process(ctx, batch)
        for h in completed:
            h(ctx)
        if every_c and it % 10 == 0:
            for h in every_c:
                h(ctx)
        if once_c and it == once_at:
            for h in once_c:
                h(ctx)
    return time.perf_counter() - t0


CASES = ("a_no_handlers", "b_4_handlers", "c_16_mixed", "d_custom_event")
TARGETS_US = {"a_no_handlers": 0.6, "b_4_handlers": 1.2, "c_16_mixed": 3.0, "d_custom_event": 1.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="20k items, 3 repeats")
    args = ap.parse_args()
    n = 20_000 if args.quick else 200_000
    repeats = 3 if args.quick else 5
    data = list(range(n))
    results = {}
    for case in CASES:
        run_engine(case, data)
        run_bare(case, data)
        eng, bare = [], []
        for _ in range(repeats):
            eng.append(run_engine(case, data))
            bare.append(run_bare(case, data))
        e, b = statistics.median(eng) / n * 1e6, statistics.median(bare) / n * 1e6
        results[case] = {
            "engine_us_per_iter": round(e, 3),
            "bare_us_per_iter": round(b, 3),
            "overhead_us_per_iter": round(e - b, 3),
            "target_us_per_iter": TARGETS_US[case],
        }
    print(json.dumps({"bench": "engine_overhead", "n": n, "repeats": repeats, "results": results}))


if __name__ == "__main__":
    main()
