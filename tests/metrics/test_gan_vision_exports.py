"""The gan and vision families are exported where the spec puts them (a merge that drops a line fails here)."""

import subprocess
import sys

import ignite.metrics
from ignite.metrics.gan import FID, InceptionScore
from ignite.metrics.vision.object_detection_average_precision_recall import (
    CommonObjectDetectionMetrics,
    ObjectDetectionAvgPrecisionRecall,
    coco_tensor_list_to_dict_list,
)

EXPORTED = {
    "FID": FID,
    "InceptionScore": InceptionScore,
    "ObjectDetectionAvgPrecisionRecall": ObjectDetectionAvgPrecisionRecall,
    "CommonObjectDetectionMetrics": CommonObjectDetectionMetrics,
    "coco_tensor_list_to_dict_list": coco_tensor_list_to_dict_list,
}


def test_top_level_names():
    for name, obj in EXPORTED.items():
        assert name in ignite.metrics.__all__
        assert getattr(ignite.metrics, name) is obj


def test_subpackage_exports():
    import ignite.metrics.gan as gan
    import ignite.metrics.vision as vision
    from ignite.metrics.gan.fid import fid_score
    from ignite.metrics.gan.utils import InceptionModel, _BaseInceptionMetric

    assert gan.__all__ == ["InceptionScore", "FID"]
    assert vision.__all__ == ["ObjectDetectionAvgPrecisionRecall"]
    assert gan.fid_score is fid_score and gan.InceptionModel is InceptionModel
    assert issubclass(FID, _BaseInceptionMetric) and issubclass(InceptionScore, _BaseInceptionMetric)


def test_subpackages_are_attributes_before_any_import():
    code = (
        "import sys, ignite.metrics as m\n"
        "assert m.gan.FID and m.vision.ObjectDetectionAvgPrecisionRecall\n"
        "assert not any(k.split('.')[0] in ('scipy', 'torchvision', 'pycocotools') for k in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
