"""FID, InceptionScore and the detection metrics on 2 real gloo ranks equal the single-process result.

One spawn runs them all. Rank 0 holds more data than rank 1; one detection metric sees no detection on rank 1
and another none on either rank (empty gathers), and state dicts gather every rank's state and load back.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
import torch

import ignite.distributed as idist
from ignite.metrics import FID, CommonObjectDetectionMetrics, InceptionScore, ObjectDetectionAvgPrecisionRecall

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "vision"))
from coco_synthetic import make_images  # noqa: E402
from metric_checks import assert_equal_values  # noqa: E402

pytestmark = pytest.mark.distributed

NUM_IMAGES = 24
SPLIT = 16  # rank 0: images [0, 16), rank 1: [16, 24)


def _data() -> dict:
    g = torch.Generator().manual_seed(3)
    y_pred, y = make_images(num_images=NUM_IMAGES, num_classes=4, max_detections=15, tied_scores=True, seed=9)
    no_detection = [{**p, "bbox": p["bbox"][:0], "scores": p["scores"][:0], "labels": p["labels"][:0]} for p in y_pred]
    return {
        "features": (torch.randn(NUM_IMAGES, 5, generator=g), torch.randn(NUM_IMAGES, 5, generator=g) + 0.3),
        "probabilities": torch.softmax(torch.randn(NUM_IMAGES, 7, generator=g), dim=1),
        "detections": (y_pred, y),
        # rank 1's part has no detection at all
        "partly_empty": (y_pred[:SPLIT] + no_detection[SPLIT:], y),
        "empty": (no_detection, y),
    }


def _metrics() -> dict:
    return {
        "fid": ("features", lambda: FID(num_features=5, feature_extractor=torch.nn.Identity())),
        "is": ("probabilities", lambda: InceptionScore(num_features=7, feature_extractor=torch.nn.Identity())),
        "map": ("detections", lambda: ObjectDetectionAvgPrecisionRecall(num_classes=4)),
        "map_small_10": (
            "detections",
            lambda: ObjectDetectionAvgPrecisionRecall(
                num_classes=4, area_range="small", max_detections_per_image_per_class=10
            ),
        ),
        "map_partly_empty": ("partly_empty", lambda: ObjectDetectionAvgPrecisionRecall(num_classes=4)),
        "map_empty": ("empty", lambda: ObjectDetectionAvgPrecisionRecall(num_classes=4)),
        "common": ("detections", lambda: CommonObjectDetectionMetrics(num_classes=4)),
    }


def _batches(kind: str, data, start: int, stop: int, size: int = 5) -> list:
    batches = []
    for i in range(start, stop, size):
        j = min(i + size, stop)
        if kind == "probabilities":
            batches.append(data[i:j])
        else:
            batches.append((data[0][i:j], data[1][i:j]))
    return batches


def _results(start: int, stop: int) -> dict:
    data = _data()
    results = {}
    for name, (kind, factory) in _metrics().items():
        metric = factory()
        for batch in _batches(kind, data[kind], start, stop):
            metric.update(batch)
        results[name] = metric.compute()
        restored = factory()
        restored.load_state_dict(metric.state_dict())
        results[f"{name}_restored"] = restored.compute()
    return results


def _worker(local_rank: int, out_dir: str) -> None:
    rank = idist.get_rank()
    assert idist.get_world_size() == 2
    torch.set_num_threads(1)  # two processes on a small machine: intra-op threads only add waiting
    start, stop = (0, SPLIT) if rank == 0 else (SPLIT, NUM_IMAGES)
    torch.save(_results(start, stop), Path(out_dir) / f"rank{rank}.pt")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gan_and_detection_metrics_on_two_gloo_ranks(tmp_path):
    with idist.Parallel(
        backend="gloo", nproc_per_node=2, master_addr="127.0.0.1", master_port=_free_port(), timeout=600
    ) as parallel:
        parallel.run(_worker, str(tmp_path))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        expected = _results(0, NUM_IMAGES)
    finally:
        torch.set_num_threads(threads)
    assert expected["map_empty"] == (0.0, 0.0) and expected["map"][0] > 0
    for rank in range(2):
        got = torch.load(tmp_path / f"rank{rank}.pt", weights_only=False)
        assert got.keys() == expected.keys()
        for name, value in expected.items():
            if name.startswith(("fid", "is")):
                assert got[name] == pytest.approx(value, rel=1e-9), (name, rank)
            else:  # detection results are exact: the ranks' images arrive in order
                assert_equal_values(got[name], value)
