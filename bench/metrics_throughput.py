#!/usr/bin/env python
"""Metric throughput on CPU: µs per ``update`` and the extra cost of attaching a metric to an engine.

Data (fixed seed): B batches (default 2000) of 256 samples. Classification batches are
``(logits[256, 10] float32, target[256] int64)``, regression ``(pred[256], target[256])``, distributions
``(logits[256, 10], target_logits[256, 10])``, ROC ``(score[256], label[256])``, scalars a float per batch.

Times are CPU time of the benchmarking thread (``time.thread_time``: less sensitive to other processes than
wall time on a shared machine). Per metric (median over repeats; ``*_min`` fields give the minimum):
  update_us     a bare loop of ``metric.update(batch)``, per batch
  engine_us     evaluator ``Engine.run`` with only this metric attached, per batch
  compute_us    ``compute()`` after all updates (compute_us_per_batch: the same spread over the batches; the
                sum metrics fold their pending batch sums there)
  attach_us     engine_us - (same evaluator with no metric) - update_us - compute_us_per_batch: what attaching
                adds per batch (the metric's ``iteration_completed``: output transform, mapping/unrolling
                checks, no-grad, and the engine's dispatch of one handler). A difference of three timings
                taken over cold data: noisy (several µs either way on a shared machine).
  attach_hot_us ``iteration_completed`` minus ``update``, both in a tight loop on one batch (warm caches)
  torch_floor_us, update_to_torch_floor (Accuracy, Loss only)
                the torch work an update cannot avoid, in a bare loop over the same batches (Accuracy: argmax,
                comparison, count; Loss: the user's loss function alone), and ``update_us`` / it (also paired
                by repeat). PyTorch-Ignite's updates cost 1.1-2.3x this floor; a ratio creeping up is a regression.

Classification metrics are included when their modules exist. Prints ONE JSON line on stdout.
    python bench/metrics_throughput.py --quick
    python bench/metrics_throughput.py --only MeanSquaredError,Accuracy --repeats 9
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch

BATCH = 256
NCLS = 10


def make_data(n_batches: int, seed: int = 0) -> dict[str, list]:
    g = torch.Generator().manual_seed(seed)
    data: dict[str, list] = {"cls": [], "reg": [], "dist": [], "roc": [], "scalar": []}
    for _ in range(n_batches):
        y = torch.randint(0, NCLS, (BATCH,), generator=g)
        logits = torch.randn(BATCH, NCLS, generator=g)
        logits[torch.arange(BATCH), y] += 1.0
        data["cls"].append((logits, y))
        t = torch.randn(BATCH, generator=g)
        data["reg"].append((t + 0.5 * torch.randn(BATCH, generator=g), t))
        data["dist"].append((logits, torch.randn(BATCH, NCLS, generator=g)))
        label = torch.randint(0, 2, (BATCH,), generator=g)
        data["roc"].append((torch.sigmoid(label.float() + torch.randn(BATCH, generator=g)), label))
        data["scalar"].append(float(torch.rand((), generator=g)))
    return data


def factories() -> dict[str, tuple[str, Callable[[], Any]]]:
    import ignite.metrics as M

    out: dict[str, tuple[str, Callable[[], Any]]] = {
        "MeanSquaredError": ("reg", M.MeanSquaredError),
        "MeanAbsoluteError": ("reg", M.MeanAbsoluteError),
        "RootMeanSquaredError": ("reg", M.RootMeanSquaredError),
        "Loss_CrossEntropy": ("cls", lambda: M.Loss(torch.nn.CrossEntropyLoss())),
        "MeanPairwiseDistance": ("dist", M.MeanPairwiseDistance),
        "CosineSimilarity": ("dist", M.CosineSimilarity),
        "Entropy": ("dist", M.Entropy),
        "KLDivergence": ("dist", M.KLDivergence),
        "JSDivergence": ("dist", M.JSDivergence),
        "Average": ("scalar", lambda: M.Average(output_transform=lambda x: x)),
        "RunningAverage_output": ("scalar", lambda: M.RunningAverage(output_transform=lambda x: x)),
        "EpochMetric": ("roc", lambda: M.EpochMetric(lambda p, t: float((p * t).sum()), check_compute_fn=False)),
    }
    optional = {  # the classification family, when present
        "Accuracy": ("cls", lambda: M.Accuracy()),
        "Precision_avgFalse": ("cls", lambda: M.Precision(average=False)),
        "Precision_macro": ("cls", lambda: M.Precision(average="macro")),
        "Recall_avgFalse": ("cls", lambda: M.Recall(average=False)),
        "Recall_macro": ("cls", lambda: M.Recall(average="macro")),
        "ConfusionMatrix": ("cls", lambda: M.ConfusionMatrix(num_classes=NCLS)),
        "TopKCategoricalAccuracy_k5": ("cls", lambda: M.TopKCategoricalAccuracy(k=5)),
        "ROC_AUC": ("roc", lambda: M.ROC_AUC()),
    }
    for name, (key, fac) in optional.items():
        try:
            fac()
        except (ImportError, AttributeError):
            continue
        out[name] = (key, fac)
    return out


def torch_floors() -> dict[str, Callable[[Any], Any]]:
    """Per metric, the torch work its ``update`` cannot avoid (the physical floor of the update)."""
    ce = torch.nn.CrossEntropyLoss()

    def accuracy_floor(batch: Any) -> Any:  # argmax, comparison, count
        y_pred, y = batch
        return (torch.argmax(y_pred, dim=1) == y).sum()

    def loss_floor(batch: Any) -> Any:  # the user's loss function alone
        y_pred, y = batch
        return ce(y_pred, y)

    return {"Accuracy": accuracy_floor, "Loss_CrossEntropy": loss_floor}


def time_floor(fn: Callable[[Any], Any], batches: list) -> float:
    gc.collect()
    t0 = time.thread_time()
    for b in batches:
        fn(b)
    return time.thread_time() - t0


def _identity_process(engine: Any, batch: Any) -> Any:
    return batch


def time_engine(factory: Callable[[], Any] | None, batches: list) -> float:
    from ignite.engine import Engine

    engine = Engine(_identity_process)
    if factory is not None:
        factory().attach(engine, "m")
    gc.collect()
    t0 = time.thread_time()
    engine.run(batches, max_epochs=1)
    return time.thread_time() - t0


def time_update(factory: Callable[[], Any], batches: list) -> tuple[float, float]:
    m = factory()
    m.reset()
    gc.collect()
    t0 = time.thread_time()
    for b in batches:
        m.update(b)
    t1 = time.thread_time()
    m.compute()
    return t1 - t0, time.thread_time() - t1


def time_attach_hot(factory: Callable[[], Any], batch: Any, n: int = 2000, repeats: int = 7) -> float:
    """µs that ``iteration_completed`` (what an attached metric runs per batch) adds to ``update``, both timed
    in a tight loop on one batch (warm caches: no cross-run noise); the engine's dispatch of the handler is not
    included (see engine_overhead.py: about 0.3 µs per handler)."""
    from ignite.engine import Engine

    engine = Engine(_identity_process)
    engine.state.output = batch
    m = factory()
    best = {"update": float("inf"), "attached": float("inf")}
    for _ in range(repeats):
        for kind in best:
            m.reset()
            call = (lambda: m.update(batch)) if kind == "update" else (lambda: m.iteration_completed(engine))
            t0 = time.thread_time()
            for _ in range(n):
                call()
            best[kind] = min(best[kind], time.thread_time() - t0)
    return (best["attached"] - best["update"]) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="200 batches, 3 repeats")
    ap.add_argument("--batches", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--only", default=None, help="comma-separated metric names")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    nb = args.batches or (200 if args.quick else 2000)
    repeats = args.repeats or (3 if args.quick else 7)
    data = make_data(nb)
    facts = factories()
    names = [n for n in args.only.split(",") if n] if args.only else list(facts)

    per_batch = 1e6 / nb
    floor_fns = torch_floors()
    results: dict[str, dict] = {}
    floors: dict[str, float] = {}
    for name in names:
        key, fac = facts[name]
        batches = data[key]
        time_engine(fac, batches)  # warm-up
        time_update(fac, batches)
        eng, floor, upd, comp, work = [], [], [], [], []
        work_fn = floor_fns.get(name)
        for _ in range(repeats):  # interleaved, so that load changes hit all alike
            floor.append(time_engine(None, batches))
            eng.append(time_engine(fac, batches))
            u, c = time_update(fac, batches)
            upd.append(u)
            comp.append(c)
            if work_fn is not None:
                work.append(time_floor(work_fn, batches))
        floors[key] = statistics.median(floor)
        e, f, u, c = (statistics.median(x) for x in (eng, floor, upd, comp))
        r = {
            "update_us": round(u * per_batch, 2),
            "engine_us": round(e * per_batch, 2),
            "engine_floor_us": round(f * per_batch, 2),
            "compute_us": round(c * 1e6, 1),
            "compute_us_per_batch": round(c * per_batch, 2),
            "attach_us": round((e - f - u - c) * per_batch, 2),
            "update_us_min": round(min(upd) * per_batch, 2),
            "attach_us_min": round((min(eng) - min(floor) - min(upd) - min(comp)) * per_batch, 2),
            "attach_hot_us": round(time_attach_hot(fac, batches[0]), 2),
        }
        if work:
            # the torch work the update cannot avoid (Accuracy: argmax, comparison, count; Loss: the loss
            # function alone), timed in a bare loop over the same batches; ours / floor shows a regression
            r["torch_floor_us"] = round(statistics.median(work) * per_batch, 2)
            r["update_to_torch_floor"] = round(u / statistics.median(work), 3)
            r["update_to_torch_floor_paired"] = round(statistics.median(a / b for a, b in zip(upd, work)), 3)
        results[name] = r
        print(f"[metrics_throughput] {name}: {r}", file=sys.stderr)

    print(
        json.dumps(
            {
                "bench": "metrics_throughput",
                "batches": nb,
                "batch_size": BATCH,
                "repeats": repeats,
                "stat": "median",
                "env": {
                    "python": platform.python_version(),
                    "torch": torch.__version__,
                    "threads": torch.get_num_threads(),
                },
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
