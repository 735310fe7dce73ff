"""COCO-style average precision and recall of object detections, matched and accumulated in torch.

The results equal pycocotools' ``COCOeval`` (bounding boxes) without depending on it, or on torchvision: the
greedy COCO matching (:mod:`ignite.metrics.vision._coco_matching`) runs for all queued images, classes and IoU
thresholds at once (one step per detection rank within an image and class), and the precision/recall tables of
the classes are built together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from ignite.metrics.epoch_metric import _all_gather_uneven
from ignite.metrics.mean_average_precision import _BaseAveragePrecision
from ignite.metrics.metric import Metric, _identity, _world_size, reinit__is_reduced, sync_all_reduce
from ignite.metrics.metric_group import MetricGroup
from ignite.metrics.vision._coco_matching import (
    _AREA_RANGES,
    _LABELS,
    _Detections,
    _field,
    _Matches,
    box_iou,
    coco_match,
)

__all__ = ["ObjectDetectionAvgPrecisionRecall", "CommonObjectDetectionMetrics", "coco_tensor_list_to_dict_list"]


def _linspace64(start: float, stop: float, num: int) -> torch.Tensor:
    """``numpy.linspace(start, stop, num)`` bit for bit (``i * step + start``, last value ``stop``), the way
    COCOeval builds its thresholds: a recall or IoU equal to a threshold compares the same way."""
    values = torch.arange(num, dtype=torch.float64) * ((stop - start) / (num - 1)) + start
    values[-1] = stop
    return values


class ObjectDetectionAvgPrecisionRecall(Metric, _BaseAveragePrecision):
    """COCO mean average precision and mean average recall of bounding-box detections.

    Detections are matched to ground truths of their class as COCO does (greedily by decreasing score, per IoU
    threshold; crowd and out-of-range ground truths are ignored, unmatched detections out of the area range too).
    Average precision is COCO's interpolated precision averaged over ``rec_thresholds``; ``compute`` returns the
    means over classes (with ground truths) and IoU thresholds of AP and of the final recall.

    Args:
        iou_thresholds: IoU thresholds (default ``0.5, 0.55, ..., 0.95``).
        rec_thresholds: recall thresholds (default ``0, 0.01, ..., 1``).
        num_classes: number of classes; labels are ``0 .. num_classes - 1``.
        max_detections_per_image_per_class: detections kept per image and class (highest scores first).
        area_range: ``"all"``, ``"small"`` (area up to 32²), ``"medium"`` (32² to 96²) or ``"large"``.
        output_transform: applied to the engine output before ``update``.
        device: where the matching results are stored.
        skip_unrolling: passed to :class:`~ignite.metrics.metric.Metric`.

    ``update`` takes ``(y_pred, y)``, two lists with one dict per image: ``y_pred[i]`` has ``"bbox"`` ``(D, 4)``
    (x1, y1, x2, y2), ``"scores"`` ``(D,)`` and ``"labels"`` ``(D,)``; ``y[i]`` has ``"bbox"`` ``(G, 4)``,
    ``"labels"`` ``(G,)`` and optionally ``"iscrowd"`` ``(G,)``. The keys ``"confidence"`` and ``"class"`` of
    :func:`coco_tensor_list_to_dict_list` are accepted for ``"scores"`` and ``"labels"``.

    ```python
    import torch
    from ignite.metrics import ObjectDetectionAvgPrecisionRecall

    metric = ObjectDetectionAvgPrecisionRecall(num_classes=3)
    y_pred = [{"bbox": torch.tensor([[20.0, 20, 30, 30], [0, 0, 10, 10]]), "scores": torch.tensor([0.9, 0.8]),
               "labels": torch.tensor([1, 1])}]
    y = [{"bbox": torch.tensor([[0.0, 0, 10, 10]]), "labels": torch.tensor([1])}]
    metric.update((y_pred, y))
    metric.compute()  # (0.5, 1.0)
    ```
    """

    _state_dict_all_req_keys = ("_tps", "_fps", "_scores", "_y_pred_labels", "_y_true_count")
    # upstream saves nothing: older checkpoints without these keys load as an empty state
    _state_dict_added_keys = _state_dict_all_req_keys
    _match_every_images = 512

    def __init__(
        self,
        iou_thresholds: Sequence[float] | torch.Tensor | None = None,
        rec_thresholds: Sequence[float] | torch.Tensor | None = None,
        num_classes: int = 80,
        max_detections_per_image_per_class: int = 100,
        area_range: str = "all",
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        for name, value in (
            ("num_classes", num_classes),
            ("max_detections_per_image_per_class", max_detections_per_image_per_class),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Argument {name} should be a positive integer, given {value!r}.")
        if area_range not in _AREA_RANGES:
            raise ValueError(f"Argument area_range should be one of {list(_AREA_RANGES)}, given {area_range!r}.")
        self._device = torch.device(device)  # used by _setup_thresholds
        if iou_thresholds is None:
            iou_thresholds = _linspace64(0.5, 0.95, 10)
        if rec_thresholds is None:
            rec_thresholds = _linspace64(0.0, 1.0, 101)
        self._iou_thresholds = self._setup_thresholds(iou_thresholds, "iou_thresholds")
        self.rec_thresholds: torch.Tensor = self._setup_thresholds(rec_thresholds, "rec_thresholds")
        self.class_mean = "macro"
        self._num_classes = num_classes
        self._max_detections_per_image_per_class = max_detections_per_image_per_class
        self._area_range = area_range
        self.box_iou = box_iou
        # metrics of the same setting but a lower detection limit, fed from this one's matching (not state)
        self._derived: list[ObjectDetectionAvgPrecisionRecall] = []
        self._source: ObjectDetectionAvgPrecisionRecall | None = None
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._tps: list[torch.Tensor] = []
        self._fps: list[torch.Tensor] = []
        self._scores: list[torch.Tensor] = []
        self._y_pred_labels: list[torch.Tensor] = []
        self._y_true_count = torch.zeros(self._num_classes, dtype=torch.long, device=self._device)
        self._pending: list[_Detections] = []
        self._pending_images = 0

    # ------------------------------------------------------------------ update: COCO matching

    def _check_input(self, output: Sequence) -> tuple[Sequence[Mapping], Sequence[Mapping]]:
        y_pred, y = output[0], output[1]
        if len(y_pred) != len(y):
            raise ValueError(f"y_pred and y should have the same number of samples, given {len(y_pred)} and {len(y)}.")
        if len(y_pred) == 0:
            raise ValueError("y_pred and y should contain at least one sample.")
        for pred, target in zip(y_pred, y):
            if not (isinstance(pred, Mapping) and "bbox" in pred and _field(pred, ("scores", "confidence")) is not None
                    and _field(pred, _LABELS) is not None):  # fmt: skip
                keys = list(pred.keys()) if isinstance(pred, Mapping) else type(pred)
                raise ValueError(
                    f"y_pred sample dictionaries should have 'bbox', 'scores' and 'labels' keys, given keys: {keys}"
                )
            if not (isinstance(target, Mapping) and "bbox" in target and _field(target, _LABELS) is not None):
                keys = list(target.keys()) if isinstance(target, Mapping) else type(target)
                raise ValueError(
                    "y sample dictionaries should have 'bbox', 'labels' and optionally 'iscrowd' keys, "
                    f"given keys: {keys}"
                )
        return y_pred, y

    def _check_labels(self, batch: _Detections) -> None:
        labels = torch.cat((batch.pred_labels, batch.gt_labels))
        if labels.numel() and bool(((labels < 0) | (labels >= self._num_classes)).any()):
            raise ValueError(
                f"Labels should be in the range [0, {self._num_classes - 1}] (num_classes={self._num_classes}), "
                f"given values from {int(labels.min())} to {int(labels.max())}."
            )

    @reinit__is_reduced
    def update(self, output: Sequence[Sequence[Mapping]]) -> None:
        y_pred, y = self._check_input(output)
        batch = _Detections(y_pred, y, self._double_dtype)
        self._check_labels(batch)
        # matching is deferred: batches are matched together (fewer, larger steps) once enough images are
        # queued, and before the state is read (``_fold_pending`` is called by compute and the state dict)
        self._pending.append(batch)
        self._pending_images += batch.num_images
        if self._pending_images >= self._match_every_images:
            self._fold_pending()

    def _fold_pending(self) -> None:
        if self._source is not None:
            self._source._fold_pending()  # this metric's matches come from there
        if not self._pending:
            return
        batch = _Detections.merge(self._pending)
        self._pending, self._pending_images = [], 0
        tp, fp, scores, labels, y_true_count, ranks = self._match(batch)
        self._add_matches(tp, fp, scores, labels, y_true_count)
        for derived in self._derived:
            kept = ranks < derived._max_detections_per_image_per_class
            derived._add_matches(tp[:, kept], fp[:, kept], scores[kept], labels[kept], y_true_count)

    def _add_matches(
        self, tp: torch.Tensor, fp: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, y_true_count: torch.Tensor
    ) -> None:
        self._y_true_count = self._y_true_count + y_true_count.to(self._device)
        if scores.numel():
            self._tps.append(tp.to(self._device))
            self._fps.append(fp.to(self._device))
            self._scores.append(scores.to(self._device))
            self._y_pred_labels.append(labels.to(self._device))

    def _load_state_dict_per_rank(self, state_dict: Mapping) -> None:
        self._pending, self._pending_images = [], 0  # replaced by the loaded state, not matched
        super()._load_state_dict_per_rank(state_dict)

    def _match(self, batch: _Detections) -> _Matches:
        return coco_match(
            batch, self._iou_thresholds, self._num_classes, self._area_range, self._max_detections_per_image_per_class
        )

    # ------------------------------------------------------------------ compute: precision/recall tables

    def _compute_recall_and_precision(
        self, TP: torch.Tensor, FP: torch.Tensor, scores: torch.Tensor | None, y_true_count: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Recall and precision after each detection (along the last dim) of TP/FP flags ``(..., n)``, sorted
        by decreasing ``scores`` first if given (stable); ``y_true_count`` broadcasts against ``TP[..., 0]``."""
        if scores is not None:
            order = torch.argsort(scores, descending=True, stable=True)
            TP, FP = TP[..., order], FP[..., order]
        dd = self._double_dtype
        tp_sum = TP.to(dd).cumsum(dim=-1)
        fp_sum = FP.to(dd).cumsum(dim=-1)
        recall = tp_sum / torch.as_tensor(y_true_count).to(tp_sum)[..., None]
        denominator = tp_sum + fp_sum
        precision = tp_sum / torch.where(denominator == 0, 1, denominator)
        return recall, precision

    def _compute_average_precision(self, recall: torch.Tensor, precision: torch.Tensor) -> torch.Tensor:
        """COCO's interpolated AP along the last dim: for each recall threshold the highest precision at a
        recall at least as large (0 if never reached), averaged over the thresholds. Padding positions must
        carry an infinite recall."""
        precision = precision.flip(-1).cummax(dim=-1).values.flip(-1)
        thresholds = self.rec_thresholds.to(recall).expand(*recall.shape[:-1], -1).contiguous()
        index = torch.searchsorted(recall.contiguous(), thresholds)
        reached = torch.gather(recall, -1, index.clamp(max=recall.shape[-1] - 1)) != torch.inf
        reached &= index < recall.shape[-1]
        values = precision.gather(-1, index.clamp(max=recall.shape[-1] - 1))
        return torch.where(reached, values, 0.0).mean(dim=-1)

    def _gathered(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """TP, FP ``(T, N)``, scores and labels of all detections of every rank (rank order)."""
        num_thr = self._iou_thresholds.numel()
        dd = self._double_dtype
        if self._scores:
            packed = torch.cat(
                (
                    torch.cat(self._tps, dim=1).T.to(dd),
                    torch.cat(self._fps, dim=1).T.to(dd),
                    torch.cat(self._scores)[:, None].to(dd),
                    torch.cat(self._y_pred_labels)[:, None].to(dd),
                ),
                dim=1,
            )
        else:
            packed = torch.zeros((0, 2 * num_thr + 2), dtype=dd, device=self._device)
        if _world_size() > 1:
            packed = _all_gather_uneven(packed)
        tp, fp = packed[:, :num_thr].T, packed[:, num_thr : 2 * num_thr].T
        return tp, fp, packed[:, -2], packed[:, -1].long()

    @sync_all_reduce("_y_true_count")
    def _compute(self) -> torch.Tensor:
        """Table ``(2, num_classes, T)``: AP and final recall per class and IoU threshold; -1 for classes
        without (non-ignored) ground truth."""
        tp, fp, scores, labels = self._gathered()
        y_true_count = self._y_true_count.to(scores.device)
        num_classes, num_thr = self._num_classes, self._iou_thresholds.numel()
        table = torch.full((2, num_classes, num_thr), -1.0, dtype=self._double_dtype, device=scores.device)
        table[:, y_true_count > 0] = 0.0
        # by class, then by decreasing score (stable: ties keep the image order)
        order = torch.argsort(scores, descending=True, stable=True)
        order = order[torch.argsort(labels[order], stable=True)]
        tp, fp, labels = tp[:, order], fp[:, order], labels[order]
        per_class = torch.bincount(labels, minlength=num_classes)
        starts = per_class.cumsum(0) - per_class
        counts = per_class.tolist()
        classes = [c for c, (n, g) in enumerate(zip(counts, (y_true_count > 0).tolist())) if n and g]
        for chunk in _chunks(classes, counts, budget=max(4 * labels.numel(), 1 << 16)):
            rows = torch.tensor(chunk, device=scores.device)
            table[:, rows] = self._class_tables(rows, tp, fp, labels, starts, per_class, y_true_count)
        return table.to(self._device)

    def _class_tables(
        self,
        rows: torch.Tensor,
        tp: torch.Tensor,
        fp: torch.Tensor,
        labels: torch.Tensor,
        starts: torch.Tensor,
        per_class: torch.Tensor,
        y_true_count: torch.Tensor,
    ) -> torch.Tensor:
        """AP and final recall ``(2, K, T)`` of the classes ``rows`` (each with detections and ground truths):
        their detections (sorted by class, then score) laid out as ``(T, K, longest)``, padding at the end."""
        num_thr, device = tp.shape[0], tp.device
        length = per_class[rows]
        row_of_class = torch.full((self._num_classes,), -1, dtype=torch.long, device=device)
        row_of_class[rows] = torch.arange(rows.numel(), device=device)
        selected = torch.nonzero(row_of_class[labels] >= 0).squeeze(1)
        row, column = row_of_class[labels[selected]], selected - starts[labels[selected]]
        padded_tp = torch.zeros((num_thr, rows.numel(), int(length.max())), dtype=torch.bool, device=device)
        padded_fp = torch.zeros_like(padded_tp)
        padded_tp[:, row, column] = tp[:, selected].bool()
        padded_fp[:, row, column] = fp[:, selected].bool()
        recall, precision = self._compute_recall_and_precision(
            padded_tp, padded_fp, None, y_true_count[rows].expand(num_thr, -1)
        )
        final_recall = recall.gather(-1, (length - 1).expand(num_thr, -1)[..., None]).squeeze(-1)
        padding = torch.arange(padded_tp.shape[-1], device=device) >= length[:, None]
        average_precision = self._compute_average_precision(
            recall.masked_fill(padding, torch.inf), precision.masked_fill(padding, 0.0)
        )
        return torch.stack((average_precision.T, final_recall.T))

    @staticmethod
    def _mean_above(values: torch.Tensor) -> float:
        """Mean of the entries > -1, or -1.0 if there are none."""
        defined = values[values > -1]
        return defined.mean().item() if defined.numel() else -1.0

    def compute(self) -> tuple[float, float]:
        table = self._compute()
        return self._mean_above(table[0]), self._mean_above(table[1])


def _chunks(classes: list[int], counts: list[int], budget: int) -> list[list[int]]:
    """Consecutive groups of ``classes`` whose padded size (classes x longest) stays within ``budget``."""
    chunks: list[list[int]] = []
    current: list[int] = []
    width = 0
    for c in classes:
        if current and (len(current) + 1) * max(width, counts[c]) > budget:
            chunks.append(current)
            current, width = [], 0
        current.append(c)
        width = max(width, counts[c])
    if current:
        chunks.append(current)
    return chunks


class CommonObjectDetectionMetrics(MetricGroup):
    """The twelve standard COCO numbers of bounding-box detections, as a :class:`~ignite.metrics.MetricGroup`.

    ``compute`` returns, in this order: ``"AP@50..95"``, ``"AR-100"``, ``"AP@50"``, ``"AP@75"``, ``"AP-S"``,
    ``"AR-S"``, ``"AP-M"``, ``"AR-M"``, ``"AP-L"``, ``"AR-L"``, ``"AR-1"``, ``"AR-10"`` (S/M/L: small, medium and
    large areas; 1/10/100: detections kept per image and class). Inputs as
    :class:`ObjectDetectionAvgPrecisionRecall`.

    ```python
    from ignite.metrics import CommonObjectDetectionMetrics

    coco = CommonObjectDetectionMetrics(num_classes=3)
    coco.attach(evaluator, "coco")  # state.metrics["AP@50..95"], ..., and state.metrics["coco"] (the dict)
    ```
    """

    _state_dict_all_req_keys = ("metrics", "ap_50_95")

    def __init__(
        self,
        num_classes: int = 80,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = True,
    ) -> None:
        def member(**kwargs: Any) -> ObjectDetectionAvgPrecisionRecall:
            return ObjectDetectionAvgPrecisionRecall(num_classes=num_classes, device=device, **kwargs)

        self.ap_50_95 = member()
        metrics = {
            "S": member(area_range="small"),
            "M": member(area_range="medium"),
            "L": member(area_range="large"),
            "1": member(max_detections_per_image_per_class=1),
            "10": member(max_detections_per_image_per_class=10),
        }
        # the limits 1 and 10 keep a prefix of each image and class's detections: their TP/FP are those of the
        # limit 100, so they are taken from ap_50_95's matching instead of being matched again
        self.ap_50_95._derived = [metrics["1"], metrics["10"]]
        metrics["1"]._source = metrics["10"]._source = self.ap_50_95
        super().__init__(metrics, output_transform=output_transform, skip_unrolling=skip_unrolling)

    def reset(self) -> None:
        super().reset()
        self.ap_50_95.reset()

    def update(self, output: Sequence) -> None:
        for name in ("S", "M", "L"):
            self.metrics[name].update(output)
        self.ap_50_95.update(output)

    def compute(self) -> dict[str, float]:
        table = self.ap_50_95._compute()
        mean = ObjectDetectionAvgPrecisionRecall._mean_above
        result = {"AP@50..95": mean(table[0]), "AR-100": mean(table[1])}
        result["AP@50"] = mean(table[0, :, 0])
        result["AP@75"] = mean(table[0, :, 5]) if table.shape[2] > 5 else -1.0
        if result["AP@50"] == -1.0:
            result.update({"AP@50..95": -1.0, "AR-100": -1.0, "AP@75": -1.0})
        for name in ("S", "M", "L"):
            ap, ar = self.metrics[name].compute()
            result[f"AP-{name}"], result[f"AR-{name}"] = ap, ar
        result["AR-1"] = self.metrics["1"].compute()[1]
        result["AR-10"] = self.metrics["10"].compute()[1]
        return result


def coco_tensor_list_to_dict_list(
    output: tuple[list[torch.Tensor] | list[dict], list[torch.Tensor] | list[dict]],
) -> tuple[list[dict], list[dict]]:
    """Turn per-image tensors into the dicts of :class:`ObjectDetectionAvgPrecisionRecall`.

    ``y_pred`` tensors ``(N, 6)`` are ``(x1, y1, x2, y2, confidence, class)`` and become ``{"bbox", "confidence",
    "class"}``; ``y`` tensors ``(N, 5)`` become ``{"bbox", "class"}`` and ``(N, 6)`` ones ``{"bbox", "class",
    "iscrowd"}``. Lists that already hold dicts are returned as they are.
    """
    y_pred, y = output[0], output[1]
    if len(y_pred) > 0 and isinstance(y_pred[0], torch.Tensor):
        y_pred = [{"bbox": t[:, :4], "confidence": t[:, 4], "class": t[:, 5]} for t in y_pred]
    if len(y) > 0 and isinstance(y[0], torch.Tensor):
        if y[0].shape[1] == 5:
            y = [{"bbox": t[:, :4], "class": t[:, 4]} for t in y]
        else:
            y = [{"bbox": t[:, :4], "class": t[:, 4], "iscrowd": t[:, 5]} for t in y]
    return y_pred, y
