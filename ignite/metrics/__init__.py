"""Metrics. Names are imported lazily from their modules on first access."""

from typing import TYPE_CHECKING

from ignite._lazy import lazy_getattr

_NAMES = {
    "Metric": "metric",
    "MetricUsage": "metric",
    "EpochWise": "metric",
    "BatchWise": "metric",
    "BatchFiltered": "metric",
    "MetricsLambda": "metrics_lambda",
    "MetricGroup": "metric_group",
    "VariableAccumulation": "accumulation",
    "Average": "accumulation",
    "GeometricAverage": "accumulation",
    "EpochMetric": "epoch_metric",
    "RunningAverage": "running_average",
    "Frequency": "frequency",
    "Loss": "loss",
    "Accuracy": "accuracy",
    "Precision": "precision",
    "Recall": "recall",
    "Fbeta": "fbeta",
    "ClassificationReport": "classification_report",
    "TopKCategoricalAccuracy": "top_k_categorical_accuracy",
    "ConfusionMatrix": "confusion_matrix",
    "IoU": "confusion_matrix",
    "JaccardIndex": "confusion_matrix",
    "mIoU": "confusion_matrix",
    "DiceCoefficient": "confusion_matrix",
    "MultiLabelConfusionMatrix": "multilabel_confusion_matrix",
    "CohenKappa": "cohen_kappa",
    "MatthewsCorrCoef": "matthews_corrcoef",
    "AveragePrecision": "average_precision",
    "ROC_AUC": "roc_auc",
    "RocCurve": "roc_auc",
    "PrecisionRecallCurve": "precision_recall_curve",
    "MeanAveragePrecision": "mean_average_precision",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanSquaredError": "mean_squared_error",
    "RootMeanSquaredError": "root_mean_squared_error",
    "MeanPairwiseDistance": "mean_pairwise_distance",
    "CosineSimilarity": "cosine_similarity",
    "PSNR": "psnr",
    "SSIM": "ssim",
    "Entropy": "entropy",
    "KLDivergence": "kl_divergence",
    "JSDivergence": "js_divergence",
    "MutualInformation": "mutual_information",
    "HSIC": "hsic",
    "MaximumMeanDiscrepancy": "maximum_mean_discrepancy",
    "GpuInfo": "gpu_info",
    "Bleu": "nlp.bleu",
    "CharacterErrorRate": "nlp.character_error_rate",
    "Perplexity": "nlp.perplexity",
    "Rouge": "nlp.rouge",
    "RougeN": "nlp.rouge",
    "RougeL": "nlp.rouge",
    "HitRate": "rec_sys.hitrate",
    "NDCG": "rec_sys.ndcg",
    "FID": "gan.fid",
    "InceptionScore": "gan.inception_score",
    # the vision family (object detection)
    "ObjectDetectionAvgPrecisionRecall": "vision.object_detection_average_precision_recall",
    "CommonObjectDetectionMetrics": "vision.object_detection_average_precision_recall",
    "coco_tensor_list_to_dict_list": "vision.object_detection_average_precision_recall",
}

if TYPE_CHECKING:
    from ignite.metrics.accumulation import Average as Average
    from ignite.metrics.accumulation import GeometricAverage as GeometricAverage
    from ignite.metrics.accumulation import VariableAccumulation as VariableAccumulation
    from ignite.metrics.accuracy import Accuracy as Accuracy
    from ignite.metrics.average_precision import AveragePrecision as AveragePrecision
    from ignite.metrics.classification_report import ClassificationReport as ClassificationReport
    from ignite.metrics.cohen_kappa import CohenKappa as CohenKappa
    from ignite.metrics.confusion_matrix import ConfusionMatrix as ConfusionMatrix
    from ignite.metrics.confusion_matrix import DiceCoefficient as DiceCoefficient
    from ignite.metrics.confusion_matrix import IoU as IoU
    from ignite.metrics.confusion_matrix import JaccardIndex as JaccardIndex
    from ignite.metrics.confusion_matrix import mIoU as mIoU
    from ignite.metrics.cosine_similarity import CosineSimilarity as CosineSimilarity
    from ignite.metrics.entropy import Entropy as Entropy
    from ignite.metrics.epoch_metric import EpochMetric as EpochMetric
    from ignite.metrics.fbeta import Fbeta as Fbeta
    from ignite.metrics.frequency import Frequency as Frequency
    from ignite.metrics.gan.fid import FID as FID
    from ignite.metrics.gan.inception_score import InceptionScore as InceptionScore
    from ignite.metrics.gpu_info import GpuInfo as GpuInfo
    from ignite.metrics.hsic import HSIC as HSIC
    from ignite.metrics.js_divergence import JSDivergence as JSDivergence
    from ignite.metrics.kl_divergence import KLDivergence as KLDivergence
    from ignite.metrics.loss import Loss as Loss
    from ignite.metrics.matthews_corrcoef import MatthewsCorrCoef as MatthewsCorrCoef
    from ignite.metrics.maximum_mean_discrepancy import MaximumMeanDiscrepancy as MaximumMeanDiscrepancy
    from ignite.metrics.mean_absolute_error import MeanAbsoluteError as MeanAbsoluteError
    from ignite.metrics.mean_average_precision import MeanAveragePrecision as MeanAveragePrecision
    from ignite.metrics.mean_pairwise_distance import MeanPairwiseDistance as MeanPairwiseDistance
    from ignite.metrics.mean_squared_error import MeanSquaredError as MeanSquaredError
    from ignite.metrics.metric import BatchFiltered as BatchFiltered
    from ignite.metrics.metric import BatchWise as BatchWise
    from ignite.metrics.metric import EpochWise as EpochWise
    from ignite.metrics.metric import Metric as Metric
    from ignite.metrics.metric import MetricUsage as MetricUsage
    from ignite.metrics.metric_group import MetricGroup as MetricGroup
    from ignite.metrics.metrics_lambda import MetricsLambda as MetricsLambda
    from ignite.metrics.multilabel_confusion_matrix import MultiLabelConfusionMatrix as MultiLabelConfusionMatrix
    from ignite.metrics.mutual_information import MutualInformation as MutualInformation
    from ignite.metrics.nlp.bleu import Bleu as Bleu
    from ignite.metrics.nlp.character_error_rate import CharacterErrorRate as CharacterErrorRate
    from ignite.metrics.nlp.perplexity import Perplexity as Perplexity
    from ignite.metrics.nlp.rouge import Rouge as Rouge
    from ignite.metrics.nlp.rouge import RougeL as RougeL
    from ignite.metrics.nlp.rouge import RougeN as RougeN
    from ignite.metrics.precision import Precision as Precision
    from ignite.metrics.precision_recall_curve import PrecisionRecallCurve as PrecisionRecallCurve
    from ignite.metrics.psnr import PSNR as PSNR
    from ignite.metrics.rec_sys.hitrate import HitRate as HitRate
    from ignite.metrics.rec_sys.ndcg import NDCG as NDCG
    from ignite.metrics.recall import Recall as Recall
    from ignite.metrics.roc_auc import ROC_AUC as ROC_AUC
    from ignite.metrics.roc_auc import RocCurve as RocCurve
    from ignite.metrics.root_mean_squared_error import RootMeanSquaredError as RootMeanSquaredError
    from ignite.metrics.running_average import RunningAverage as RunningAverage
    from ignite.metrics.ssim import SSIM as SSIM
    from ignite.metrics.top_k_categorical_accuracy import TopKCategoricalAccuracy as TopKCategoricalAccuracy
    from ignite.metrics.vision.object_detection_average_precision_recall import (
        CommonObjectDetectionMetrics as CommonObjectDetectionMetrics,
    )
    from ignite.metrics.vision.object_detection_average_precision_recall import (
        ObjectDetectionAvgPrecisionRecall as ObjectDetectionAvgPrecisionRecall,
    )
    from ignite.metrics.vision.object_detection_average_precision_recall import (
        coco_tensor_list_to_dict_list as coco_tensor_list_to_dict_list,
    )

_SUBMODULES: tuple[str, ...] = ()  # the family subpackages ("regression", "nlp", ...) join with their code
_SUBMODULES += ("regression",)

__all__ = [
    "Metric", "Accuracy", "Loss", "MetricGroup", "MetricsLambda", "MeanAbsoluteError", "MeanPairwiseDistance",
    "MeanSquaredError", "MatthewsCorrCoef", "ConfusionMatrix", "CosineSimilarity", "ClassificationReport",
    "TopKCategoricalAccuracy", "Average", "DiceCoefficient", "Entropy", "EpochMetric", "Fbeta",
    "GeometricAverage", "IoU", "mIoU", "JaccardIndex", "JSDivergence", "KLDivergence",
    "MultiLabelConfusionMatrix", "Precision", "Recall",
    "RootMeanSquaredError", "RunningAverage", "VariableAccumulation", "Frequency",
    "HSIC", "MaximumMeanDiscrepancy", "MutualInformation", "PSNR", "SSIM", "regression",
    "AveragePrecision", "CohenKappa", "GpuInfo", "PrecisionRecallCurve", "RocCurve", "ROC_AUC",
    "MeanAveragePrecision",
    "Bleu", "CharacterErrorRate", "Rouge", "RougeN", "RougeL", "Perplexity", "clustering", "fairness",
    "HitRate", "NDCG",
    "FID", "InceptionScore", "ObjectDetectionAvgPrecisionRecall", "CommonObjectDetectionMetrics",
    "coco_tensor_list_to_dict_list",
]  # fmt: skip
_SUBMODULES += ("clustering", "fairness", "nlp", "rec_sys", "gan", "vision")

__getattr__ = lazy_getattr(__name__, _NAMES, _SUBMODULES)
