"""ObjectDetectionAvgPrecisionRecall and CommonObjectDetectionMetrics against pycocotools' COCOeval."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from coco_synthetic import coco_eval, coco_table, make_images, run_coco_eval
from hypothesis import given, settings
from hypothesis import strategies as st

from ignite.engine import Engine
from ignite.metrics import (
    CommonObjectDetectionMetrics,
    ObjectDetectionAvgPrecisionRecall,
    coco_tensor_list_to_dict_list,
)
from ignite.metrics.vision.object_detection_average_precision_recall import box_iou

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import assert_equal_values, check_state_dict_roundtrip  # noqa: E402

pytest.importorskip("pycocotools")


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """The matching runs many small tensor ops: on a busy machine intra-op threads only add waiting."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


NUM_CLASSES = 5
AREAS = ("all", "small", "medium", "large")
MAX_DETS = (1, 10, 100)


def update_in_batches(metric, y_pred, y, batch_size=16):
    for i in range(0, len(y_pred), batch_size):
        metric.update((y_pred[i : i + batch_size], y[i : i + batch_size]))
    return metric


@pytest.fixture(scope="module", params=[False, True], ids=["distinct-scores", "tied-scores"])
def coco_case(request):
    """200 images, evaluated once by COCOeval (every area range and max-detection limit)."""
    y_pred, y = make_images(num_images=200, num_classes=NUM_CLASSES, tied_scores=request.param, seed=int(request.param))
    evaluator = run_coco_eval(coco_eval(y_pred, y, NUM_CLASSES, max_dets=MAX_DETS))
    return y_pred, y, evaluator


@pytest.mark.parametrize("area_index, area", list(enumerate(AREAS)))
def test_tables_equal_cocoeval_for_every_area_and_limit(coco_case, area_index, area):
    y_pred, y, evaluator = coco_case
    for max_det_index, max_det in enumerate(MAX_DETS):
        metric = ObjectDetectionAvgPrecisionRecall(
            num_classes=NUM_CLASSES, area_range=area, max_detections_per_image_per_class=max_det
        )
        table = update_in_batches(metric, y_pred, y)._compute().numpy()
        np.testing.assert_allclose(table, coco_table(evaluator, area_index, max_det_index), rtol=0, atol=1e-6)


def test_common_metrics_equal_cocoeval_summary(coco_case):
    y_pred, y, evaluator = coco_case
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.summarize()
    s = evaluator.stats
    expected = {
        "AP@50..95": s[0], "AR-100": s[8], "AP@50": s[1], "AP@75": s[2], "AP-S": s[3], "AR-S": s[9],
        "AP-M": s[4], "AR-M": s[10], "AP-L": s[5], "AR-L": s[11], "AR-1": s[6], "AR-10": s[7],
    }  # fmt: skip
    result = update_in_batches(CommonObjectDetectionMetrics(num_classes=NUM_CLASSES), y_pred, y, 32).compute()
    assert list(result) == list(expected)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, abs=1e-6), key


def test_custom_thresholds_equal_cocoeval():
    y_pred, y = make_images(num_images=40, num_classes=3, seed=5)
    iou_thresholds, rec_thresholds = [0.3, 0.5, 0.6, 0.9], [0.0, 0.25, 0.5, 0.8, 1.0]
    evaluator = coco_eval(y_pred, y, 3, max_dets=(7,))
    evaluator.params.iouThrs = np.array(iou_thresholds)
    evaluator.params.recThrs = np.array(rec_thresholds)
    run_coco_eval(evaluator)
    metric = ObjectDetectionAvgPrecisionRecall(
        iou_thresholds=iou_thresholds,
        rec_thresholds=torch.tensor(rec_thresholds[::-1]),  # sorted by the metric
        num_classes=3,
        max_detections_per_image_per_class=7,
    )
    table = update_in_batches(metric, y_pred, y)._compute().numpy()
    np.testing.assert_allclose(table, coco_table(evaluator), rtol=0, atol=1e-6)


DTYPE_IMAGES = make_images(num_images=40, num_classes=3, max_detections=15, seed=21)


@pytest.fixture(scope="module")
def dtype_reference():
    return coco_table(run_coco_eval(coco_eval(*DTYPE_IMAGES, 3)))


@pytest.mark.parametrize(
    "box_dtype, score_dtype, label_dtype",
    [
        (torch.float64, torch.float64, torch.int64),
        (torch.int64, torch.float16, torch.int32),
        (torch.int32, torch.bfloat16, torch.uint8),
        (torch.float16, torch.float32, torch.int16),
    ],
)
def test_input_dtypes_equal_cocoeval(dtype_reference, box_dtype, score_dtype, label_dtype):
    y_pred = [
        {"bbox": p["bbox"].to(box_dtype), "scores": p["scores"].to(score_dtype), "labels": p["labels"].to(label_dtype)}
        for p in DTYPE_IMAGES[0]
    ]
    y = [{**t, "bbox": t["bbox"].to(box_dtype), "labels": t["labels"].to(label_dtype)} for t in DTYPE_IMAGES[1]]
    # the reference sees the scores as the metric does (rounded to score_dtype)
    rounded = [{**p, "scores": p["scores"].to(score_dtype).double()} for p in DTYPE_IMAGES[0]]
    expected = coco_table(run_coco_eval(coco_eval(rounded, DTYPE_IMAGES[1], 3)))
    if score_dtype == torch.float64:
        expected = dtype_reference
    table = update_in_batches(ObjectDetectionAvgPrecisionRecall(num_classes=3), y_pred, y, 8)._compute().numpy()
    np.testing.assert_allclose(table, expected, rtol=0, atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_inputs_equal_cpu():
    y_pred, y = DTYPE_IMAGES
    to_cuda = lambda ds: [{k: v.cuda() for k, v in d.items()} for d in ds]  # noqa: E731
    cpu = update_in_batches(CommonObjectDetectionMetrics(num_classes=3), y_pred, y, 8).compute()
    cuda = update_in_batches(CommonObjectDetectionMetrics(num_classes=3, device="cuda"), to_cuda(y_pred), to_cuda(y), 8)
    assert cuda.ap_50_95._scores[0].device.type == "cuda"
    assert cuda.compute() == pytest.approx(cpu, abs=1e-12)


def test_default_thresholds_are_cocoeval_ones():
    from pycocotools.cocoeval import Params

    metric = ObjectDetectionAvgPrecisionRecall()
    params = Params("bbox")
    assert np.array_equal(metric._iou_thresholds.numpy(), params.iouThrs)
    assert np.array_equal(metric.rec_thresholds.numpy(), params.recThrs)
    assert metric._iou_thresholds.dtype == torch.float64


def test_box_iou_equals_pycocotools():
    from pycocotools import mask

    y_pred, y = make_images(num_images=3, seed=3, crowd_rate=0.5)
    for pred, target in zip(y_pred, y):
        if len(target["bbox"]) == 0 or len(pred["bbox"]) == 0:
            continue
        xywh = lambda b: torch.cat([b[:, :2], b[:, 2:] - b[:, :2]], 1).double().numpy()  # noqa: E731
        expected = mask.iou(xywh(pred["bbox"]), xywh(target["bbox"]), target["iscrowd"].numpy().astype(np.uint8))
        got = box_iou(pred["bbox"].double(), target["bbox"].double(), target["iscrowd"])
        np.testing.assert_array_equal(got.numpy(), expected)


def _detections(boxes, scores, labels=None):
    labels = [1] * len(scores) if labels is None else labels
    return {
        "bbox": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        "scores": torch.tensor(scores),
        "labels": torch.tensor(labels),
    }


GT = [{"bbox": torch.tensor([[0.0, 0, 10, 10]]), "labels": torch.tensor([1])}]


@pytest.mark.parametrize(
    "boxes, scores, expected",
    [
        ([[0, 0, 10, 10], [20, 20, 30, 30]], [0.9, 0.8], (1.0, 1.0)),
        ([[0, 0, 10, 5]], [0.9], (0.1, 0.1)),  # IoU 0.5: only the first threshold
        ([[20, 20, 30, 30], [0, 0, 10, 10]], [0.9, 0.8], (0.5, 1.0)),
    ],
)
def test_worked_examples(boxes, scores, expected):
    metric = ObjectDetectionAvgPrecisionRecall(num_classes=3)
    metric.update(([_detections(boxes, scores)], GT))
    assert metric.compute() == pytest.approx(expected, abs=1e-12)
    assert metric.compute() == pytest.approx(expected, abs=1e-12)  # recomputing gives the same


def test_common_worked_example():
    metric = CommonObjectDetectionMetrics(num_classes=3)
    metric.update(([_detections([[20, 20, 30, 30], [0, 0, 10, 10]], [0.9, 0.8])], GT))
    expected = {
        "AP@50..95": 0.5, "AR-100": 1.0, "AP@50": 0.5, "AP@75": 0.5, "AP-S": 0.5, "AR-S": 1.0, "AP-M": -1.0,
        "AR-M": -1.0, "AP-L": -1.0, "AR-L": -1.0, "AR-1": 0.0, "AR-10": 1.0,
    }  # fmt: skip
    result = metric.compute()
    assert list(result) == list(expected)
    assert result == pytest.approx(expected, abs=1e-12)


def test_no_ground_truth_gives_minus_one_and_no_detection_gives_zero():
    metric = ObjectDetectionAvgPrecisionRecall(num_classes=3)
    metric.update(([_detections([[0, 0, 5, 5]], [0.5])], [{"bbox": torch.zeros(0, 4), "labels": torch.zeros(0)}]))
    assert metric.compute() == (-1.0, -1.0)
    metric.reset()
    metric.update(([_detections([], [])], GT))
    assert metric.compute() == (0.0, 0.0)
    common = CommonObjectDetectionMetrics(num_classes=3)
    common.update(([_detections([], [])], [{"bbox": torch.zeros(0, 4), "labels": torch.zeros(0)}]))
    assert set(common.compute().values()) == {-1.0}


def test_crowd_ground_truth_absorbs_detections():
    target = [{"bbox": torch.tensor([[0.0, 0, 10, 10], [0, 0, 100, 100]]), "labels": torch.tensor([1, 1]),
               "iscrowd": torch.tensor([0, 1])}]  # fmt: skip
    # the first detection takes the real box, the others fall inside the crowd region: neither TP nor FP
    pred = [_detections([[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 40, 40]], [0.9, 0.8, 0.7])]
    metric = ObjectDetectionAvgPrecisionRecall(num_classes=3)
    metric.update((pred, target))
    assert metric.compute() == (1.0, 1.0)


CHUNK_IMAGES = make_images(num_images=30, num_classes=3, max_detections=12, tied_scores=True, seed=11)


@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(1, 29), max_size=6))
def test_chunked_equals_whole(cuts):
    y_pred, y = CHUNK_IMAGES
    bounds = [0, *sorted(set(cuts)), 30]
    parts = CommonObjectDetectionMetrics(num_classes=3)
    for a, b in zip(bounds[:-1], bounds[1:]):
        parts.update((y_pred[a:b], y[a:b]))
    whole = CommonObjectDetectionMetrics(num_classes=3)
    whole.update((y_pred, y))
    assert_equal_values(parts.compute(), whole.compute())  # exactly: ties keep the image order


def test_matching_every_few_images_changes_nothing(monkeypatch):
    y_pred, y = CHUNK_IMAGES
    expected = update_in_batches(ObjectDetectionAvgPrecisionRecall(num_classes=3), y_pred, y, 4)._compute()
    monkeypatch.setattr(ObjectDetectionAvgPrecisionRecall, "_match_every_images", 3)
    metric = update_in_batches(ObjectDetectionAvgPrecisionRecall(num_classes=3), y_pred, y, 4)
    assert len(metric._tps) > 1 and len(metric._pending) <= 1
    assert torch.equal(metric._compute(), expected)


def test_common_metrics_limits_match_their_own_matching():
    y_pred, y = CHUNK_IMAGES
    common = update_in_batches(CommonObjectDetectionMetrics(num_classes=3), y_pred, y, 7)
    for limit in ("1", "10"):
        alone = ObjectDetectionAvgPrecisionRecall(num_classes=3, max_detections_per_image_per_class=int(limit))
        update_in_batches(alone, y_pred, y, 7)
        assert torch.equal(common.metrics[limit]._compute(), alone._compute())


def test_state_dict_roundtrip():
    y_pred, y = CHUNK_IMAGES
    batches = [(y_pred[i : i + 10], y[i : i + 10]) for i in range(0, 30, 10)]
    check_state_dict_roundtrip(lambda: ObjectDetectionAvgPrecisionRecall(num_classes=3), batches)
    check_state_dict_roundtrip(lambda: CommonObjectDetectionMetrics(num_classes=3), batches)


def test_loads_a_checkpoint_without_the_added_keys_as_empty():
    metric = ObjectDetectionAvgPrecisionRecall(num_classes=3)
    metric.update(([_detections([[0, 0, 10, 10]], [0.9])], GT))
    metric.load_state_dict({"__metric_state_per_rank": [{}]})  # what upstream saves
    assert metric.compute() == (-1.0, -1.0)


def test_tensor_lists_through_coco_tensor_list_to_dict_list():
    y_pred = [torch.tensor([[20.0, 20, 30, 30, 0.9, 1], [0, 0, 10, 10, 0.8, 1]])]
    y5 = [torch.tensor([[0.0, 0, 10, 10, 1]])]
    y6 = [torch.tensor([[0.0, 0, 10, 10, 1, 0], [0, 0, 50, 50, 1, 1]])]
    pred_dicts, target_dicts = coco_tensor_list_to_dict_list((y_pred, y5))
    assert sorted(pred_dicts[0]) == ["bbox", "class", "confidence"] and sorted(target_dicts[0]) == ["bbox", "class"]
    assert torch.equal(pred_dicts[0]["confidence"], y_pred[0][:, 4]) and torch.equal(
        target_dicts[0]["class"], y5[0][:, 4]
    )
    _, crowd_dicts = coco_tensor_list_to_dict_list((y_pred, y6))
    assert torch.equal(crowd_dicts[0]["iscrowd"], y6[0][:, 5])
    already = ([{"bbox": 1}], [{"bbox": 2}])
    converted = coco_tensor_list_to_dict_list(already)
    assert converted[0] is already[0] and converted[1] is already[1]

    # usable as the metric's output_transform (the "confidence"/"class" keys are accepted)
    engine = Engine(lambda e, b: b)
    ObjectDetectionAvgPrecisionRecall(num_classes=3, output_transform=coco_tensor_list_to_dict_list).attach(engine, "m")
    CommonObjectDetectionMetrics(num_classes=3, output_transform=coco_tensor_list_to_dict_list).attach(engine, "c")
    state = engine.run([(y_pred, y5)])
    assert state.metrics["m"] == pytest.approx((0.5, 1.0))
    assert state.metrics["AP@50"] == pytest.approx(0.5) and state.metrics["c"]["AR-10"] == pytest.approx(1.0)


def test_inputs_are_not_modified():
    y_pred, y = make_images(num_images=6, seed=4)
    copies = [{k: v.clone() for k, v in d.items()} for d in y_pred + y]
    metric = CommonObjectDetectionMetrics(num_classes=NUM_CLASSES)
    metric.update((y_pred, y))
    metric.compute()
    for original, copy in zip(y_pred + y, copies):
        assert all(torch.equal(original[k], copy[k]) for k in copy)


def test_update_errors():
    metric = ObjectDetectionAvgPrecisionRecall(num_classes=3)
    with pytest.raises(ValueError, match=r"y_pred and y should have the same number of samples, given 1 and 2\."):
        metric.update(([_detections([], [])], GT * 2))
    with pytest.raises(ValueError, match=r"y_pred and y should contain at least one sample\."):
        metric.update(([], []))
    with pytest.raises(
        ValueError,
        match=r"y_pred sample dictionaries should have 'bbox', 'scores' and 'labels' keys, given keys: \['bbox'\]",
    ):
        metric.update(([{"bbox": torch.zeros(0, 4)}], GT))
    with pytest.raises(
        ValueError,
        match="y sample dictionaries should have 'bbox', 'labels' and optionally 'iscrowd' keys, given keys: ",
    ):
        metric.update(([_detections([], [])], [{"boxes": torch.zeros(0, 4)}]))
    with pytest.raises(ValueError, match=r"y_pred\[0\]\['bbox'\] should be a tensor of shape \(N, 4\), given \(2,\)"):
        metric.update(([{"bbox": torch.zeros(2), "scores": torch.zeros(2), "labels": torch.zeros(2)}], GT))
    with pytest.raises(ValueError, match=r"y\[0\]\['iscrowd'\] should be a tensor of shape \(1,\), given \(2,\)"):
        metric.update(([_detections([], [])], [{**GT[0], "iscrowd": torch.zeros(2)}]))
    with pytest.raises(
        ValueError, match=r"Labels should be in the range \[0, 2\] \(num_classes=3\), given values from 1 to 3"
    ):
        metric.update(([_detections([[0, 0, 1, 1]], [0.5], [3])], GT))
    assert metric._pending == [] and metric.compute() == (-1.0, -1.0)


def test_constructor_errors():
    with pytest.raises(
        TypeError, match="iou_thresholds should be a sequence of floats or a tensor, given <class 'float'>."
    ):
        ObjectDetectionAvgPrecisionRecall(iou_thresholds=0.5)
    with pytest.raises(ValueError, match="rec_thresholds should be a one-dimensional tensor or a sequence of floats"):
        ObjectDetectionAvgPrecisionRecall(rec_thresholds=torch.zeros(2, 2))
    with pytest.raises(ValueError, match="iou_thresholds values should be between 0 and 1, given "):
        ObjectDetectionAvgPrecisionRecall(iou_thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="Argument num_classes should be a positive integer, given 0."):
        ObjectDetectionAvgPrecisionRecall(num_classes=0)
    with pytest.raises(ValueError, match="Argument max_detections_per_image_per_class should be a positive integer"):
        ObjectDetectionAvgPrecisionRecall(max_detections_per_image_per_class=0)
    with pytest.raises(ValueError, match=r"Argument area_range should be one of \['all', 'small', 'medium', 'large'\]"):
        ObjectDetectionAvgPrecisionRecall(area_range="tiny")
