"""Object detection metrics (COCO average precision and recall)."""

from ignite.metrics.vision.object_detection_average_precision_recall import ObjectDetectionAvgPrecisionRecall

__all__ = ["ObjectDetectionAvgPrecisionRecall"]
