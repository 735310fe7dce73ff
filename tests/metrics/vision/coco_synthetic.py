"""Synthetic detection data set and its pycocotools evaluation (shared by the tests and bench/detection_map.py).

Integer box coordinates keep IoUs exact, so both implementations see the same IoU/threshold comparisons.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import torch


def make_images(
    num_images: int = 200,
    num_classes: int = 5,
    max_detections: int = 50,
    min_detections: int = 0,
    max_ground_truths: int = 10,
    crowd_rate: float = 0.1,
    tied_scores: bool = False,
    seed: int = 0,
) -> tuple[list[dict[str, torch.Tensor]], list[dict[str, torch.Tensor]]]:
    """Per-image prediction and target dicts: boxes of small, medium and large areas, crowd ground truths,
    detections that overlap ground truths to various degrees (some of the wrong class) and stray ones; some
    images have no ground truth or no detection."""
    rng = np.random.default_rng(seed)
    y_pred, y = [], []
    for _ in range(num_images):
        num_gt = int(rng.integers(0, max_ground_truths + 1))
        sides = rng.choice([6, 20, 40, 70, 120, 200], size=(num_gt, 2)) + rng.integers(0, 10, size=(num_gt, 2))
        corners = rng.integers(0, 300, size=(num_gt, 2))
        gt_boxes = np.concatenate([corners, corners + sides], axis=1).astype(np.float64)
        gt_labels = rng.integers(0, num_classes, size=num_gt)
        crowd = (rng.random(num_gt) < crowd_rate).astype(np.int64)
        num_det = int(rng.integers(min_detections, max_detections + 1))
        from_gt = rng.random(num_det) < 0.7 if num_gt else np.zeros(num_det, dtype=bool)
        source = rng.integers(0, max(num_gt, 1), size=num_det)
        jitter = rng.integers(-6, 7, size=(num_det, 4))
        stray_corner = rng.integers(0, 300, size=(num_det, 2))
        stray = np.concatenate([stray_corner, stray_corner + rng.integers(4, 150, size=(num_det, 2))], axis=1)
        boxes = np.where(from_gt[:, None], gt_boxes[source] + jitter if num_gt else stray, stray).astype(np.float64)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
        labels = np.where(
            from_gt & (rng.random(num_det) < 0.85),
            gt_labels[source] if num_gt else 0,
            rng.integers(0, num_classes, num_det),
        )
        scores = rng.random(num_det)
        if tied_scores:
            scores = np.round(scores * 10) / 10
        y_pred.append(
            {
                "bbox": torch.tensor(boxes, dtype=torch.float32),
                "scores": torch.tensor(scores, dtype=torch.float32),
                "labels": torch.tensor(labels, dtype=torch.long),
            }
        )
        y.append(
            {
                "bbox": torch.tensor(gt_boxes, dtype=torch.float32),
                "labels": torch.tensor(gt_labels, dtype=torch.long),
                "iscrowd": torch.tensor(crowd),
            }
        )
    return y_pred, y


def _xywh(boxes: torch.Tensor) -> list[list[float]]:
    b = boxes.double()
    return torch.cat([b[:, :2], b[:, 2:] - b[:, :2]], dim=1).tolist()


def coco_eval(
    y_pred: list[dict],
    y: list[dict],
    num_classes: int,
    max_dets: tuple[int, ...] = (1, 10, 100),
    implementation: Any = None,
) -> Any:
    """A ``COCOeval`` (bbox) over the images, evaluated and accumulated; image ids follow the list order."""
    if implementation is None:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    else:
        COCO, COCOeval = implementation
    annotations, detections = [], []
    for i, (pred, target) in enumerate(zip(y_pred, y)):
        for box, label, crowd in zip(_xywh(target["bbox"]), target["labels"].tolist(), target["iscrowd"].tolist()):
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": label,
                    "bbox": box,
                    "area": box[2] * box[3],
                    "iscrowd": crowd,
                }
            )
        for box, label, score in zip(_xywh(pred["bbox"]), pred["labels"].tolist(), pred["scores"].double().tolist()):
            detections.append({"image_id": i + 1, "category_id": label, "bbox": box, "score": score})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {
            "images": [{"id": i + 1} for i in range(len(y))],
            "annotations": annotations,
            "categories": [{"id": c} for c in range(num_classes)],
        }
        gt.createIndex()
        dt = gt.loadRes(detections)
        evaluator = COCOeval(gt, dt, "bbox")
        evaluator.params.maxDets = list(max_dets)
    return evaluator


def run_coco_eval(evaluator: Any) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.evaluate()
        evaluator.accumulate()
    return evaluator


def coco_table(evaluator: Any, area_index: int = 0, max_det_index: int = -1) -> np.ndarray:
    """COCOeval's results as our ``_compute()`` table ``(2, K, T)``: AP (mean over recall thresholds) and
    final recall per class and IoU threshold, -1 where undefined."""
    precision = evaluator.eval["precision"][:, :, :, area_index, max_det_index]  # (T, R, K)
    recall = evaluator.eval["recall"][:, :, area_index, max_det_index]  # (T, K)
    ap = np.where((precision > -1).all(axis=1), precision.mean(axis=1), -1.0)
    return np.stack([ap.T, recall.T])
