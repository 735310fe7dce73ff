#!/usr/bin/env python
"""SSIM and the running-sum regression metrics on CPU. Prints ONE JSON line.

SSIM: ``update`` on a 16x3x128x128 float32 batch (two fixed random batches, alternated), ms per update, against
  spec_conv2d_ms   the same update written as the spec describes it: reflect padding, then a depthwise 2-D
                   convolution of [x, y, x², y², xy] with the 11x11 Gaussian window, the SSIM map, per-image means
  torchmetrics_ms  torchmetrics' ``StructuralSimilarityIndexMeasure.update`` (same window; when installed)
  and on one 1x1x1024x1024 image (long axes: the block-by-block path) against the same spec update.
Regression: ``update`` of every running-sum metric of ``ignite.metrics.regression`` on 2000 batches of 256
  (``(pred[256], target[256])`` float32, positive targets), µs per batch; ``compute_us_per_batch`` is the
  deferred reduction (done at compute) spread over the batches.

Times are CPU time of the benchmarking thread (``time.thread_time``) with one torch thread; medians over
interleaved repeats (``*_min``: minima).
    python bench/metrics_families.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

RUNNING = [
    "CanberraMetric",
    "FractionalAbsoluteError",
    "FractionalBias",
    "GeometricMeanAbsoluteError",
    "ManhattanDistance",
    "MaximumAbsoluteError",
    "MeanAbsoluteRelativeError",
    "MeanError",
    "MeanNormalizedBias",
    "PearsonCorrelation",
    "R2Score",
    "WaveHedgesDistance",
]


class SpecSSIM:
    """SSIM ``update`` exactly as spec metrics.md §4.2 writes it (2-D depthwise convolution)."""

    def __init__(self, data_range: float = 1.0, k: int = 11, sigma: float = 1.5) -> None:
        x = torch.linspace(-(k - 1) / 2, (k - 1) / 2, k)
        g = torch.exp(-(x**2) / (2 * sigma**2))
        g = g / g.sum()
        self.kernel_nd = torch.einsum("i,j->ij", g, g)
        self.pad = (k - 1) // 2
        self.c1, self.c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
        self.sum = torch.tensor(0.0, dtype=torch.float64)
        self.n = 0

    def update(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        n, c = y_pred.shape[:2]
        kernel = self.kernel_nd.expand(c, 1, *self.kernel_nd.shape)
        p = self.pad
        y_pred = F.pad(y_pred, [p, p, p, p], mode="reflect")
        y = F.pad(y, [p, p, p, p], mode="reflect")
        outputs = F.conv2d(torch.cat([y_pred, y, y_pred * y_pred, y * y, y_pred * y]), kernel, groups=c)
        mu_x, mu_y, e_xx, e_yy, e_xy = outputs.split(n)
        a1 = 2 * mu_x * mu_y + self.c1
        a2 = 2 * (e_xy - mu_x * mu_y) + self.c2
        b1 = mu_x**2 + mu_y**2 + self.c1
        b2 = (e_xx - mu_x**2) + (e_yy - mu_y**2) + self.c2
        ssim = (a1 * a2) / (b1 * b2)
        self.sum += ssim.mean(dim=(1, 2, 3), dtype=torch.float64).sum()
        self.n += n


def _timed(fn: Callable[[], Any], n: int) -> float:
    t0 = time.thread_time()
    for _ in range(n):
        fn()
    return (time.thread_time() - t0) / n


def bench_ssim(repeats: int, n: int) -> dict[str, Any]:
    from ignite.metrics import SSIM

    g = torch.Generator().manual_seed(0)
    batches = []
    for _ in range(2):
        y = torch.rand(16, 3, 128, 128, generator=g)
        batches.append(((y + 0.05 * torch.randn(y.shape, generator=g)).clamp(0, 1), y))
    ours, spec = SSIM(data_range=1.0), SpecSSIM()
    candidates: dict[str, Callable[[int], None]] = {
        "ours": lambda i: ours.update(batches[i % 2]),
        "spec_conv2d": lambda i: spec.update(*batches[i % 2]),
    }
    try:
        from torchmetrics.image import StructuralSimilarityIndexMeasure

        tm = StructuralSimilarityIndexMeasure(data_range=1.0)
        candidates["torchmetrics"] = lambda i: tm.update(*batches[i % 2])
    except Exception:  # not installed, or broken by its optional dependencies
        pass
    for f in candidates.values():  # warm-up (and the check that the values agree)
        f(0)
        f(1)
    times: dict[str, list[float]] = {k: [] for k in candidates}
    counter = [0]

    def step(f: Callable[[int], None]) -> None:
        counter[0] += 1
        f(counter[0])

    for _ in range(repeats):
        for name, f in candidates.items():
            times[name].append(_timed(lambda f=f: step(f), n) * 1e3)
    out: dict[str, Any] = {}
    for name, ts in times.items():
        out[f"{name}_ms"] = round(statistics.median(ts), 2)
        out[f"{name}_ms_min"] = round(min(ts), 2)
    out["ours_over_spec"] = round(out["ours_ms"] / out["spec_conv2d_ms"], 3)
    if "torchmetrics_ms" in out:
        out["ours_over_torchmetrics"] = round(out["ours_ms"] / out["torchmetrics_ms"], 3)
    out["value_ours"] = round(ours.compute(), 6)
    out["value_spec"] = round((spec.sum / spec.n).item(), 6)
    return out


def bench_ssim_large(repeats: int) -> dict[str, Any]:
    """One 1x1x1024x1024 image: the axes are long enough for the block-by-block filtering."""
    from ignite.metrics import SSIM

    g = torch.Generator().manual_seed(1)
    y = torch.rand(1, 1, 1024, 1024, generator=g)
    y_pred = (y + 0.05 * torch.randn(y.shape, generator=g)).clamp(0, 1)
    ours, spec = SSIM(data_range=1.0), SpecSSIM()
    ours.update((y_pred, y))
    spec.update(y_pred, y)
    times: dict[str, list[float]] = {"ours": [], "spec_conv2d": []}
    for _ in range(repeats):
        times["ours"].append(_timed(lambda: ours.update((y_pred, y)), 1) * 1e3)
        times["spec_conv2d"].append(_timed(lambda: spec.update(y_pred, y), 1) * 1e3)
    out = {f"{k}_ms": round(statistics.median(v), 1) for k, v in times.items()}
    out["ours_over_spec"] = round(out["ours_ms"] / out["spec_conv2d_ms"], 3)
    return out


def bench_regression(repeats: int, n_batches: int) -> dict[str, Any]:
    import ignite.metrics.regression as R

    g = torch.Generator().manual_seed(0)
    batches = []
    for _ in range(n_batches):
        t = torch.rand(256, generator=g) + 0.5
        batches.append(((t + 0.2 * torch.randn(256, generator=g)).abs() + 0.1, t))
    out: dict[str, Any] = {}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in RUNNING}
    for _ in range(repeats):
        for name in RUNNING:
            metric = getattr(R, name)()
            t0 = time.thread_time()
            for b in batches:
                metric.update(b)
            t1 = time.thread_time()
            metric.compute()
            samples[name].append(((t1 - t0) / n_batches * 1e6, (time.thread_time() - t1) / n_batches * 1e6))
    for name, s in samples.items():
        out[name] = {
            "update_us": round(statistics.median(u for u, _ in s), 2),
            "update_us_min": round(min(u for u, _ in s), 2),
            "compute_us_per_batch": round(statistics.median(c for _, c in s), 3),
        }
    out["max_update_us"] = max(v["update_us"] for v in out.values() if isinstance(v, dict))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repeats and batches")
    args = ap.parse_args()
    torch.set_num_threads(1)
    repeats = 3 if args.quick else 7
    result = {
        "bench": "metrics_families",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "ssim_16x3x128x128": bench_ssim(repeats, 2 if args.quick else 4),
        "ssim_1x1x1024x1024": bench_ssim_large(3),
        "regression_update_256": bench_regression(repeats, 500 if args.quick else 2000),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
