#!/usr/bin/env python
"""COCO detection mAP: ``ObjectDetectionAvgPrecisionRecall`` against pycocotools' ``COCOeval`` (and faster-coco-eval).

Data: 200 synthetic images with 50 detections each (integer boxes of small, medium and large areas, 10% crowd
ground truths, up to 10 ground truths per image), 80 classes (``--classes``); the generator is the tests' one
(``tests/metrics/vision/coco_synthetic.py``). One torch thread; wall time, median (and min) over ``--repeats``.

  ours_s          ObjectDetectionAvgPrecisionRecall(): update in batches of 16 images + compute (all areas, 100
                  detections per image and class: one of COCOeval's 12 settings)
  ours_common_s   CommonObjectDetectionMetrics(): the 12 COCO numbers (6 member metrics)
  cocoeval_s      COCOeval(...).evaluate() + accumulate() with its default parameters (4 area ranges x 3 limits);
                  building the COCO objects is not counted
  cocoeval_single_s     the same restricted to our setting (areaRng "all", maxDets [100])
  faster_coco_eval_s    faster-coco-eval's COCOeval_faster evaluate() + accumulate(), default parameters
  ratio             ours_s / cocoeval_s (target <= 1/3); ratio_single: ours_s / cocoeval_single_s;
                    ratio_common: ours_common_s / cocoeval_s
  max_abs_diff      largest difference between our 12 numbers and COCOeval's summary (should be ~1e-16)

Prints ONE JSON line.
    python bench/detection_map.py [--repeats 5] [--classes 80]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "metrics" / "vision"))
from coco_synthetic import coco_eval, make_images  # noqa: E402

from ignite.metrics import CommonObjectDetectionMetrics, ObjectDetectionAvgPrecisionRecall  # noqa: E402


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def run_ours(metric_factory: Callable, y_pred: list, y: list, batch: int = 16) -> object:
    metric = metric_factory()
    for i in range(0, len(y_pred), batch):
        metric.update((y_pred[i : i + batch], y[i : i + batch]))
    return metric.compute()


def run_coco(y_pred: list, y: list, classes: int, single: bool = False, implementation: object = None) -> object:
    evaluator = coco_eval(y_pred, y, classes, implementation=implementation)
    if single:
        evaluator.params.areaRng, evaluator.params.areaRngLbl = [[0, 1e10]], ["all"]
        evaluator.params.maxDets = [100]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.evaluate()
        evaluator.accumulate()
    elapsed = time.perf_counter() - start
    return elapsed, evaluator


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--classes", type=int, default=80)
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    y_pred, y = make_images(args.images, args.classes, max_detections=50, min_detections=50, seed=0)
    n = args.classes

    ours, ours_min, _ = timed(
        lambda: run_ours(lambda: ObjectDetectionAvgPrecisionRecall(num_classes=n), y_pred, y), args.repeats
    )
    common, common_min, common_result = timed(
        lambda: run_ours(lambda: CommonObjectDetectionMetrics(num_classes=n), y_pred, y), args.repeats
    )
    coco_times, single_times, evaluator = [], [], None
    for _ in range(args.repeats):
        elapsed, evaluator = run_coco(y_pred, y, n)
        coco_times.append(elapsed)
        single_times.append(run_coco(y_pred, y, n, single=True)[0])
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.summarize()
    max_abs_diff = max(abs(a - b) for a, b in zip(common_result.values(), _summary_in_our_order(evaluator.stats)))

    figures = {
        "bench": "detection_map",
        "images": args.images,
        "detections_per_image": 50,
        "classes": n,
        "torch_threads": torch.get_num_threads(),
        "ours_s": round(ours, 4),
        "ours_min_s": round(ours_min, 4),
        "ours_common_s": round(common, 4),
        "ours_common_min_s": round(common_min, 4),
        "cocoeval_s": round(statistics.median(coco_times), 4),
        "cocoeval_min_s": round(min(coco_times), 4),
        "cocoeval_single_s": round(statistics.median(single_times), 4),
    }
    try:
        from faster_coco_eval import COCO, COCOeval_faster

        fast = [run_coco(y_pred, y, n, implementation=(COCO, COCOeval_faster))[0] for _ in range(args.repeats)]
        figures["faster_coco_eval_s"] = round(statistics.median(fast), 4)
    except ImportError:
        figures["faster_coco_eval_s"] = None
    figures["ratio"] = round(ours / figures["cocoeval_s"], 3)
    figures["ratio_single"] = round(ours / figures["cocoeval_single_s"], 3)
    figures["ratio_common"] = round(common / figures["cocoeval_s"], 3)
    figures["max_abs_diff"] = max_abs_diff
    print(json.dumps(figures))


def _summary_in_our_order(stats: list[float]) -> list[float]:
    """COCOeval.stats reordered as CommonObjectDetectionMetrics' keys."""
    return [stats[i] for i in (0, 8, 1, 2, 3, 9, 4, 10, 5, 11, 6, 7)]


if __name__ == "__main__":
    main()
