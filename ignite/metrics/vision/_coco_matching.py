"""COCO's matching of detections to ground truths (bounding boxes), batched over images, classes and IoU
thresholds; used by :mod:`ignite.metrics.vision.object_detection_average_precision_recall`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import torch

__all__ = ["box_iou", "coco_match"]

# inclusive bounds on box areas, as COCO's "all", "small", "medium" and "large"
_AREA_RANGES = {
    "all": (0.0, 1e10),
    "small": (0.0, 1024.0),
    "medium": (1024.0, 9216.0),
    "large": (9216.0, 1e10),
}
# accepted keys of the class labels ("class" is what coco_tensor_list_to_dict_list produces)
_LABELS = ("labels", "class")
# COCOeval never requires an IoU above this (a threshold of 1 matches identical boxes)
_MAX_IOU_THRESHOLD = 1 - 1e-10


def _paired_iou(pred: torch.Tensor, gt: torch.Tensor, crowd: torch.Tensor) -> torch.Tensor:
    """IoU of boxes ``pred[..., 4]`` and ``gt[..., 4]`` (xyxy, broadcast); for crowd ground truths the union is
    the detection's own area (COCO). Empty overlaps and degenerate boxes give 0."""
    width = (torch.minimum(pred[..., 2], gt[..., 2]) - torch.maximum(pred[..., 0], gt[..., 0])).clamp(min=0)
    height = (torch.minimum(pred[..., 3], gt[..., 3]) - torch.maximum(pred[..., 1], gt[..., 1])).clamp(min=0)
    intersection = width * height
    pred_area = (pred[..., 2] - pred[..., 0]) * (pred[..., 3] - pred[..., 1])
    gt_area = (gt[..., 2] - gt[..., 0]) * (gt[..., 3] - gt[..., 1])
    union = torch.where(crowd, pred_area, pred_area + gt_area - intersection)
    iou = intersection / union
    return torch.where(intersection > 0, iou, 0.0).nan_to_num(0.0)


def box_iou(pred_boxes: torch.Tensor, gt_boxes: torch.Tensor, iscrowd: torch.Tensor) -> torch.Tensor:
    """IoU matrix ``(D, G)`` of detections ``(D, 4)`` and ground truths ``(G, 4)`` (xyxy); ``iscrowd`` ``(G,)``."""
    return _paired_iou(pred_boxes[:, None, :], gt_boxes[None, :, :], iscrowd.bool()[None, :])


def _box_area(boxes: torch.Tensor) -> torch.Tensor:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _ranks_in_runs(keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For sorted ``keys``: each element's position within its run of equal keys, the run keys and lengths."""
    run_keys, run_lengths = torch.unique_consecutive(keys, return_counts=True)
    starts = run_lengths.cumsum(0) - run_lengths
    ranks = torch.arange(keys.numel(), device=keys.device) - starts.repeat_interleave(run_lengths)
    return ranks, run_keys, run_lengths


def _field(sample: Mapping, names: tuple[str, ...]) -> Any:
    for name in names:
        if name in sample:
            return sample[name]
    return None


class _Detections:
    """Images flattened: detection and ground-truth tensors with the index of their image."""

    def __init__(self, y_pred: Sequence[Mapping], y: Sequence[Mapping], double_dtype: torch.dtype) -> None:
        pred_boxes, scores, pred_labels, gt_boxes, gt_labels, crowd = [], [], [], [], [], []
        for i, (pred, target) in enumerate(zip(y_pred, y)):
            boxes, score, labels = pred["bbox"], _field(pred, ("scores", "confidence")), _field(pred, _LABELS)
            _check_boxes(boxes, score, labels, f"y_pred[{i}]")
            pred_boxes.append(boxes)
            scores.append(score)
            pred_labels.append(labels)
            boxes, labels = target["bbox"], _field(target, _LABELS)
            is_crowd = target.get("iscrowd")
            _check_boxes(boxes, is_crowd, labels, f"y[{i}]")
            gt_boxes.append(boxes)
            gt_labels.append(labels)
            crowd.append(torch.zeros_like(labels, dtype=torch.bool) if is_crowd is None else is_crowd.bool())
        device = pred_boxes[0].device
        self.num_images = len(scores)
        self.pred_boxes = torch.cat(pred_boxes).to(device=device, dtype=double_dtype)
        self.scores = torch.cat(scores).to(device=device, dtype=double_dtype)
        self.pred_labels = torch.cat(pred_labels).to(device=device, dtype=torch.long)
        self.gt_boxes = torch.cat(gt_boxes).to(device=device, dtype=double_dtype)
        self.gt_labels = torch.cat(gt_labels).to(device=device, dtype=torch.long)
        self.crowd = torch.cat(crowd).to(device)
        image = torch.arange(self.num_images, device=device)
        self.pred_image = image.repeat_interleave(torch.tensor([len(s) for s in scores], device=device))
        self.gt_image = image.repeat_interleave(torch.tensor([len(c) for c in crowd], device=device))

    @property
    def device(self) -> torch.device:
        return self.scores.device

    @classmethod
    def merge(cls, batches: list[_Detections]) -> _Detections:
        """One batch holding the images of ``batches`` in order (on the device of the last one)."""
        if len(batches) == 1:
            return batches[0]
        merged = cls.__new__(cls)
        device = batches[-1].device
        offsets = [0]
        for b in batches[:-1]:
            offsets.append(offsets[-1] + b.num_images)
        merged.num_images = offsets[-1] + batches[-1].num_images
        for name in ("pred_boxes", "scores", "pred_labels", "gt_boxes", "gt_labels", "crowd"):
            setattr(merged, name, torch.cat([getattr(b, name).to(device) for b in batches]))
        for name in ("pred_image", "gt_image"):
            setattr(merged, name, torch.cat([getattr(b, name).to(device) + o for b, o in zip(batches, offsets)]))
        return merged


def _check_boxes(boxes: Any, values: Any, labels: Any, where: str) -> None:
    """Shapes of one sample's ``bbox`` ``(n, 4)`` and of its per-box ``values`` and ``labels`` ``(n,)``."""
    if not isinstance(boxes, torch.Tensor) or boxes.ndim != 2 or boxes.shape[1] != 4:
        shape = tuple(boxes.shape) if isinstance(boxes, torch.Tensor) else type(boxes)
        raise ValueError(f"{where}['bbox'] should be a tensor of shape (N, 4), given {shape}.")
    for name, t in (("labels", labels), ("scores" if where.startswith("y_pred") else "iscrowd", values)):
        if t is None and name == "iscrowd":
            continue
        if not isinstance(t, torch.Tensor) or t.shape != boxes.shape[:1]:
            shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t)
            raise ValueError(f"{where}['{name}'] should be a tensor of shape ({boxes.shape[0]},), given {shape}.")


class _Matches(NamedTuple):
    """Result of :func:`coco_match` for the kept detections, ordered by image, class and decreasing score."""

    tp: torch.Tensor  # (T, D) uint8: matched to a non-ignored ground truth
    fp: torch.Tensor  # (T, D) uint8: unmatched and inside the area range
    scores: torch.Tensor  # (D,)
    labels: torch.Tensor  # (D,)
    y_true_count: torch.Tensor  # (num_classes,) non-ignored ground truths
    ranks: torch.Tensor  # (D,) rank of each detection within its image and class


def coco_match(
    batch: _Detections,
    iou_thresholds: torch.Tensor,
    num_classes: int,
    area_range: str,
    max_detections: int,
) -> _Matches:
    """COCO matching of one batch: TP and FP ``(T, D)`` (uint8), scores and labels of the kept detections
    (ordered by image, class and decreasing score), the number of non-ignored ground truths per class and
    each detection's rank within its image and class (the matching of the first ``k`` detections of a group
    does not depend on the later ones: a lower limit keeps the detections of rank < ``k``)."""
    low, high = _AREA_RANGES[area_range]
    device = batch.device
    gt_area = _box_area(batch.gt_boxes)
    gt_ignore = batch.crowd | (gt_area < low) | (gt_area > high)
    y_true_count = torch.bincount(batch.gt_labels[~gt_ignore], minlength=num_classes)

    # detections by (image, class), each group by decreasing score (stable), at most max_det per group
    group = batch.pred_image * num_classes + batch.pred_labels
    order = torch.argsort(batch.scores, descending=True, stable=True)
    order = order[torch.argsort(group[order], stable=True)]
    ranks, group_keys, _ = _ranks_in_runs(group[order])
    kept = ranks < max_detections
    order, ranks = order[kept], ranks[kept]
    group_of_det = torch.searchsorted(group_keys, group[order])
    kept_per_group = torch.bincount(group_of_det, minlength=group_keys.numel())
    group_starts = kept_per_group.cumsum(0) - kept_per_group

    boxes = batch.pred_boxes[order]
    area = _box_area(boxes)
    in_area = (area >= low) & (area <= high)
    thresholds = iou_thresholds.to(device=device, dtype=boxes.dtype).clamp(max=_MAX_IOU_THRESHOLD)
    num_det, num_thr = order.numel(), thresholds.numel()

    gts = _ground_truths_of_groups(batch, group_keys, gt_ignore, num_classes)
    tp = torch.zeros((num_det, num_thr), dtype=torch.bool, device=device)
    matched = torch.zeros((num_det, num_thr), dtype=torch.bool, device=device)
    if gts is not None:
        iou, keeps = _group_iou(batch, boxes, group_of_det, gts)
        _greedy_match(iou, keeps, gts, group_of_det, kept_per_group, group_starts, thresholds, tp, matched)
    fp = ~matched & in_area[:, None]
    return _Matches(
        tp.T.to(torch.uint8), fp.T.to(torch.uint8), batch.scores[order], batch.pred_labels[order], y_true_count, ranks
    )


def _group_iou(
    batch: _Detections, boxes: torch.Tensor, group_of_det: torch.Tensor, gts: tuple[torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """IoU ``(D, G + 1)`` of each detection with the ground truths of its group (-1 for padding), and which
    of them stay available once matched ``(D, G + 1)``: crowd regions, and the padding column."""
    gt_index = gts[0]
    padding = gt_index < 0
    safe_index = gt_index.clamp(min=0)
    crowd = batch.crowd[safe_index] & ~padding
    iou = _paired_iou(boxes[:, None, :], batch.gt_boxes[safe_index][group_of_det], crowd[group_of_det])
    return iou.masked_fill(padding[group_of_det], -1.0), (crowd | padding)[group_of_det]


def _greedy_match(
    iou: torch.Tensor,
    keeps: torch.Tensor,
    gts: tuple[torch.Tensor, torch.Tensor],
    group_of_det: torch.Tensor,
    kept_per_group: torch.Tensor,
    group_starts: torch.Tensor,
    thresholds: torch.Tensor,
    tp: torch.Tensor,
    matched: torch.Tensor,
) -> None:
    """COCO's greedy matching, one step per detection rank for all groups and thresholds at once; fills
    ``tp`` (matched to a non-ignored ground truth) and ``matched`` (to any) ``(D, T)``. Unmatched
    ground truths are tracked per group in ``available`` ``(P, T, G + 1)``; its last (padding) column takes
    the no-op updates.

    Each detection takes the best available non-ignored ground truth with IoU >= the threshold, else the
    best available ignored one; on equal IoU the last one (the first column here: the order is reversed).
    A matched ground truth becomes unavailable unless it is a crowd region.
    """
    gt_index, real = gts
    above = iou[:, None, :] >= thresholds[None, :, None]  # (D, T, G + 1)
    real_above = above & real[group_of_det][:, None, :]
    available = torch.ones(
        (gt_index.shape[0], thresholds.numel(), gt_index.shape[1]), dtype=torch.bool, device=iou.device
    )
    groups_by_size = torch.argsort(kept_per_group, descending=True)
    sizes = kept_per_group[groups_by_size].tolist()
    for rank in range(sizes[0] if sizes else 0):
        while sizes[-1] <= rank:
            sizes.pop()
        groups = groups_by_size[: len(sizes)]  # the groups with more than ``rank`` detections
        dets = group_starts[groups] + rank
        free = available[groups]
        real_candidate = real_above[dets] & free
        has_real = real_candidate.any(dim=-1, keepdim=True)
        candidate = torch.where(has_real, real_candidate, above[dets] & free)
        best_iou, best = torch.where(candidate, iou[dets][:, None, :], -1.0).max(dim=-1)
        hit = best_iou >= 0
        tp[dets] = has_real.squeeze(-1)
        matched[dets] = hit
        used = torch.where(hit & ~keeps[dets].gather(-1, best), best, gt_index.shape[1] - 1)
        available[groups] = free.scatter_(-1, used[..., None], False)


def _ground_truths_of_groups(
    batch: _Detections, group_keys: torch.Tensor, gt_ignore: torch.Tensor, num_classes: int
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Per detection group (image, class), its ground truths as indices in reverse input order, padded with
    -1 to ``(P, G + 1)``, and their non-ignored mask; ``None`` if no group has any."""
    if group_keys.numel() == 0 or batch.gt_labels.numel() == 0:
        return None
    gt_group = batch.gt_image * num_classes + batch.gt_labels
    order = torch.argsort(gt_group, stable=True)
    sorted_group = gt_group[order]
    ranks, _, _ = _ranks_in_runs(sorted_group)
    position = torch.searchsorted(group_keys, sorted_group).clamp(max=group_keys.numel() - 1)
    present = group_keys[position] == sorted_group
    if not bool(present.any()):
        return None
    order, ranks, position = order[present], ranks[present], position[present]
    sizes = torch.bincount(position, minlength=group_keys.numel())
    width = int(sizes.max()) + 1  # one padding column at least
    gt_index = torch.full((group_keys.numel(), width), -1, dtype=torch.long, device=group_keys.device)
    gt_index[position, sizes[position] - 1 - ranks] = order  # reversed: ties go to the first column
    real = ~gt_ignore[gt_index.clamp(min=0)] & (gt_index >= 0)
    return gt_index, real
